"""Queries over the orgs read models (and the event store, for history).
They return plain dicts shaped like the response schemas in
shared.contracts.orgs; ``today`` dates the warnings and due dates."""
import datetime as dt

from sqlalchemy import func, select, true

from shared.errors import NotFound

from . import member_replica
from .domain import committee_warnings, size_warnings
from .projections import (alliance_members, alliances, committee_seats, committees, founding_requests,
                          org_row, org_tree)
from .rules import rules_in_force


def page(items: list, total: int, limit: int, offset: int) -> dict:
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def _paged(conn, query, limit: int, offset: int) -> tuple[list, int]:
    total = conn.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    return conn.execute(query.limit(limit).offset(offset)).all(), total


# ---- organisations -------------------------------------------------------------

def org_dict(row, today: dt.date, counted: dict | None = None) -> dict:
    """The organisation as callers see it; member counts from the members'
    own records (``counted``) replace the declared ones once there are any."""
    org = dict(row._mapping)
    org.pop("path")
    org["counted_from_records"] = counted is not None
    if counted is not None:
        org["full_members"], org["probationary_members"] = counted["full"], counted["probationary"]
    members = None if org["full_members"] is None else org["full_members"] + (org["probationary_members"] or 0)
    org["warnings"] = size_warnings(rules_in_force(today), org["kind"], members)
    return org


def _existing_org(conn, org_id: str):
    row = org_row(conn, org_id)
    if row is None:
        raise NotFound(f"organisation {org_id} does not exist", {"id": org_id})
    return row


def org_dicts(conn, rows, today: dt.date) -> list[dict]:
    counts = member_replica.counts_by_org(conn, [row.id for row in rows])
    return [org_dict(row, today, counts.get(row.id)) for row in rows]


def get_org(conn, org_id: str, today: dt.date) -> dict:
    return org_dicts(conn, [_existing_org(conn, org_id)], today)[0]


def lineage(conn, org_id: str) -> list[str]:
    """The organisation's id and its ancestors' ids, nearest first (from its
    tree path): what the gateway's policy needs to know whose subtree it is in."""
    path = _existing_org(conn, org_id).path
    return [part for part in path.strip("/").split("/") if part][::-1]


def _visible(include_dissolved: bool):
    return true() if include_dissolved else org_tree.c.status == "active"


def get_tree(conn, org_id: str, today: dt.date, include_dissolved: bool = False) -> dict:
    """The organisation with its descendants nested under ``children``, by name."""
    root = _existing_org(conn, org_id)
    rows = conn.execute(select(org_tree).where(
        org_tree.c.path.startswith(root.path, autoescape=True), org_tree.c.id != org_id,
        _visible(include_dissolved)).order_by(org_tree.c.depth, org_tree.c.name)).all()
    dicts = org_dicts(conn, [root, *rows], today)
    nodes = {org_id: {**dicts[0], "children": []}}
    for row, org in zip(rows, dicts[1:]):
        parent = nodes.get(row.parent_id)
        if parent is not None:  # a dissolved parent hides its (dissolved) subtree
            nodes[row.id] = {**org, "children": []}
            parent["children"].append(nodes[row.id])
    return nodes[org_id]


def list_children(conn, org_id: str, limit: int, offset: int, today: dt.date,
                  include_dissolved: bool = False) -> dict:
    _existing_org(conn, org_id)
    query = (select(org_tree).where(org_tree.c.parent_id == org_id, _visible(include_dissolved))
             .order_by(org_tree.c.name, org_tree.c.id))
    rows, total = _paged(conn, query, limit, offset)
    return page(org_dicts(conn, rows, today), total, limit, offset)


def list_orgs(conn, kind: str | None, status: str | None, limit: int, offset: int, today: dt.date) -> dict:
    """Organisations of any place in the tree, roots first, then by depth and name."""
    query = select(org_tree)
    if kind is not None:
        query = query.where(org_tree.c.kind == kind)
    if status is not None:
        query = query.where(org_tree.c.status == status)
    rows, total = _paged(conn, query.order_by(org_tree.c.depth, org_tree.c.name, org_tree.c.id), limit, offset)
    return page(org_dicts(conn, rows, today), total, limit, offset)


def org_history(conn, store, org_id: str, limit: int, offset: int) -> dict:
    """The organisation's own events, oldest first, as they are on the bus."""
    envelopes = store.load_stream(conn, org_id)
    if not envelopes or envelopes[0].aggregate_type != "organisation":
        raise NotFound(f"organisation {org_id} does not exist", {"id": org_id})
    items = [store.catalog.to_wire(envelope) for envelope in envelopes[offset:offset + limit]]
    return page(items, len(envelopes), limit, offset)


# ---- founding requests -----------------------------------------------------------

def _request_dict(row, today: dt.date) -> dict:
    request = dict(row._mapping)
    request["decision_overdue"] = request["state"] == "requested" and today > request["decision_due_on"]
    return request


