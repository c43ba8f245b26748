"""Builders for the members unit tests: members at any point of the pipeline,
valid ID numbers, and the facts command handlers would read."""
import datetime as dt

import pytest

from services.members.checks import MemberView, OrgView
from services.members.commands import STEP_DATES
from services.members.domain import Member
from services.members.rules import rules_in_force
from shared.contracts.members import STAGE_DATES, id_number_check_digit
from shared.errors import RuleViolation
from stage_history import history

TODAY = dt.date(2027, 1, 4)
D = dt.date
BRANCH = OrgView("branch-1", "branch", "active", "committee-1", "Nano Branch")
GROUP = OrgView("group-1", "group", "active", "branch-1", "Lab Group")
BIRTH = D(1995, 5, 4)

# One walk through the pipeline; each step on its own date.
TIMELINE = {
    "applied_on": D(2022, 1, 10), "talked_on": D(2022, 1, 20), "activist_on": D(2022, 3, 1),
    "assigned_on": D(2022, 3, 5), "candidate_on": D(2023, 3, 6), "notice": (D(2023, 2, 20), D(2023, 2, 24)),
    "sponsors_on": D(2023, 3, 10), "reviewed_on": D(2023, 3, 15), "trained_on": D(2023, 3, 20),
    "meeting_date": D(2023, 4, 3), "approved_on": D(2023, 5, 10),
    "full_meeting": D(2024, 4, 10), "full_approved_on": D(2024, 5, 6),
}
VOTE = {"eligible_voters": 10, "present_voters": 8, "yes": 7, "no": 1, "abstain": 0}


def make_id_number(birth_date=BIRTH, seq="123", region="320506") -> str:
    first17 = region + birth_date.strftime("%Y%m%d") + seq
    return first17 + id_number_check_digit(first17)


def full_member(member_id, org_id="branch-1", stage="full", status="active", name=None) -> MemberView:
    return MemberView(member_id, name or f"Member {member_id}", org_id, stage, status)


SPONSORS = [full_member("s-1"), full_member("s-2")]


def register(stage="applicant", birth_date=BIRTH, today=TODAY, branch=BRANCH, group=None, rules=None,
             member_id="m-1", complete=True, legacy_exception=None, **dates) -> Member:
    """A member registered at ``stage`` with ``dates``; ``complete``: the
    earlier steps' dates filled in by ``stage_history.history``."""
    if stage == "applicant":
        dates.setdefault("applied_on", TIMELINE["applied_on"])
    if complete:
        dates = history(stage, **dates)
    stage_date = dates.get(STAGE_DATES[stage])
    if rules is None and stage != "full":
        rules = rules_in_force(stage_date)
    return Member.register(member_id, rules=rules, today=today, branch=branch, group=group, name="Li Ming",
                           gender="male", birth_date=birth_date, ethnicity="Han", education="Master",
                           employer="Nano Tech Co.", id_number=make_id_number(birth_date), phone="13812345678",
                           stage=stage, legacy_exception=legacy_exception, **dates)


def step(member, name, day, **fields):
    """Run pipeline step ``name`` on ``day`` under the rules in force that day."""
    fields[STEP_DATES[name]] = day
    getattr(member, name.replace("-", "_"))(rules_in_force(day), today=TODAY, **fields)
    return member


def refused(member, name, day, **fields):
    """Run a step that the rules must refuse: the RuleViolation, once it is
    clear that the refused step recorded nothing."""
    before = len(member.pending_events)
    with pytest.raises(RuleViolation) as error:
        step(member, name, day, **fields)
    assert len(member.pending_events) == before, "a refused step records nothing"
    return error.value


def walk(until: str) -> Member:
    """A member taken through the pipeline up to and including step ``until``."""
    t = TIMELINE
    steps = [
        ("record-talk", t["talked_on"], {"talked_by": "Wang Fang"}),
        ("designate-activist", t["activist_on"], {}),
        ("assign-contacts", t["assigned_on"], {"contacts": [full_member("c-1")]}),
        ("approve-candidate", t["candidate_on"], {"public_notice_from": t["notice"][0],
                                                  "public_notice_to": t["notice"][1]}),
        ("assign-sponsors", t["sponsors_on"], {"sponsors": SPONSORS}),
        ("record-political-review", t["reviewed_on"], {"passed": True}),
        ("record-training", t["trained_on"], {"days": 3}),
        ("admission-vote", t["meeting_date"], dict(VOTE)),
        ("approve-admission", t["approved_on"], {}),
        ("confirm-full", t["full_approved_on"], {"meeting_date": t["full_meeting"], **VOTE}),
    ]
    member = register()
    for name, day, fields in steps:
        step(member, name, day, **fields)
        if name == until:
            return member
    raise AssertionError(f"no step {until}")


def register_handled(run, seq: str, org_id: str, stage="full", birth_date=BIRTH, today=TODAY, **fields) -> str:
    """A member registered through the command handler (``run``: the unit
    of work runner) at ``stage``; a full member's history filled in unless given."""
    from services.members import commands
    if stage != "applicant" and not any(name.endswith("_on") for name in fields):
        fields.update(history(stage, **{STAGE_DATES[stage]: D(2020, 7, 1)}))
    return run(commands.register_member, today=today, name=fields.pop("name", f"Member {seq}"), gender="male",
               birth_date=birth_date, ethnicity="Han", education="Master", employer="Nano Tech Co.",
               id_number=make_id_number(birth_date, seq), phone=fields.pop("phone", "13812345678"), org_id=org_id,
               stage=stage,
               **fields)
