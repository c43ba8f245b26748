"""Queries over the members read models. They return plain dicts shaped like
the response schemas in shared.contracts.members (a branch's list: JSON-ready
lean rows, ``MemberRowOut``, with no personal data in them).

Personal data is decrypted with the service's vault and shown only to a
caller who may see it (``shared.access.Principal.may_see_personal_data``
with the member's lineage: their branch and its ancestors in
``known_orgs``); anyone else, and a call without a verified principal, gets
the ID number and phone masked and ``birth_date`` null (with it, the masked
ID number could be worked out)."""
import datetime as dt

import orjson
from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.orm import aliased

from shared import codec
from shared.contracts.members import (MEMBER_PATH, PHONE_PATTERN, STAGE_DATES, id_number_problem, mask_id_number,
                                      mask_phone, normalise_id_number)
from shared.vocabulary import BRANCH_KINDS
from shared.contracts.transfers import PENDING_TRANSFER_STATES
from shared.database import driver_rows
from shared.errors import InvalidInput, NotFound

from .transfers import queries as transfer_queries
from .org_replica import known_orgs, org_kind, subtree_ids
from .personal import decrypt_row, find_by_personal_data, member_keys, member_secrets
from .projections import members
from .transfers.projections import transfers

_group = aliased(known_orgs)

STATUS_DETAIL = {"previous_status": None, "reason": None, "grounds": None, "lost_contact_since": None,
                 "suspended_on": None}
MAX_LINEAGE = 32
"""Deeper than any organisation tree; stops a cycle in bad data."""


def page(items: list, total: int, limit: int, offset: int) -> dict:
    return {"items": items, "total": total, "limit": limit, "offset": offset}


_PARENTS: dict = {}
"""(database, org id) -> parent id, for organisations whose row is known: an
organisation never changes parent, so once read it holds for the process."""
MAX_CACHED = 100_000


def lineage(conn, org_id: str | None) -> tuple:
    """The organisation and all its ancestors, from ``known_orgs``; each
    parent link is read once per process (it never changes)."""
    chain, current, database = [], org_id, str(conn.engine.url)
    while current is not None and current not in chain and len(chain) < MAX_LINEAGE:
        chain.append(current)
        key = (database, current)
        if key not in _PARENTS:
            row = conn.execute(select(known_orgs.c.parent_id, known_orgs.c.kind)
                               .where(known_orgs.c.id == current)).first()
            if row is None or row.kind is None:  # not known yet: read again next time
                break
            if len(_PARENTS) >= MAX_CACHED:
                _PARENTS.clear()
            _PARENTS[key] = row.parent_id
        current = _PARENTS[key]
    return tuple(chain)


def may_reveal(principal, member_id: str, member_lineage) -> bool:
    """``member_lineage``: the lineage, or a function giving it (asked only
    when the caller is not the member themself)."""
    if principal is None:
        return False
    if principal.is_member(member_id):
        return True
    return principal.may_see_personal_data(member_id, member_lineage() if callable(member_lineage)
                                           else member_lineage)


def _member_query():
    return (select(members, member_secrets.c.id_number.label("id_number_ct"), member_secrets.c.phone.label("phone_ct"),
                   member_secrets.c.erased_on, member_keys.c.wrapped_key,
                   known_orgs.c.name.label("org_name"), _group.c.name.label("group_name"))
            .join(member_secrets, member_secrets.c.member_id == members.c.id, isouter=True)
            .join(member_keys, member_keys.c.member_id == members.c.id, isouter=True)
            .join(known_orgs, known_orgs.c.id == members.c.org_id, isouter=True)
            .join(_group, _group.c.id == members.c.group_id, isouter=True))


def member_dict(row, vault, reveal: bool = False, exclude=()) -> dict:
    """The member as callers see it; ``reveal``: whether this caller may see
    the personal data (decided by ``may_reveal``); ``exclude``: columns of
    the row that are not the member's."""
    member = {key: value for key, value in row._mapping.items() if key not in exclude}
    erased = member.pop("erased_on") is not None
    secrets = decrypt_row(vault, member["id"], member.pop("wrapped_key"), member.pop("id_number_ct"),
                          member.pop("phone_ct"))
    member.update(secrets if not erased else {"id_number": None, "phone": None})
    if not reveal:
        member["id_number"] = mask_id_number(member["id_number"])
        member["phone"] = mask_phone(member["phone"])
        member["birth_date"] = None
    member["personal_revealed"] = bool(reveal)
    member["personal_data_erased"] = erased
    member["status_detail"] = {**STATUS_DETAIL, **member["status_detail"]} if member["status_detail"] else None
    training = member["training"]
    member["training"] = {"days": sum(t["days"] for t in training),
                          "class_hours": sum(t["class_hours"] for t in training), "sessions": training}
    member.pop("approval_due_on")
    return member


