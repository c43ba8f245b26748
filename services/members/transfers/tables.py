"""The transfer saga's tables share this metadata: its read model
(``projections.transfers``). It lives in the members service's database (the
saga is a sub-domain of that service, not a service of its own), and the
service creates these tables with its own (``MembersService.kernel``)."""
from sqlalchemy import MetaData

metadata = MetaData()
