
from services.members import org_replica, personal, projections, tables  # noqa: F401 (their tables join the metadata)
from services.members.transfers import projections as transfer_projections, tables as transfer_tables
from unit.unit_kernel import kernel_fixtures


db, store, uow, run, read = kernel_fixtures(
    "members", [tables.metadata, transfer_tables.metadata], [projections.project, transfer_projections.project, personal.project])