def _member_row(conn, member_id: str):
    row = conn.execute(_ONE_MEMBER, {"member_id": member_id}).first()
    if row is None:
        raise NotFound(f"member {member_id} does not exist", {"id": member_id})
    return row


_ONE_MEMBER = _member_query().where(members.c.id == bindparam("member_id"))


def member_place(conn, member_id: str) -> dict:
    row = conn.execute(select(members.c.org_id, members.c.version).where(members.c.id == member_id)).first()
    if row is None:
        raise NotFound(f"member {member_id} does not exist", {"id": member_id})
    return {"org_id": row.org_id, "version": row.version}


def get_member(conn, member_id: str, principal=None, *, vault=None) -> dict:
    """The member, personal data shown if ``principal`` may see it."""
    row = _member_row(conn, member_id)
    return member_dict(row, vault, may_reveal(principal, member_id, lambda: lineage(conn, row.org_id)))


DEADLINES = (
    # kind, the date column, which members it concerns
    ("talk", members.c.talk_due_on, and_(members.c.stage == "applicant", members.c.talked_on.is_(None))),
    ("assessment", members.c.next_assessment_due_on, members.c.stage.in_(("activist", "candidate"))),
    ("candidate_eligibility", members.c.candidate_eligible_on, members.c.stage == "activist"),
    ("admission_approval", members.c.approval_due_on, members.c.stage == "candidate"),
    ("probation_end", members.c.probation_ends_on, members.c.stage == "probationary"),
)


def pipeline_due(conn, org_id: str, as_of: dt.date, scope: str = "subtree") -> dict:
    """The pipeline deadlines of the organisation's members (``in_scope``:
    a committee's whole subtree by default) who are active: ``due`` on or
    after ``as_of`` (soonest first), ``overdue`` before it (oldest first). The
    dates were computed when each step was recorded, under the rules in
    force then; ``candidate_eligibility`` is the day an activist may become
    a candidate."""
    place = in_scope(conn, org_id, scope)
    items = []
    for kind, column, concerns in DEADLINES:
        rows = conn.execute(select(members.c.id, members.c.name, members.c.org_id, members.c.stage,
                                   column.label("due_on")).where(
            place, members.c.status == "active", concerns, column.is_not(None)), {"org_id": org_id})
        items.extend({"member_id": row.id, "name": row.name, "org_id": row.org_id, "stage": row.stage,
                      "kind": kind, "due_on": row.due_on, "days_left": (row.due_on - as_of).days} for row in rows)
    items.sort(key=lambda item: (item["due_on"], item["name"], item["kind"]))
    return {"as_of": as_of, "due": [i for i in items if i["due_on"] >= as_of],
            "overdue": [i for i in items if i["due_on"] < as_of]}


def _deadline_columns():
    return [case((concerns, column)).label(f"deadline_{kind}") for kind, column, concerns in DEADLINES]


# ---- a branch's list: lean rows ------------------------------------------------------

_STAGE_SINCE = case({stage: members.c[column] for stage, column in STAGE_DATES.items()},
                    value=members.c.stage).label("stage_since")
_DEADLINE_KINDS = tuple(kind for kind, _, _ in DEADLINES)
_ROW_COLUMNS = (members.c.id, members.c.name, members.c.gender, members.c.org_id, members.c.group_id, _group.c.name.label("group_name"),
                members.c.stage, _STAGE_SINCE, members.c.status, members.c.status_since, *_deadline_columns())
"""What ``MemberRowOut`` shows, in the order ``_row`` unpacks it (the
branch's total follows on every row): no JSON column, nothing from
``member_secrets`` or ``member_keys`` (a list shows no personal data, so
nothing is decrypted)."""


PLACES = {
    "branch": lambda: members.c.org_id == bindparam("org_id"),
    "group": lambda: members.c.group_id == bindparam("org_id"),
    "subtree": lambda: in_subtree(subtree_ids()),
}
"""Where an organisation's members are, by how its list is read: a branch's
(its party groups' members are the branch's), a party group's (the members
naming it), and a committee's or general branch's whole subtree (one
recursive query, whatever the depth)."""


