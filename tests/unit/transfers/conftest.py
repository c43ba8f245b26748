import pytest

from services.members import org_replica, personal, projections, tables  # noqa: F401 (their tables join the metadata)
from services.members.transfers import projections as transfer_projections, serials, tables as transfer_tables  # noqa: F401
from unit.orgs_feed import org_event, to_members
from unit.unit_kernel import kernel_fixtures


db, store, uow, run, read = kernel_fixtures("members", [tables.metadata, transfer_tables.metadata], [projections.project, transfer_projections.project])


@pytest.fixture
def deliver(db):
    """Deliver an orgs event to known_orgs, through the inbox."""
    return to_members(db)


@pytest.fixture
def tree(deliver):
    """Two committees; branch A under the first, B and C (with party group
    group-b) under the second, as orgs' events tell the members service."""
    deliver(org_event("orgs.org_created", "committee-1", name="Lake Committee"))
    deliver(org_event("orgs.org_created", "committee-2", name="Hill Committee"))
    deliver(org_event("orgs.branch_founded", "branch-a", name="Nano Branch"))
    deliver(org_event("orgs.branch_founded", "branch-b", name="Bio Branch", parent_id="committee-2"))
    deliver(org_event("orgs.branch_founded", "branch-c", name="Chip Branch", parent_id="committee-2"))
    deliver(org_event("orgs.org_created", "group-b", name="Lab Group", kind="group", parent_id="branch-b"))
