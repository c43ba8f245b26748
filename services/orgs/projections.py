"""Read models of the orgs service, kept by ``project``, which the event store
calls inline, in the transaction that appends each event; and the reads
command handlers need for their rules. Queries for callers are in queries.py.
"""
from sqlalchemy import (JSON, Boolean, Column, Date, Integer, String, Table, Text, delete, func,
                        insert, select, update)

from shared.catalog.orgs import (
    AllianceFormed, AllianceMemberAdded, AllianceMemberRemoved, BranchFounded, CommitteeElected,
    FoundingApproved, FoundingCommitteeElected, FoundingConfirmed, FoundingRejected, FoundingRequested,
    OrgCreated, OrgDissolved, OrgRenamed)
from shared.envelope import Envelope
from shared.readmodel import ReadModel

from .tables import metadata


org_tree = Table(
    "org_tree", metadata,
    Column("id", String(64), primary_key=True),
    Column("parent_id", String(64), index=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("path", Text, nullable=False),  # "/<root id>/.../<id>/": a subtree is a path prefix
    Column("depth", Integer, nullable=False),
    Column("unit", JSON),
    Column("covered_units", JSON, nullable=False),
    Column("full_members", Integer),  # as last declared: at founding or at an election
    Column("probationary_members", Integer),
    Column("founded_directly", Boolean),
    Column("founding_request_id", String(64)),
    Column("created_on", Date, nullable=False),
    Column("dissolved_on", Date),
    Column("dissolution_reason", Text),
    Column("version", Integer, nullable=False),
)

founding_requests = Table(
    "founding_requests", metadata,
    Column("id", String(64), primary_key=True),
    Column("parent_id", String(64), nullable=False, index=True),
    Column("proposed_name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("state", String(20), nullable=False),
    Column("unit", JSON, nullable=False),
    Column("covered_units", JSON, nullable=False),
    Column("full_members", Integer, nullable=False),
    Column("counted_from", String(10)),  # records | declared | None (before it was kept)
    Column("probationary_members", Integer, nullable=False),
    Column("founding_members", JSON, nullable=False),
    Column("proposed_committee", JSON, nullable=False),
    Column("requested_on", Date, nullable=False),
    Column("decision_due_on", Date, nullable=False),
    Column("decided_on", Date),
    Column("note", Text),
    Column("rejection_reason", Text),
    Column("meeting_date", Date),
    Column("elected_seats", JSON),
    Column("confirmed_on", Date),
    Column("branch_id", String(64)),
    Column("version", Integer, nullable=False),
)

committees = Table(
    "committees", metadata,
    Column("org_id", String(64), primary_key=True),
    Column("elected_on", Date, nullable=False),
    Column("term_years", Integer, nullable=False),
    Column("term_ends_on", Date, nullable=False, index=True),
    Column("full_members", Integer),
    Column("counted_from", String(10)),  # records | declared | None (before it was kept)
)

committee_seats = Table(
    "committee_seats", metadata,
    Column("org_id", String(64), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("role", String(30), nullable=False),
    Column("name", String(100), nullable=False),
    Column("member_id", String(64), index=True),
)

alliances = Table(
    "alliances", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("formed_on", Date, nullable=False),
    Column("version", Integer, nullable=False),
)

alliance_members = Table(
    "alliance_members", metadata,
    Column("alliance_id", String(64), primary_key=True),
    Column("org_id", String(64), primary_key=True, index=True),
    Column("joined_on", Date, nullable=False),
    Column("since_version", Integer, nullable=False),  # with position: the order they joined in
    Column("position", Integer, nullable=False),
)


# ---- the projector --------------------------------------------------------

def _org_added(conn, e: Envelope):
    p = e.payload
    parent = org_row(conn, p["parent_id"]) if p["parent_id"] else None
    branch = e.event_type == "orgs.branch_founded"
    conn.execute(insert(org_tree).values(
        id=e.aggregate_id, parent_id=p["parent_id"], name=p["name"], kind=p["kind"], status="active",
        path=(parent.path if parent else "/") + e.aggregate_id + "/",
        depth=parent.depth + 1 if parent else 0, unit=p["unit"],
        covered_units=p.get("covered_units", []),
        full_members=p.get("full_members"), probationary_members=p.get("probationary_members"),
        founded_directly=p["founded_directly"] if branch else None,
        founding_request_id=p.get("founding_request_id"),
        created_on=p["founded_on"] if branch else p["created_on"], version=e.aggregate_version))


def _org_renamed(conn, e):
    _update_org(conn, e, name=e.payload["name"])


def _org_dissolved(conn, e):
    _update_org(conn, e, status="dissolved", dissolved_on=e.payload["dissolved_on"],
                dissolution_reason=e.payload["reason"])


def _committee_elected(conn, e):
    p, org_id = e.payload, e.aggregate_id
    conn.execute(delete(committees).where(committees.c.org_id == org_id))
    conn.execute(delete(committee_seats).where(committee_seats.c.org_id == org_id))
    conn.execute(insert(committees).values(org_id=org_id, elected_on=p["elected_on"],
                                           term_years=p["term_years"], term_ends_on=p["term_ends_on"],
                                           full_members=p["full_members"], counted_from=p["counted_from"]))
    conn.execute(insert(committee_seats), [{"org_id": org_id, "position": i, **seat}
                                           for i, seat in enumerate(p["seats"])])
    if p["full_members"] is None:
        _update_org(conn, e)
    else:
        _update_org(conn, e, full_members=p["full_members"])


def _update_org(conn, e, **values):
    conn.execute(update(org_tree).where(org_tree.c.id == e.aggregate_id)
                 .values(version=e.aggregate_version, **values))


def _founding_requested(conn, e):
    p = e.payload
    conn.execute(insert(founding_requests).values(
        id=e.aggregate_id, state="requested", version=e.aggregate_version,
        **{k: p[k] for k in ("parent_id", "proposed_name", "kind", "unit", "covered_units",
                             "full_members", "counted_from", "probationary_members", "founding_members",
                             "proposed_committee", "requested_on", "decision_due_on")}))


def _founding_step(state, **columns):
    """A projector setting ``state`` and copying payload fields into columns."""
    def apply(conn, e):
        conn.execute(update(founding_requests).where(founding_requests.c.id == e.aggregate_id).values(
            state=state, version=e.aggregate_version,
            **{column: e.payload[field] for column, field in columns.items()}))
    return apply


def _alliance_formed(conn, e):
    p = e.payload
    conn.execute(insert(alliances).values(id=e.aggregate_id, name=p["name"], formed_on=p["formed_on"],
                                          version=e.aggregate_version))
    if p["member_org_ids"]:
        conn.execute(insert(alliance_members), [
            {"alliance_id": e.aggregate_id, "org_id": org_id, "joined_on": p["formed_on"],
             "since_version": e.aggregate_version, "position": i}
            for i, org_id in enumerate(p["member_org_ids"])])


def _alliance_member_added(conn, e):
    conn.execute(insert(alliance_members).values(alliance_id=e.aggregate_id, org_id=e.payload["org_id"],
                                                 joined_on=e.payload["joined_on"],
                                                 since_version=e.aggregate_version, position=0))
    _touch_alliance(conn, e)


def _alliance_member_removed(conn, e):
    conn.execute(delete(alliance_members).where(alliance_members.c.alliance_id == e.aggregate_id,
                                                alliance_members.c.org_id == e.payload["org_id"]))
    _touch_alliance(conn, e)


def _touch_alliance(conn, e):
    conn.execute(update(alliances).where(alliances.c.id == e.aggregate_id)
                 .values(version=e.aggregate_version))


HANDLERS = {
    OrgCreated: _org_added,
    BranchFounded: _org_added,
    OrgRenamed: _org_renamed,
    OrgDissolved: _org_dissolved,
    CommitteeElected: _committee_elected,
    FoundingRequested: _founding_requested,
    FoundingApproved: _founding_step("approved", decided_on="decided_on", note="note"),
    FoundingRejected: _founding_step("rejected", decided_on="decided_on",
                                             rejection_reason="reason"),
    FoundingCommitteeElected: _founding_step("committee_elected", meeting_date="meeting_date",
                                                      elected_seats="seats"),
    FoundingConfirmed: _founding_step("confirmed", confirmed_on="confirmed_on",
                                              branch_id="branch_id"),
    AllianceFormed: _alliance_formed,
    AllianceMemberAdded: _alliance_member_added,
    AllianceMemberRemoved: _alliance_member_removed,
}


# v2: where committees' and founding requests' member counts came from (counted_from)
ORG_TREE = ReadModel("org_tree", version=2, handlers=HANDLERS, tables=(
    org_tree, founding_requests, committees, committee_seats, alliances, alliance_members))

project = ORG_TREE.apply


# ---- reads the command handlers' rules need -------------------------------

def org_row(conn, org_id: str, lock: bool = False):
    """The read-model row of ``org_id``. ``lock`` holds it until commit, so that
    placing a child under a parent and dissolving that parent serialise."""
    query = select(org_tree).where(org_tree.c.id == org_id)
    return conn.execute(query.with_for_update() if lock else query).first()


def active_children_count(conn, org_id: str) -> int:
    return conn.execute(select(func.count()).select_from(org_tree).where(
        org_tree.c.parent_id == org_id, org_tree.c.status == "active")).scalar_one()


def sibling_named(conn, parent_id: str | None, name: str):
    """The id of an active organisation called ``name`` under ``parent_id``, if any."""
    parent = org_tree.c.parent_id.is_(None) if parent_id is None else org_tree.c.parent_id == parent_id
    return conn.execute(select(org_tree.c.id).where(parent, org_tree.c.name == name,
                                                    org_tree.c.status == "active")).scalar()
