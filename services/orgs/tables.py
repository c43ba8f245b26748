"""The orgs service's tables share this metadata: the organisation tree and
its founding requests, committees and alliances (``projections``) and the
members replica fed by members' events (``roster``)."""
from sqlalchemy import MetaData

metadata = MetaData()