def get_founding_request(conn, request_id: str, today: dt.date) -> dict:
    row = conn.execute(select(founding_requests).where(founding_requests.c.id == request_id)).first()
    if row is None:
        raise NotFound(f"founding request {request_id} does not exist", {"id": request_id})
    return _request_dict(row, today)


def list_founding_requests(conn, org_id: str, state: str | None, limit: int, offset: int,
                           today: dt.date, scope: str = "subtree") -> dict:
    """Requests addressed to ``org_id`` (the parent, with ``scope`` org), or
    to any organisation of its subtree (the default: a district sees every
    request in it, one query off the tree's paths), newest first."""
    root = _existing_org(conn, org_id)
    if scope == "subtree":
        below = select(org_tree.c.id).where(org_tree.c.path.startswith(root.path, autoescape=True))
        query = select(founding_requests).where(founding_requests.c.parent_id.in_(below))
    else:
        query = select(founding_requests).where(founding_requests.c.parent_id == org_id)
    if state is not None:
        query = query.where(founding_requests.c.state == state)
    query = query.order_by(founding_requests.c.requested_on.desc(), founding_requests.c.id)
    rows, total = _paged(conn, query, limit, offset)
    return page([_request_dict(row, today) for row in rows], total, limit, offset)


# ---- committees ------------------------------------------------------------------

def _committee_dicts(conn, rows, today: dt.date) -> list[dict]:
    org_ids = [row.org_id for row in rows]
    seats = {org_id: [] for org_id in org_ids}
    for seat in conn.execute(select(committee_seats).where(committee_seats.c.org_id.in_(org_ids))
                             .order_by(committee_seats.c.org_id, committee_seats.c.position)):
        seats[seat.org_id].append({"role": seat.role, "name": seat.name, "member_id": seat.member_id})
    rules = rules_in_force(today)
    out = []
    for row in rows:
        days_left = (row.term_ends_on - today).days
        out.append({"org_id": row.org_id, "org_name": row.name, "kind": row.kind,
                    "elected_on": row.elected_on, "term_years": row.term_years,
                    "term_ends_on": row.term_ends_on, "days_left": days_left,
                    "election_due": days_left <= 0, "full_members": row.full_members,
                    "counted_from": row.counted_from,
                    "seats": seats[row.org_id],
                    "warnings": committee_warnings(rules, row.kind, seats[row.org_id])})
    return out


def _committee_query():
    return select(committees, org_tree.c.name, org_tree.c.kind).join(
        org_tree, org_tree.c.id == committees.c.org_id)


def get_committee(conn, org_id: str, today: dt.date) -> dict:
    _existing_org(conn, org_id)
    row = conn.execute(_committee_query().where(committees.c.org_id == org_id)).first()
    if row is None:
        raise NotFound(f"organisation {org_id} has no elected committee", {"id": org_id})
    return _committee_dicts(conn, [row], today)[0]


def due_elections(conn, org_id: str, within_days: int, today: dt.date) -> list[dict]:
    """Committees of active organisations in the subtree whose term ends
    within ``within_days`` or has ended, soonest first."""
    root = _existing_org(conn, org_id)
    rows = conn.execute(_committee_query().where(
        org_tree.c.path.startswith(root.path, autoescape=True), org_tree.c.status == "active",
        committees.c.term_ends_on <= today + dt.timedelta(days=within_days))
        .order_by(committees.c.term_ends_on, org_tree.c.name)).all()
    return _committee_dicts(conn, rows, today)


# ---- alliances -------------------------------------------------------------------

def _alliance_dicts(conn, rows) -> list[dict]:
    ids = [row.id for row in rows]
    members = {alliance_id: [] for alliance_id in ids}
    query = (select(alliance_members, org_tree.c.name, org_tree.c.kind, org_tree.c.status)
             .join(org_tree, org_tree.c.id == alliance_members.c.org_id, isouter=True)
             .where(alliance_members.c.alliance_id.in_(ids))
             .order_by(alliance_members.c.since_version, alliance_members.c.position))
    for member in conn.execute(query):
        members[member.alliance_id].append({"org_id": member.org_id, "name": member.name,
                                            "kind": member.kind, "status": member.status,
                                            "joined_on": member.joined_on})
    return [{**row._mapping, "members": members[row.id],
             "member_org_ids": [m["org_id"] for m in members[row.id]]} for row in rows]


def get_alliance(conn, alliance_id: str) -> dict:
    row = conn.execute(select(alliances).where(alliances.c.id == alliance_id)).first()
    if row is None:
        raise NotFound(f"alliance {alliance_id} does not exist", {"id": alliance_id})
    return _alliance_dicts(conn, [row])[0]


def list_alliances(conn, limit: int, offset: int) -> dict:
    rows, total = _paged(conn, select(alliances).order_by(alliances.c.name, alliances.c.id), limit, offset)
    return page(_alliance_dicts(conn, rows), total, limit, offset)
