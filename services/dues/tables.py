"""The dues database's MetaData, on which every table of the service is
declared (the read models in projections.py, the accounts' snapshots here),
so that whatever creates the service's tables creates all of them."""
from sqlalchemy import MetaData

from shared.snapshots import snapshot_table

metadata = MetaData()

account_snapshots = snapshot_table("dues_account_snapshots", metadata)
