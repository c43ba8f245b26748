"""Queries over the members read models. They return plain dicts shaped like
the response schemas in shared.contracts.members. The ID number and phone
are masked unless ``reveal_personal``."""
import datetime as dt

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from shared.contracts.members import mask_id_number, mask_phone
from shared.errors import NotFound

from .org_events import known_orgs
from .personal import personal_data
from .projections import members

_group = aliased(known_orgs)

STATUS_DETAIL = {"previous_status": None, "reason": None, "grounds": None, "lost_contact_since": None,
                 "suspended_on": None}


def page(items: list, total: int, limit: int, offset: int) -> dict:
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def _member_query():
    return (select(members, personal_data.c.id_number, personal_data.c.phone,
                   known_orgs.c.name.label("org_name"), _group.c.name.label("group_name"))
            .join(personal_data, personal_data.c.member_id == members.c.id, isouter=True)
            .join(known_orgs, known_orgs.c.id == members.c.org_id, isouter=True)
            .join(_group, _group.c.id == members.c.group_id, isouter=True))


def member_dict(row, reveal_personal: bool = False) -> dict:
    member = dict(row._mapping)
    if not reveal_personal:
        member["id_number"] = mask_id_number(member["id_number"])
        member["phone"] = mask_phone(member["phone"])
    member["personal_revealed"] = bool(reveal_personal)
    member["status_detail"] = {**STATUS_DETAIL, **member["status_detail"]} if member["status_detail"] else None
    training = member["training"]
    member["training"] = {"days": sum(t["days"] for t in training),
                          "class_hours": sum(t["class_hours"] for t in training), "sessions": training}
    member.pop("approval_due_on")
    return member


def get_member(conn, member_id: str, reveal_personal: bool = False) -> dict:
    row = conn.execute(_member_query().where(members.c.id == member_id)).first()
    if row is None:
        raise NotFound(f"member {member_id} does not exist", {"id": member_id})
    return member_dict(row, reveal_personal)


def _known_org(conn, org_id: str):
    if conn.execute(select(known_orgs.c.id).where(known_orgs.c.id == org_id)).first() is None:
        raise NotFound(f"organisation {org_id} is not known to the members service", {"org_id": org_id})


def list_members(conn, org_id: str, stage: str | None, status: str | None, limit: int, offset: int) -> dict:
    """Members of a branch (masked), by name."""
    _known_org(conn, org_id)
    where = [members.c.org_id == org_id]
    if stage is not None:
        where.append(members.c.stage == stage)
    if status is not None:
        where.append(members.c.status == status)
    total = conn.execute(select(func.count()).select_from(members).where(*where)).scalar_one()
    rows = conn.execute(_member_query().where(*where).order_by(members.c.name, members.c.id)
                        .limit(limit).offset(offset)).all()
    return page([member_dict(row) for row in rows], total, limit, offset)


DEADLINES = (
    # kind, the date column, which members it concerns
    ("talk", members.c.talk_due_on, and_(members.c.stage == "applicant", members.c.talked_on.is_(None))),
    ("assessment", members.c.next_assessment_due_on, members.c.stage.in_(("activist", "candidate"))),
    ("candidate_eligibility", members.c.candidate_eligible_on, members.c.stage == "activist"),
    ("admission_approval", members.c.approval_due_on, members.c.stage == "candidate"),
    ("probation_end", members.c.probation_ends_on, members.c.stage == "probationary"),
)


def pipeline_due(conn, org_id: str, as_of: dt.date) -> dict:
    """The branch's pipeline deadlines for active members: ``due`` on or after
    ``as_of`` (soonest first), ``overdue`` before it (oldest first). The
    dates were computed when each step was recorded, under the rules in
    force then; ``candidate_eligibility`` is the day an activist may become
    a candidate."""
    _known_org(conn, org_id)
    items = []
    for kind, column, concerns in DEADLINES:
        rows = conn.execute(select(members.c.id, members.c.name, members.c.stage, column.label("due_on")).where(
            members.c.org_id == org_id, members.c.status == "active", concerns, column.is_not(None)))
        items.extend({"member_id": row.id, "name": row.name, "stage": row.stage, "kind": kind,
                      "due_on": row.due_on, "days_left": (row.due_on - as_of).days} for row in rows)
    items.sort(key=lambda item: (item["due_on"], item["name"], item["kind"]))
    return {"as_of": as_of, "due": [i for i in items if i["due_on"] >= as_of],
            "overdue": [i for i in items if i["due_on"] < as_of]}
