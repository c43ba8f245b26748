
from services.members import personal, projections
from services.members.transfers import projections as transfer_projections
from unit.unit_kernel import kernel_fixtures


db, store, uow, run, read = kernel_fixtures(
    "members", [projections.metadata], [projections.project, transfer_projections.project, personal.project])