def in_subtree(tree):
    """A member of ``tree``: placed in one of its organisations, or in a party group of it."""
    ids = select(tree.c.id)
    return members.c.org_id.in_(ids) | members.c.group_id.in_(ids)


def place_of(conn, org_id: str, scope: str = "subtree") -> str:
    """Which of ``PLACES`` holds the organisation's list under ``scope``."""
    kind = org_kind(conn, org_id)
    if kind in BRANCH_KINDS:
        return "branch"
    if kind == "group":
        return "group"
    return "subtree" if scope == "subtree" else "branch"


def in_scope(conn, org_id: str, scope: str = "subtree"):
    """The members of the organisation's list as a where clause (its ``org_id`` bound)."""
    return PLACES[place_of(conn, org_id, scope)]()


def _list_statement(place: str, by_stage: bool, by_status: bool):
    """The page is chosen first, narrow (id, name and the list's total: for
    a branch, off the ``ix_members_org_name`` index), then joined to its
    rows: the total's window then holds ids, not whole rows (2.9 -> 1.0-1.5
    ms for a page of 200 in a branch of 1,000, EXPLAIN ANALYZE)."""
    where = [PLACES[place]()]
    if by_stage:
        where.append(members.c.stage == bindparam("stage"))
    if by_status:
        where.append(members.c.status == bindparam("status"))
    chosen = (select(members.c.id, members.c.name, func.count().over().label("total")).where(*where)
              .order_by(members.c.name, members.c.id).limit(bindparam("limit")).offset(bindparam("offset"))
              .cte("chosen"))
    return (select(*_ROW_COLUMNS, chosen.c.total)
            .select_from(chosen.join(members, members.c.id == chosen.c.id)
                         .outerjoin(_group, _group.c.id == members.c.group_id))
            .order_by(chosen.c.name, chosen.c.id),
            select(func.count()).select_from(members).where(*where))


_LIST = {(place, by_stage, by_status): _list_statement(place, by_stage, by_status)
         for place in PLACES for by_stage in (False, True) for by_status in (False, True)}
"""(place, filter by stage?, by status?) -> (the page, the count alone):
built once (see ``_ME``)."""


def _iso(value) -> str | None:
    """A date of ``driver_rows`` as ISO text (SQLite's already is)."""
    return value if value is None or isinstance(value, str) else value.isoformat()


def _row(row) -> dict:
    """A ``MemberRowOut``, JSON-ready (dates as ISO strings): a plain dict
    made straight from the row, no schema dump per row."""
    member_id, name, gender, org_id, group_id, group_name, stage, stage_since, status, status_since, *due, _total = row
    next_deadline = None
    if status == "active":  # as ``me``: deadlines concern active members only
        soonest = None
        for kind, due_on in zip(_DEADLINE_KINDS, due):
            if due_on is not None and (soonest is None or due_on < soonest[1]):
                soonest = (kind, due_on)
        if soonest is not None:
            next_deadline = {"kind": soonest[0], "due_on": _iso(soonest[1])}
    return {"id": member_id, "href": MEMBER_PATH + member_id, "name": name, "gender": gender, "org_id": org_id,
            "group_id": group_id, "group_name": group_name, "stage": stage, "stage_since": _iso(stage_since),
            "status": status, "status_since": _iso(status_since), "next_deadline": next_deadline}


def list_members(conn, org_id: str, stage: str | None, status: str | None, limit: int, offset: int,
                 scope: str = "subtree") -> dict:
    """A page of the organisation's members by name (then id), as lean rows
    (``MemberRowOut``: the full record is at each row's ``href``), JSON-ready:
    a branch's with its party groups', a party group's, or for a committee
    or general branch its whole subtree (``scope``, ``PLACES``).

    One round trip: the page and the total (a window count) in one query
    (the organisation's kind is read once per process). Only a page past
    the end asks the total alone. Nobody's personal data is in a row, so
    the caller's principal and the vault are not needed."""
    statement, count = _LIST[place_of(conn, org_id, scope), stage is not None, status is not None]
    params = {"org_id": org_id, "stage": stage, "status": status, "limit": limit, "offset": offset}
    rows = driver_rows(conn, statement, params)
    if rows:
        total = rows[0][-1]
    else:
        total = conn.execute(count, params).scalar_one() if offset else 0
    return page([_row(row) for row in rows], total, limit, offset)


