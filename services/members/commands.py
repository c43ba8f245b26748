"""Command handlers: load the member, read what the rules need from the read
models (the branch, sponsors and contacts), pick the rule set in force on the
act's date, call the domain, save; each runs in the caller's unit of work
(one transaction), personal data included. Arguments are the validated
fields of the command schemas in shared.contracts.members; ``today`` fills
the dates a caller left out."""
import datetime as dt
import uuid

from shared.contracts.members import PIPELINE_STEPS, STAGE_DATES, normalise_id_number
from shared.errors import Conflict, NotFound

from . import org_replica, personal, projections
from .domain import Member
from .vault import Vault
from .rules import rules_in_force

STEP_DATES = {
    "record-talk": "talked_on", "designate-activist": "activist_on", "assign-contacts": "assigned_on",
    "record-assessment": "assessed_on", "approve-candidate": "candidate_on", "assign-sponsors": "assigned_on",
    "record-political-review": "reviewed_on", "record-training": "completed_on", "admission-vote": "meeting_date",
    "approve-admission": "approved_on", "confirm-full": "approved_on", "extend-probation": "decided_on",
    "cancel-probation": "decided_on",
}
"""Each step's own date: it picks the rule set the step is judged by."""
STEP_MEMBERS = {"assign-contacts": ("contact_ids", "contacts"), "assign-sponsors": ("sponsor_ids", "sponsors")}
"""Steps naming other members: (id list field, domain argument of their views)."""

assert set(STEP_DATES) == set(PIPELINE_STEPS), "every published step has a date that picks its rules"


def new_id() -> str:
    return str(uuid.uuid4())


def _org(conn, org_id: str, field: str, lock: bool = False):
    org = org_replica.org_view(conn, org_id, lock=lock)
    if org is None:
        raise NotFound(f"organisation {org_id} is not known to the members service", {field: org_id})
    return org


def _group(conn, group_id: str | None):
    return None if group_id is None else _org(conn, group_id, "group_id")


def _id_number_free(conn, vault, id_number: str, member_id: str | None = None):
    """Names no one: the gateway lets only callers who may write the member this far."""
    if personal.id_number_taken(conn, id_number, except_member=member_id, vault=vault):
        raise Conflict(*personal.DUPLICATE)


def _load(uow, member_id: str) -> Member:
    member = uow.find(Member, member_id)
    if member is None or not member.created:
        raise NotFound(f"member {member_id} does not exist", {"id": member_id})
    return member


def _check_expected(member: Member, expected_version: int | None):
    if expected_version is not None and expected_version != member.version:
        raise Conflict(f"member {member.id} is at version {member.version}, not {expected_version}; "
                       "reload and try again", {"expected_version": expected_version})


def register_member(uow, *, today: dt.date, org_id: str, group_id: str | None = None, stage: str,
                    id_number: str, phone: str, vault: Vault | None = None, **fields) -> str:
    """``vault``: the service's (a throwaway one if None: tests only)."""
    branch = _org(uow.conn, org_id, "org_id", lock=True)
    group = _group(uow.conn, group_id)
    stage_date = fields.get(STAGE_DATES.get(stage, ""))
    rules = rules_in_force(stage_date) if stage != "full" and stage_date is not None else None
    member = Member.register(new_id(), rules=rules, today=today, branch=branch, group=group, stage=stage,
                             id_number=id_number, phone=phone, **fields)
    uow.save(member)
    personal.save_new_members_data(uow.conn, member.id, normalise_id_number(id_number), phone, vault=vault)
    return member.id


def update_member(uow, member_id: str, *, today: dt.date, updated_on: dt.date | None = None,
                  expected_version: int | None = None, vault: Vault | None = None, **changes) -> list[str]:
    member = _load(uow, member_id)
    _check_expected(member, expected_version)
    if member.personal_data_erased and ({"id_number", "phone"} & set(changes)):
        raise Conflict(f"the personal data of member {member_id} was erased; it is not entered again",
                       {field: "erased" for field in ("id_number", "phone") if field in changes})
    group = _group(uow.conn, changes.get("group_id"))
    current = personal.personal_data_of(uow.conn, member_id, vault=vault)
    changed = member.update_profile(today=today, current_personal=current,
                                    changes=changes, group=group, updated_on=updated_on)
    id_number = normalise_id_number(changes["id_number"]) if "id_number" in changed else None
    if id_number is not None:
        _id_number_free(uow.conn, vault, id_number, member_id)
    uow.save(member)
    personal.save_personal_data(uow.conn, member_id, id_number=id_number,
                                phone=changes["phone"] if "phone" in changed else None, vault=vault)
    return changed


def change_status(uow, member_id: str, *, today: dt.date, status: str, reason: str,
                  changed_on: dt.date | None = None, abroad_since: dt.date | None = None,
                  inactive_since: dt.date | None = None, expected_version: int | None = None):
    member = _load(uow, member_id)
    _check_expected(member, expected_version)
    on = changed_on or today
    member.change_status(rules_in_force(on), today=today, status=status, changed_on=on, reason=reason,
                         abroad_since=abroad_since, inactive_since=inactive_since)
    uow.save(member)


def erase_personal_data(uow, member_id: str, *, today: dt.date, reason: str, erased_on: dt.date | None = None,
                        expected_version: int | None = None):
    """Record ``members.personal_data_erased`` and, in the same transaction,
    delete the member's data key and ciphertexts and clear the keyed hash.
    Twice: Conflict."""
    member = _load(uow, member_id)
    _check_expected(member, expected_version)
    member.erase_personal_data(today=today, reason=reason, erased_on=erased_on)
    uow.save(member)
    personal.erase_personal_data(uow.conn, member_id, erased_on or today)


def _members(conn, ids: list[str], field: str):
    views = []
    for member_id in ids:
        view = projections.member_view(conn, member_id)
        if view is None:
            raise NotFound(f"member {member_id} does not exist", {field: member_id})
        views.append(view)
    return views


VOTE_STEPS = ("admission-vote", "confirm-full")
"""Steps that are a branch general meeting's vote: its voters are counted from the records."""


def pipeline_step(uow, member_id: str, step: str, *, today: dt.date, expected_version: int | None = None,
                  **fields):
    """Run one pipeline step (a key of PIPELINE_STEPS) with its validated fields."""
    if step not in PIPELINE_STEPS:
        raise NotFound(f"pipeline step {step[:60]!r} does not exist", {"step": step[:60]})
    member = _load(uow, member_id)
    _check_expected(member, expected_version)
    date_field = STEP_DATES[step]
    fields[date_field] = fields.get(date_field) or today
    if step in STEP_MEMBERS:
        ids_field, argument = STEP_MEMBERS[step]
        fields[argument] = _members(uow.conn, fields.pop(ids_field), ids_field)
    if step in VOTE_STEPS:
        fields["on_record"] = projections.voters_on(uow.conn, member.org_id, fields["meeting_date"])
    getattr(member, step.replace("-", "_"))(rules_in_force(fields[date_field]), today=today, **fields)
    uow.save(member)
