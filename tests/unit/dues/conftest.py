import datetime as dt

import pytest
from unit.unit_kernel import kernel_fixtures

from services.dues import commands, projections

TODAY = dt.date(2024, 7, 15)
BRANCH = "branch-1"


def member_state(stage="probationary", status="active", org_id=BRANCH, **dates):
    return {"org_id": org_id, "group_id": None, "stage": stage, "status": status, **dates}


db, store, uow, run, read = kernel_fixtures("dues", [projections.metadata], [projections.project])


@pytest.fixture
def admit(run):
    """A member admitted as probationary at a meeting on ``admitted_on``."""
    def admit(member_id, admitted_on=dt.date(2024, 1, 10), org_id=BRANCH):
        payload = member_state(org_id=org_id, admitted_on=admitted_on, approved_on=admitted_on)
        run(commands.follow_member, "members.admission_approved", member_id, payload,
            dt.datetime.combine(admitted_on, dt.time(), dt.timezone.utc))
    return admit
