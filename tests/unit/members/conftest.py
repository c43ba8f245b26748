import datetime as dt

import pytest

from members_builders import register_handled
from services.members import org_replica, personal, projections, tables  # noqa: F401 (their tables join the metadata)
from services.members.transfers import projections as transfer_projections, serials, tables as transfer_tables  # noqa: F401
from unit.orgs_feed import deliver_district_tree, to_members
from unit.unit_kernel import kernel_fixtures


db, store, uow, run, read = kernel_fixtures(
    "members", [tables.metadata, transfer_tables.metadata], [projections.project, transfer_projections.project, personal.project])


PLACED = {"branch-1": 3, "branch-2": 2, "branch-3": 4}


@pytest.fixture
def district(db, run):
    """``DISTRICT_TREE`` with members placed by ``PLACED`` (two of branch-1's
    in its party group) and two applicants in branch-2: {org id: member ids}."""
    deliver_district_tree(to_members(db))
    ids = {}
    for org_id, count in PLACED.items():
        for i in range(count):
            group = {"group_id": "group-1"} if org_id == "branch-1" and i < 2 else {}
            ids.setdefault(org_id, []).append(register_handled(run, f"{org_id[-1]}{i:02d}", org_id, **group))
    ids["applicants"] = [register_handled(run, f"9{i:02d}", "branch-2", stage="applicant",
                                          applied_on=dt.date(2026, 12, 20)) for i in range(2)]
    return ids
