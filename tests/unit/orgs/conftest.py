import datetime as dt

import pytest

from services.orgs import member_replica, projections, tables  # noqa: F401 (the replica's table joins the metadata)
from services.orgs.domain import ParentView
from services.orgs.rules import rules_in_force
from unit.unit_kernel import kernel_fixtures

TODAY = dt.date(2024, 3, 1)


@pytest.fixture
def rules():
    return rules_in_force(TODAY)


@pytest.fixture
def committee():
    return ParentView("committee-1", "committee", "active")


db, store, uow, run, read = kernel_fixtures("orgs", [tables.metadata], [projections.project])
