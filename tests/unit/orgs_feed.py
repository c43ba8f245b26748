"""Orgs' events as the members service receives them, for the unit tests of
members and transfers (one factory: the defaults of every event type)."""
import datetime as dt
import uuid

from services.members import org_replica
from shared.envelope import Envelope
from shared.inbox import Inbox

UNIT = {"name": "Nano Tech Co.", "unit_type": "enterprise", "address": None}
FOUNDED = dt.date(2010, 1, 1)  # before the first rule set: every test date falls after it


def org_event(event_type, org_id, version=1, event_id=None, **payload) -> Envelope:
    defaults = {
        "orgs.org_created": {"name": "Committee", "kind": "committee", "parent_id": None, "unit": None,
                             "created_on": FOUNDED},
        "orgs.branch_founded": {"name": "Nano Branch", "kind": "branch", "parent_id": "committee-1", "unit": UNIT,
                                "covered_units": [], "full_members": 5, "probationary_members": 0,
                                "founded_on": FOUNDED, "founded_directly": True, "founding_request_id": None,
                                "founding_member_ids": [],
                                "rules_version": "2014"},
        "orgs.org_renamed": {"name": "Renamed", "previous_name": "Nano Branch", "renamed_on": dt.date(2021, 1, 1)},
        "orgs.org_dissolved": {"reason": "merged", "dissolved_on": dt.date(2021, 6, 1)},
    }[event_type]
    return Envelope(event_type=event_type, event_version=1, aggregate_type="organisation", aggregate_id=org_id,
                    aggregate_version=version, payload={**defaults, **payload},
                    event_id=event_id or str(uuid.uuid4()))


def to_members(db):
    """Deliver an orgs event to the members service's replica of the tree,
    through its inbox, as the members consumer does."""
    box = Inbox(db)
    return lambda envelope: box.handle(f"members.on_{envelope.event_type.split('.')[1]}", envelope,
                                       org_replica.apply_org_event)


DISTRICT_TREE = (
    # id, kind, parent, name: two committees; a general branch; branches; a party group
    ("committee-1", "committee", None, "Lake Committee"),
    ("general-1", "general_branch", "committee-1", "General Branch"),
    ("branch-1", "branch", "general-1", "Nano Branch"),
    ("group-1", "group", "branch-1", "Lab Group"),
    ("branch-2", "branch", "committee-1", "Other Branch"),
    ("committee-2", "committee", None, "Hill Committee"),
    ("branch-3", "branch", "committee-2", "Hill Branch"),
)


def deliver_district_tree(deliver):
    """``DISTRICT_TREE`` as orgs' events, through ``deliver`` (``to_members``)."""
    for org_id, kind, parent_id, name in DISTRICT_TREE:
        event_type = "orgs.branch_founded" if kind == "branch" else "orgs.org_created"
        deliver(org_event(event_type, org_id, 1, kind=kind, parent_id=parent_id, name=name))
