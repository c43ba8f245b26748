import pytest

from services.members import org_events, projections, transfer_projections
from shared.inbox import Inbox
from unit.unit_kernel import kernel_fixtures


db, store, uow, run, read = kernel_fixtures("members", [projections.metadata], [projections.project, transfer_projections.project])


@pytest.fixture
def deliver(db):
    """Deliver an orgs event to known_orgs, through the inbox."""
    box = Inbox(db)
    return lambda envelope: box.handle(f"members.on_{envelope.event_type.split('.')[1]}", envelope,
                                       org_events.apply_org_event)
