"""The members service's tables share this metadata: its read models
(``projections.members``, ``org_replica.known_orgs``) and the personal data
written beside the events (``personal``). Each module defines its tables on
it; the service creates them all (its entrypoints import every module). The
transfer saga's are on its own (``transfers/tables.py``), in the same
database."""
from sqlalchemy import MetaData

metadata = MetaData()