# ---- search ----------------------------------------------------------------------------

def search_roots(principal) -> frozenset | None:
    """The organisations whose subtrees a caller's search covers: None for
    the whole district (district_admin, a district auditor)."""
    if principal is None:
        return frozenset()
    if principal.is_district_admin or principal.audits_district:
        return None
    return principal.admin_orgs | principal.audit_orgs


def _personal_term(q: str) -> dict:
    """What a search term may be besides a name: an ID number (exact, its
    check digit right) or a phone number."""
    id_number = normalise_id_number(q)
    if len(id_number) == 18 and id_number_problem(id_number) is None:
        return {"id_number": id_number}
    if PHONE_PATTERN.fullmatch(q.strip()):
        return {"phone": q}
    return {}


def search_members(conn, principal, q: str, limit: int, offset: int, org_id: str | None = None, *,
                   vault=None) -> dict:
    """Members within the caller's scope (``search_roots``, or ``org_id``'s
    subtree, which the gateway checked the caller covers) whose name holds
    ``q``, or whose ID number or phone is ``q`` where the caller may see
    that member's personal data (an auditor finds by name only; a match by
    ID number outside the caller's reach says nothing). Lean rows
    (``MemberRowOut``) by name, a page at a time."""
    roots = search_roots(principal) if org_id is None else frozenset({org_id})
    if org_id is not None:
        org_kind(conn, org_id)
    if roots is not None and not roots:
        return page([], 0, limit, offset)
    personal = _personal_term(q)
    found = find_by_personal_data(conn, vault, **personal) if personal else set()
    if found:
        places = dict(conn.execute(select(members.c.id, members.c.org_id).where(members.c.id.in_(found))).all())
        found = {member_id for member_id, place in places.items()
                 if may_reveal(principal, member_id, lambda place=place: lineage(conn, place))}
    matches = members.c.name.icontains(q.strip(), autoescape=True)
    if found:
        matches = matches | members.c.id.in_(sorted(found))
    where = [matches]
    if roots is not None:
        where.append(in_subtree(subtree_ids(roots=sorted(roots))))
    rows = conn.execute(select(*_ROW_COLUMNS, func.count().over().label("total"))
                        .select_from(members.outerjoin(_group, _group.c.id == members.c.group_id))
                        .where(*where).order_by(members.c.name, members.c.id).limit(limit).offset(offset)).all()
    total = rows[0][-1] if rows else (conn.execute(select(func.count()).select_from(members).where(*where))
                                      .scalar_one() if offset else 0)
    return page([_row(row) for row in rows], total, limit, offset)


def member_names(conn, member_ids: list[str]) -> dict[str, str]:
    return dict(conn.execute(select(members.c.id, members.c.name).where(members.c.id.in_(member_ids))).all())


MAX_ROSTER = 20_000
"""Members in one roster export (a district of 6,234 and room to spare)."""


def roster(conn, org_id: str, principal=None, *, vault=None) -> list[dict]:
    """Every member of the organisation's list (its whole subtree, as
    ``list_members``), full records by branch and name, personal data shown
    where the caller may see it (decided per member, as ``get_member``).
    More than ``MAX_ROSTER`` is refused (export a part of the tree), never cut."""
    rows = conn.execute(_member_query().where(in_scope(conn, org_id)).order_by(members.c.org_id, members.c.name,
                                                                               members.c.id)
                        .limit(MAX_ROSTER + 1), {"org_id": org_id}).all()
    if len(rows) > MAX_ROSTER:
        raise InvalidInput(f"more than {MAX_ROSTER} members in one roster: export an organisation lower in the tree",
                           {"org_id": org_id})
    return [member_dict(row, vault, may_reveal(principal, row.id, lambda row=row: lineage(conn, row.org_id)))
            for row in rows]


def list_legacy_exceptions(conn, org_id: str, limit: int, offset: int) -> dict:
    """The members of the organisation's whole subtree whose history was
    entered as a legacy exception (docs/domain.md §2.8), newest first."""
    where = (in_scope(conn, org_id), members.c.legacy_exception.is_not(None))
    params = {"org_id": org_id}
    total = conn.execute(select(func.count()).select_from(members).where(*where), params).scalar_one()
    rows = conn.execute(
        select(members.c.id, members.c.name, members.c.stage, members.c.org_id, known_orgs.c.name.label("org_name"),
               members.c.legacy_exception)
        .join(known_orgs, known_orgs.c.id == members.c.org_id, isouter=True).where(*where)
        .order_by(members.c.registered_on.desc(), members.c.name, members.c.id).limit(limit).offset(offset), params)
    return page([{"member_id": row.id, "href": MEMBER_PATH + row.id, "name": row.name, "stage": row.stage,
                  "org_id": row.org_id, "org_name": row.org_name, "legacy_exception": row.legacy_exception}
                 for row in rows], total, limit, offset)


