"""The identity service's tables share this metadata: the ``ACCOUNTS`` read
model's (``projections``), and those written by commands and never derived
from events: password hashes (``credentials``), refresh tokens
(``sessions``) and failed sign-ins (``throttle``)."""
from sqlalchemy import MetaData

metadata = MetaData()