def page_json(page: dict) -> str:
    """A page of ``list_members`` as JSON text (orjson: a tenth of the
    standard encoder's time for a page of 200 rows)."""
    return orjson.dumps(page).decode()


def _soonest(mapping: dict) -> dict | None:
    """The soonest of the ``deadline_*`` values in ``mapping`` (removed from it)."""
    found = [{"kind": kind, "due_on": mapping.pop(f"deadline_{kind}")} for kind, _, _ in DEADLINES]
    found = [item for item in found if item["due_on"] is not None]
    return min(found, key=lambda item: item["due_on"]) if found else None


def next_deadline(conn, member_id: str) -> dict | None:
    """The member's soonest pipeline deadline (the columns and conditions of
    ``pipeline_due``; active members only), or None: one query."""
    row = conn.execute(select(*_deadline_columns()).where(members.c.id == member_id,
                                                          members.c.status == "active")).first()
    return _soonest(dict(row._mapping)) if row is not None else None


def _open_transfer_id():
    return (select(transfers.c.id).where(transfers.c.member_id == members.c.id,
                                         transfers.c.state.in_(PENDING_TRANSFER_STATES))
            .order_by(transfers.c.requested_on.desc(), transfers.c.id).limit(1)
            .scalar_subquery().label("open_transfer_id"))


def open_transfer(conn, store, member_id: str, today: dt.date) -> dict | None:
    """The member's transfer that is not final (at most one), with its timeline."""
    transfer_id = conn.execute(select(_open_transfer_id()).where(members.c.id == member_id)).scalar()
    return None if transfer_id is None else transfer_queries.get_transfer(conn, store, transfer_id, today)


_ME = _member_query().add_columns(*_deadline_columns(), _open_transfer_id()).where(
    members.c.id == bindparam("member_id"))
"""Built once: a statement made anew on every call costs more to build than to run."""


def me(conn, store, member_id: str, today: dt.date, principal=None, *, vault=None) -> dict:
    """A member's summary: the record, the next deadline, the open transfer;
    one query, and two more only while a transfer is open."""
    row = conn.execute(_ME, {"member_id": member_id}).first()
    if row is None:
        raise NotFound(f"member {member_id} does not exist", {"id": member_id})
    extra = {key: value for key, value in row._mapping.items()
             if key.startswith("deadline_") or key == "open_transfer_id"}
    transfer_id = extra.pop("open_transfer_id")
    member = member_dict(row, vault, may_reveal(principal, member_id, lambda: lineage(conn, row.org_id)),
                         exclude=extra)
    return {"member": member,
            "next_deadline": _soonest(extra) if row.status == "active" else None,
            "open_transfer": None if transfer_id is None else
            transfer_queries.get_transfer(conn, store, transfer_id, today)}


HIDDEN_UNLESS_REVEALED = ("birth_date",)
"""Payload fields of the member's events shown only to a caller who may see
the personal data (the events never carry the ID number or phone)."""


def member_history(conn, store, member_id: str, limit: int, offset: int, principal=None) -> dict:
    """The member's own events, oldest first, as they are on the bus (a
    transfer's workflow is its own aggregate: get_transfer's timeline)."""
    envelopes = store.load_stream(conn, member_id)
    if not envelopes or envelopes[0].aggregate_type != "member":
        raise NotFound(f"member {member_id} does not exist", {"id": member_id})
    reveal = may_reveal(principal, member_id, lineage(conn, envelopes[-1].payload.get("org_id")))
    items = []
    for envelope in envelopes[offset:offset + limit]:
        wire = store.catalog.to_wire(envelope)
        if not reveal:
            payload = codec.to_jsonable(wire["payload"])
            wire = {**wire, "payload": {k: (None if k in HIDDEN_UNLESS_REVEALED else v)
                                        for k, v in payload.items()}}
        items.append(wire)
    return page(items, len(envelopes), limit, offset)
