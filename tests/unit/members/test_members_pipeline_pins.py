"""The development pipeline pinned on what the branch reads back: every
step's event, field by field, with who decided and the note; the stages and
statuses each step takes; and every refusal's rule, message and named fields,
under the rule set in force (or a changed one where a rule set could say so)."""

import dataclasses
import datetime as dt
from fractions import Fraction

import pytest

from members_builders import SPONSORS, TIMELINE, TODAY, VOTE, full_member, register, walk
from services.members.admission import check_vote
from services.members.commands import STEP_DATES
from services.members.rules import rules_in_force
from shared.errors import DomainError

D = dt.date
T = TIMELINE
RULES = rules_in_force(T["candidate_on"])
BY = "Branch committee"


def do(member, name, day, rules=None, **fields):
    """Step ``name`` on ``day``, decided by the branch committee with a note,
    under ``rules`` (by default the set in force that day)."""
    fields[STEP_DATES[name]] = day
    fields.setdefault("decided_by", BY)
    fields.setdefault("note", f"note on {name}")
    getattr(member, name.replace("-", "_"))(rules or rules_in_force(day), today=TODAY, **fields)
    return member.pending_events[-1]


# Each step after the one before it, with the facts its event adds to the member's state.
WALK = [
    (
        "record-talk",
        T["talked_on"],
        {"talked_by": "Wang Fang"},
        "members.talk_recorded",
        {"talked_on": T["talked_on"], "talked_by": "Wang Fang", "due_on": D(2022, 2, 10), "late": False},
    ),
    (
        "designate-activist",
        T["activist_on"],
        {"filed_on": D(2022, 3, 2)},
        "members.activist_designated",
        {
            "stage": "activist",
            "activist_on": T["activist_on"],
            "filed_on": D(2022, 3, 2),
            "candidate_eligible_on": D(2023, 3, 1),
            "next_assessment_due_on": D(2022, 9, 1),
        },
    ),
    (
        "assign-contacts",
        T["assigned_on"],
        {"contacts": [full_member("c-1")]},
        "members.contacts_assigned",
        {"assigned_on": T["assigned_on"], "contacts": [{"member_id": "c-1", "name": "Member c-1"}]},
    ),
    (
        "record-assessment",
        D(2022, 9, 1),
        {"result": "good"},
        "members.assessment_recorded",
        {"assessed_on": D(2022, 9, 1), "result": "good", "next_assessment_due_on": D(2023, 3, 1)},
    ),
    (
        "approve-candidate",
        T["candidate_on"],
        {
            "public_notice_from": T["notice"][0],
            "public_notice_to": T["notice"][1],
            "filed_on": D(2023, 3, 7),
            "parent_approved_on": D(2023, 3, 8),
        },
        "members.candidate_approved",
        {
            "stage": "candidate",
            "candidate_on": T["candidate_on"],
            "public_notice_from": T["notice"][0],
            "public_notice_to": T["notice"][1],
            "public_notice_working_days": 5,
            "filed_on": D(2023, 3, 7),
            "parent_approved_on": D(2023, 3, 8),
        },
    ),
    (
        "assign-sponsors",
        T["sponsors_on"],
        {"sponsors": SPONSORS},
        "members.sponsors_assigned",
        {
            "assigned_on": T["sponsors_on"],
            "warnings": [],
            "sponsors": [
                {"member_id": "s-1", "name": "Member s-1", "org_id": "branch-1", "same_branch": True},
                {"member_id": "s-2", "name": "Member s-2", "org_id": "branch-1", "same_branch": True},
            ],
        },
    ),
    (
        "record-political-review",
        T["reviewed_on"],
        {"passed": True},
        "members.political_review_recorded",
        {"reviewed_on": T["reviewed_on"], "passed": True},
    ),
    (
        "record-training",
        T["trained_on"],
        {"days": 2, "class_hours": 8, "course": "party school"},
        "members.training_recorded",
        {
            "completed_on": T["trained_on"],
            "days": 2,
            "class_hours": 8,
            "course": "party school",
            "total_days": 2,
            "total_class_hours": 8,
        },
    ),
    (
        "record-training",
        D(2023, 3, 21),
        {"days": 1},
        "members.training_recorded",
        {
            "completed_on": D(2023, 3, 21),
            "days": 1,
            "class_hours": 0,
            "course": None,
            "total_days": 3,
            "total_class_hours": 8,
        },
    ),
    (
        "admission-vote",
        T["meeting_date"],
        dict(VOTE),
        "members.admission_voted",
        {
            "meeting_date": T["meeting_date"],
            **VOTE,
            "counted_from": "declared",
            "attendee_ids": None,
            "approval_due_on": D(2023, 7, 3),
            "approval_due_on_special": D(2023, 10, 3),
        },
    ),
    (
        "approve-admission",
        T["approved_on"],
        {"special": True},
        "members.admission_approved",
        {
            "stage": "probationary",
            "approved_on": T["approved_on"],
            "special": True,
            "admitted_on": T["meeting_date"],
            "probation_ends_on": D(2024, 4, 3),
        },
    ),
    (
        "extend-probation",
        D(2024, 4, 3),
        {"months": 6, "reason": "more study", "approved_on": D(2024, 4, 9)},
        "members.probation_extended",
        {
            "decided_on": D(2024, 4, 3),
            "months": 6,
            "reason": "more study",
            "approved_on": D(2024, 4, 9),
            "previous_ends_on": D(2024, 4, 3),
            "probation_ends_on": D(2024, 10, 3),
        },
    ),
    (
        "confirm-full",
        D(2024, 11, 6),
        {"meeting_date": D(2024, 10, 10), **VOTE, "special": False},
        "members.confirmed_full",
        {
            "stage": "full",
            "meeting_date": D(2024, 10, 10),
            **VOTE,
            "counted_from": "declared",
            "attendee_ids": None,
            "approved_on": D(2024, 11, 6),
            "special": False,
            "full_on": D(2024, 10, 3),
        },
    ),
]


def test_every_step_records_its_facts_who_decided_and_the_note():
    member = register()
    state = {"org_id": "branch-1", "group_id": None, "stage": "applicant", "status": "active"}
    for name, day, fields, event_type, facts in WALK:
        event = do(member, name, day, **fields)
        state["stage"] = facts.get("stage", state["stage"])
        assert event.event_type == event_type
        assert event.payload == {
            **state,
            "decided_by": BY,
            "note": f"note on {name}",
            "rules_version": "2014",
            **facts,
        }, name


def test_a_cancelled_probation_records_the_decision_and_leaves_the_stage():
    member = walk("approve-admission")
    event = do(member, "cancel-probation", D(2023, 9, 1), reason="broke discipline")
    assert event.payload == {
        "org_id": "branch-1",
        "group_id": None,
        "stage": "probationary",
        "status": "left",
        "decided_by": BY,
        "note": "note on cancel-probation",
        "rules_version": "2014",
        "decided_on": D(2023, 9, 1),
        "reason": "broke discipline",
    }


def test_contacts_and_assessments_go_on_once_a_candidate():
    member = walk("approve-candidate")
    assert do(member, "assign-contacts", D(2023, 3, 7), contacts=[full_member("c-2")]).payload["stage"] == "candidate"
    assert do(member, "record-assessment", D(2023, 3, 8), result="good").payload["stage"] == "candidate"


def test_sponsors_may_be_assigned_to_an_activist_before_candidacy():
    member = walk("assign-contacts")
    assert do(member, "assign-sponsors", D(2022, 3, 6), sponsors=SPONSORS).payload["stage"] == "activist"


def test_an_assessment_is_dated_after_the_candidacy_when_none_came_before():
    member = register(stage="candidate", candidate_on=D(2023, 3, 6))
    member.activist_on = None  # a record registered before every earlier step's date was required
    with pytest.raises(DomainError) as refused:
        do(member, "record-assessment", D(2023, 3, 5), result="good")
    assert refused.value.fields == {"assessed_on": "2023-03-05"}


def lost(until):
    member = walk(until)
    member.change_status(
        rules_in_force(D(2024, 12, 1)),
        today=TODAY,
        status="lost_contact",
        changed_on=D(2024, 12, 1),
        reason="moved away",
    )
    return member


def stage(step, stages, current):
    return {
        "code": "rule_violation",
        "rule": "members.pipeline.stage",
        "message": f"{step} needs a member at stage {stages}; this one is {current}",
        "fields": {"stage": current},
    }


def inactive(step):
    return {
        "code": "rule_violation",
        "rule": "members.pipeline.active_status",
        "message": f"{step} needs an active member; this one is lost_contact",
        "fields": {"status": "lost_contact"},
    }


def future(field):
    return {"code": "invalid_input", "message": f"{field} 2027-01-05 is in the future", "fields": {field: "2027-01-05"}}


def before(field, day, what, earlier):
    return {"code": "invalid_input", "message": f"{field} {day} is before {what} ({earlier})", "fields": {field: day}}


TOMORROW = TODAY + dt.timedelta(days=1)
REFUSALS = {
    # ---- stage and status ----
    "talk with an activist": (
        lambda: do(walk("designate-activist"), "record-talk", D(2022, 3, 2), talked_by="W"),
        stage("record-talk", "applicant", "activist"),
    ),
    "designate an activist twice": (
        lambda: do(walk("designate-activist"), "designate-activist", D(2022, 3, 2)),
        stage("designate-activist", "applicant", "activist"),
    ),
    "contacts for an applicant": (
        lambda: do(register(), "assign-contacts", D(2022, 3, 5), contacts=[full_member("c")]),
        stage("assign-contacts", "activist or candidate", "applicant"),
    ),
    "assess an applicant": (
        lambda: do(register(), "record-assessment", D(2022, 9, 1), result="good"),
        stage("record-assessment", "activist or candidate", "applicant"),
    ),
    "candidate twice": (
        lambda: do(walk("approve-candidate"), "approve-candidate", D(2023, 3, 7)),
        stage("approve-candidate", "activist", "candidate"),
    ),
    "sponsors for an applicant": (
        lambda: do(register(), "assign-sponsors", D(2022, 3, 5), sponsors=SPONSORS),
        stage("assign-sponsors", "activist or candidate", "applicant"),
    ),
    "review of an activist": (
        lambda: do(walk("assign-contacts"), "record-political-review", D(2022, 3, 6), passed=True),
        stage("record-political-review", "candidate", "activist"),
    ),
    "training of an activist": (
        lambda: do(walk("assign-contacts"), "record-training", D(2022, 3, 6), days=3),
        stage("record-training", "candidate", "activist"),
    ),
    "vote on an activist": (
        lambda: do(walk("assign-contacts"), "admission-vote", D(2022, 3, 6), **VOTE),
        stage("admission-vote", "candidate", "activist"),
    ),
    "admit a probationary member": (
        lambda: do(walk("approve-admission"), "approve-admission", D(2023, 5, 11)),
        stage("approve-admission", "candidate", "probationary"),
    ),
    "confirm a candidate": (
        lambda: do(walk("approve-candidate"), "confirm-full", D(2023, 5, 11), meeting_date=D(2023, 5, 10), **VOTE),
        stage("confirm-full", "probationary", "candidate"),
    ),
    "extend a full member": (
        lambda: do(walk("confirm-full"), "extend-probation", D(2024, 6, 1), months=6, reason="r"),
        stage("extend-probation", "probationary", "full"),
    ),
    "cancel a full member": (
        lambda: do(walk("confirm-full"), "cancel-probation", D(2024, 6, 1), reason="r"),
        stage("cancel-probation", "probationary", "full"),
    ),
    "talk with a lost applicant": (
        lambda: do(lost_applicant(), "record-talk", D(2024, 12, 2), talked_by="W"),
        inactive("record-talk"),
    ),
    "assess a lost activist": (
        lambda: do(lost("assign-contacts"), "record-assessment", D(2024, 12, 2), result="good"),
        inactive("record-assessment"),
    ),
    "vote on a lost candidate": (
        lambda: do(lost("record-training"), "admission-vote", D(2024, 12, 2), **VOTE),
        inactive("admission-vote"),
    ),
    "extend a lost member's probation": (
        lambda: do(lost("approve-admission"), "extend-probation", D(2024, 12, 2), months=6, reason="r"),
        inactive("extend-probation"),
    ),
}


def lost_applicant():
    member = register()
    member.change_status(
        rules_in_force(D(2024, 12, 1)),
        today=TODAY,
        status="lost_contact",
        changed_on=D(2024, 12, 1),
        reason="moved away",
    )
    return member


NOTICE = {"public_notice_from": T["notice"][0], "public_notice_to": T["notice"][1]}
PARENT_APPROVES = dataclasses.replace(RULES, candidate_parent_approval=True)


def walk_assessed():
    member = walk("assign-contacts")
    do(member, "record-assessment", D(2022, 9, 1), result="good")
    return member


def failed_review():
    member = walk("record-training")
    do(member, "record-political-review", D(2023, 3, 25), passed=False)
    return member


def extended():
    member = walk("approve-admission")
    do(member, "extend-probation", D(2024, 4, 3), months=6, reason="more study")
    return member


REFUSALS.update(
    {
        # ---- dates ----
        "talk in the future": (
            lambda: do(register(), "record-talk", TOMORROW, talked_by="W"),
            {
                "code": "invalid_input",
                "message": "talked_on 2027-01-05 is in the future",
                "fields": {"talked_on": "2027-01-05"},
            },
        ),
        "talk before applying": (
            lambda: do(register(), "record-talk", D(2022, 1, 9), talked_by="W"),
            {
                "code": "invalid_input",
                "message": "talked_on 2022-01-09 is before the application (2022-01-10)",
                "fields": {"talked_on": "2022-01-09"},
            },
        ),
        "talk recorded twice": (
            lambda: do(walk("record-talk"), "record-talk", D(2022, 1, 21), talked_by="W"),
            {
                "code": "conflict",
                "message": "the talk with this applicant was recorded on 2022-01-20",
                "fields": {"talked_on": "2022-01-20"},
            },
        ),
        "activist in the future": (
            lambda: do(register(), "designate-activist", TOMORROW),
            {
                "code": "invalid_input",
                "message": "activist_on 2027-01-05 is in the future",
                "fields": {"activist_on": "2027-01-05"},
            },
        ),
        "activist before applying": (
            lambda: do(register(), "designate-activist", D(2022, 1, 9)),
            {
                "code": "invalid_input",
                "message": "activist_on 2022-01-09 is before the application (2022-01-10)",
                "fields": {"activist_on": "2022-01-09"},
            },
        ),
        "activist filed in the future": (
            lambda: do(register(), "designate-activist", D(2022, 3, 1), filed_on=TOMORROW),
            {
                "code": "invalid_input",
                "message": "filed_on 2027-01-05 is in the future",
                "fields": {"filed_on": "2027-01-05"},
            },
        ),
        "activist filed before designation": (
            lambda: do(register(), "designate-activist", D(2022, 3, 1), filed_on=D(2022, 2, 28)),
            {
                "code": "invalid_input",
                "message": "filed_on 2022-02-28 is before the designation (2022-03-01)",
                "fields": {"filed_on": "2022-02-28"},
            },
        ),
        "contacts in the future": (
            lambda: do(walk("designate-activist"), "assign-contacts", TOMORROW, contacts=[full_member("c")]),
            {
                "code": "invalid_input",
                "message": "assigned_on 2027-01-05 is in the future",
                "fields": {"assigned_on": "2027-01-05"},
            },
        ),
        "contacts before designation": (
            lambda: do(walk("designate-activist"), "assign-contacts", D(2022, 2, 28), contacts=[full_member("c")]),
            {
                "code": "invalid_input",
                "message": "assigned_on 2022-02-28 is before the activist designation (2022-03-01)",
                "fields": {"assigned_on": "2022-02-28"},
            },
        ),
        "a contact twice": (
            lambda: do(
                walk("designate-activist"),
                "assign-contacts",
                D(2022, 3, 5),
                contacts=[full_member("c"), full_member("c")],
            ),
            {"code": "invalid_input", "message": "a member is listed twice", "fields": {"contact_ids": "duplicates"}},
        ),
        "three contacts": (
            lambda: do(
                walk("designate-activist"),
                "assign-contacts",
                D(2022, 3, 5),
                contacts=[full_member(f"c{i}") for i in range(3)],
            ),
            {
                "code": "rule_violation",
                "message": "an activist has 1 to 2 contacts; 3 given",
                "fields": {"contact_ids": 3},
                "rule": "members.pipeline.contact_count",
            },
        ),
        "a probationary contact": (
            lambda: do(
                walk("designate-activist"),
                "assign-contacts",
                D(2022, 3, 5),
                contacts=[full_member("c", stage="probationary")],
            ),
            {
                "code": "rule_violation",
                "message": "a contact must be another full member in good standing; c is probationary, active",
                "fields": {"contact_ids": "c"},
                "rule": "members.pipeline.contact_full_member",
            },
        ),
        "oneself as contact": (
            lambda: do(walk("designate-activist"), "assign-contacts", D(2022, 3, 5), contacts=[full_member("m-1")]),
            {
                "code": "rule_violation",
                "message": "a contact must be another full member in good standing; m-1 is full, active",
                "fields": {"contact_ids": "m-1"},
                "rule": "members.pipeline.contact_full_member",
            },
        ),
        "assessment in the future": (
            lambda: do(walk("designate-activist"), "record-assessment", TOMORROW, result="good"),
            {
                "code": "invalid_input",
                "message": "assessed_on 2027-01-05 is in the future",
                "fields": {"assessed_on": "2027-01-05"},
            },
        ),
        "assessment before the last": (
            lambda: do(walk_assessed(), "record-assessment", D(2022, 8, 31), result="good"),
            {
                "code": "invalid_input",
                "message": "assessed_on 2022-08-31 is before the previous assessment or the designation (2022-09-01)",
                "fields": {"assessed_on": "2022-08-31"},
            },
        ),
        "candidate in the future": (
            lambda: do(walk("assign-contacts"), "approve-candidate", TOMORROW, **NOTICE),
            {
                "code": "invalid_input",
                "message": "candidate_on 2027-01-05 is in the future",
                "fields": {"candidate_on": "2027-01-05"},
            },
        ),
        "candidate before designation": (
            lambda: do(walk("assign-contacts"), "approve-candidate", D(2022, 2, 28), **NOTICE),
            {
                "code": "invalid_input",
                "message": "candidate_on 2022-02-28 is before the activist designation (2022-03-01)",
                "fields": {"candidate_on": "2022-02-28"},
            },
        ),
        "candidate too soon": (
            lambda: do(walk("assign-contacts"), "approve-candidate", D(2023, 2, 28), **NOTICE),
            {
                "code": "rule_violation",
                "message": "a candidate must have been an activist for at least 12 months: eligible from 2023-03-01",
                "fields": {"candidate_on": "2023-02-28", "eligible_on": "2023-03-01"},
                "rule": "members.pipeline.activist_period",
            },
        ),
        "no public notice": (
            lambda: do(walk("assign-contacts"), "approve-candidate", D(2023, 3, 6)),
            {
                "code": "rule_violation",
                "message": "under the 2014 rules a candidate is publicly noticed for at least 5 working days: give public_notice_from and public_notice_to",
                "fields": {"public_notice_from": "required"},
                "rule": "members.pipeline.public_notice",
            },
        ),
        "notice ending before it starts": (
            lambda: do(
                walk("assign-contacts"),
                "approve-candidate",
                D(2023, 3, 6),
                public_notice_from=D(2023, 2, 24),
                public_notice_to=D(2023, 2, 20),
            ),
            {
                "code": "invalid_input",
                "message": "public_notice_to is before public_notice_from",
                "fields": {"public_notice_to": "2023-02-20"},
            },
        ),
        "notice ending in the future": (
            lambda: do(
                walk("assign-contacts"),
                "approve-candidate",
                D(2023, 3, 6),
                public_notice_from=D(2023, 2, 24),
                public_notice_to=TOMORROW,
            ),
            {
                "code": "invalid_input",
                "message": "public_notice_to 2027-01-05 is in the future",
                "fields": {"public_notice_to": "2027-01-05"},
            },
        ),
        "notice before designation": (
            lambda: do(
                walk("assign-contacts"),
                "approve-candidate",
                D(2023, 3, 6),
                public_notice_from=D(2022, 2, 24),
                public_notice_to=D(2023, 2, 24),
            ),
            {
                "code": "invalid_input",
                "message": "public_notice_from 2022-02-24 is before the activist designation (2022-03-01)",
                "fields": {"public_notice_from": "2022-02-24"},
            },
        ),
        "a four-day notice": (
            lambda: do(
                walk("assign-contacts"),
                "approve-candidate",
                D(2023, 3, 6),
                public_notice_from=D(2023, 2, 20),
                public_notice_to=D(2023, 2, 23),
            ),
            {
                "code": "rule_violation",
                "message": "the public notice lasts at least 5 working days; 4 given",
                "fields": {"public_notice_to": "2023-02-23", "working_days": 4},
                "rule": "members.pipeline.public_notice",
            },
        ),
        "filed in the future": (
            lambda: do(walk("assign-contacts"), "approve-candidate", D(2023, 3, 6), filed_on=TOMORROW, **NOTICE),
            {
                "code": "invalid_input",
                "message": "filed_on 2027-01-05 is in the future",
                "fields": {"filed_on": "2027-01-05"},
            },
        ),
        "parent approval before the decision": (
            lambda: do(
                walk("assign-contacts"), "approve-candidate", D(2023, 3, 6), parent_approved_on=D(2023, 3, 5), **NOTICE
            ),
            {
                "code": "invalid_input",
                "message": "parent_approved_on 2023-03-05 is before the branch committee's decision (2023-03-06)",
                "fields": {"parent_approved_on": "2023-03-05"},
            },
        ),
        "no parent approval where required": (
            lambda: do(walk("assign-contacts"), "approve-candidate", D(2023, 3, 6), rules=PARENT_APPROVES, **NOTICE),
            {
                "code": "rule_violation",
                "message": "under the 2014 rules the parent committee approves a candidate: give parent_approved_on",
                "fields": {"parent_approved_on": "required"},
                "rule": "members.pipeline.candidate_parent_approval",
            },
        ),
        "sponsors in the future": (
            lambda: do(walk("approve-candidate"), "assign-sponsors", TOMORROW, sponsors=SPONSORS),
            {
                "code": "invalid_input",
                "message": "assigned_on 2027-01-05 is in the future",
                "fields": {"assigned_on": "2027-01-05"},
            },
        ),
        "sponsors before designation": (
            lambda: do(walk("designate-activist"), "assign-sponsors", D(2022, 2, 28), sponsors=SPONSORS),
            {
                "code": "invalid_input",
                "message": "assigned_on 2022-02-28 is before the activist designation (2022-03-01)",
                "fields": {"assigned_on": "2022-02-28"},
            },
        ),
        "one sponsor": (
            lambda: do(walk("approve-candidate"), "assign-sponsors", D(2023, 3, 10), sponsors=SPONSORS[:1]),
            {
                "code": "rule_violation",
                "message": "a candidate has 2 sponsors; 1 given",
                "fields": {"sponsor_ids": 1},
                "rule": "members.pipeline.sponsor_count",
            },
        ),
        "a sponsor twice": (
            lambda: do(
                walk("approve-candidate"), "assign-sponsors", D(2023, 3, 10), sponsors=[SPONSORS[0], SPONSORS[0]]
            ),
            {"code": "invalid_input", "message": "a member is listed twice", "fields": {"sponsor_ids": "duplicates"}},
        ),
        "a suspended sponsor": (
            lambda: do(
                walk("approve-candidate"),
                "assign-sponsors",
                D(2023, 3, 10),
                sponsors=[SPONSORS[0], full_member("s-3", status="suspended")],
            ),
            {
                "code": "rule_violation",
                "message": "a sponsor must be another full member in good standing (not probationary, not suspended); s-3 is full, suspended",
                "fields": {"sponsor_ids": "s-3"},
                "rule": "members.pipeline.sponsor_full_member",
            },
        ),
        "sponsors after the vote": (
            lambda: do(walk("admission-vote"), "assign-sponsors", D(2023, 4, 4), sponsors=SPONSORS),
            {
                "code": "conflict",
                "message": "the admission vote was held on 2023-04-03; assign-sponsors is no longer possible",
                "fields": {"meeting_date": "2023-04-03"},
            },
        ),
        "review in the future": (
            lambda: do(walk("approve-candidate"), "record-political-review", TOMORROW, passed=True),
            {
                "code": "invalid_input",
                "message": "reviewed_on 2027-01-05 is in the future",
                "fields": {"reviewed_on": "2027-01-05"},
            },
        ),
        "review before designation": (
            lambda: do(walk("approve-candidate"), "record-political-review", D(2022, 2, 28), passed=True),
            {
                "code": "invalid_input",
                "message": "reviewed_on 2022-02-28 is before the activist designation (2022-03-01)",
                "fields": {"reviewed_on": "2022-02-28"},
            },
        ),
        "review after the vote": (
            lambda: do(walk("admission-vote"), "record-political-review", D(2023, 4, 4), passed=True),
            {
                "code": "conflict",
                "message": "the admission vote was held on 2023-04-03; record-political-review is no longer possible",
                "fields": {"meeting_date": "2023-04-03"},
            },
        ),
        "training in the future": (
            lambda: do(walk("approve-candidate"), "record-training", TOMORROW, days=3),
            {
                "code": "invalid_input",
                "message": "completed_on 2027-01-05 is in the future",
                "fields": {"completed_on": "2027-01-05"},
            },
        ),
        "training before designation": (
            lambda: do(walk("approve-candidate"), "record-training", D(2022, 2, 28), days=3),
            {
                "code": "invalid_input",
                "message": "completed_on 2022-02-28 is before the activist designation (2022-03-01)",
                "fields": {"completed_on": "2022-02-28"},
            },
        ),
        "no training time": (
            lambda: do(walk("approve-candidate"), "record-training", D(2023, 3, 20)),
            {
                "code": "invalid_input",
                "message": "give the days or class hours of training",
                "fields": {"days": 0, "class_hours": 0},
            },
        ),
        "negative training days": (
            lambda: do(walk("approve-candidate"), "record-training", D(2023, 3, 20), days=-1, class_hours=30),
            {
                "code": "invalid_input",
                "message": "give the days or class hours of training",
                "fields": {"days": -1, "class_hours": 30},
            },
        ),
        "training after the vote": (
            lambda: do(walk("admission-vote"), "record-training", D(2023, 4, 4), days=3),
            {
                "code": "conflict",
                "message": "the admission vote was held on 2023-04-03; record-training is no longer possible",
                "fields": {"meeting_date": "2023-04-03"},
            },
        ),
        "vote in the future": (
            lambda: do(walk("record-training"), "admission-vote", TOMORROW, **VOTE),
            {
                "code": "invalid_input",
                "message": "meeting_date 2027-01-05 is in the future",
                "fields": {"meeting_date": "2027-01-05"},
            },
        ),
        "vote before candidacy": (
            lambda: do(walk("record-training"), "admission-vote", D(2023, 3, 5), **VOTE),
            {
                "code": "invalid_input",
                "message": "meeting_date 2023-03-05 is before becoming a candidate (2023-03-06)",
                "fields": {"meeting_date": "2023-03-05"},
            },
        ),
        "vote without sponsors": (
            lambda: do(walk("approve-candidate"), "admission-vote", D(2023, 4, 3), **VOTE),
            {
                "code": "rule_violation",
                "message": "2 sponsors must be assigned before the admission vote",
                "fields": {"sponsors": 0},
                "rule": "members.pipeline.sponsors_required",
            },
        ),
        "vote without review": (
            lambda: do(walk("assign-sponsors"), "admission-vote", D(2023, 4, 3), **VOTE),
            {
                "code": "rule_violation",
                "message": "a passed political review must be recorded before the admission vote",
                "fields": {"political_review": "passed review before the meeting required"},
                "rule": "members.pipeline.political_review",
            },
        ),
        "vote after a failed review": (
            lambda: do(failed_review(), "admission-vote", D(2023, 4, 3), **VOTE),
            {
                "code": "rule_violation",
                "message": "a passed political review must be recorded before the admission vote",
                "fields": {"political_review": "passed review before the meeting required"},
                "rule": "members.pipeline.political_review",
            },
        ),
        "vote without enough training": (
            lambda: do(walk("record-political-review"), "admission-vote", D(2023, 4, 3), **VOTE),
            {
                "code": "rule_violation",
                "message": "training of at least 3 days or 24 class hours must be completed before the admission vote; 0 days and 0 hours recorded",
                "fields": {"days": 0, "class_hours": 0},
                "rule": "members.pipeline.training",
            },
        ),
        "vote held twice": (
            lambda: do(walk("admission-vote"), "admission-vote", D(2023, 4, 4), **VOTE),
            {
                "code": "conflict",
                "message": "the admission vote was held on 2023-04-03; admission-vote is no longer possible",
                "fields": {"meeting_date": "2023-04-03"},
            },
        ),
        "counts that do not add up": (
            lambda: do(walk("record-training"), "admission-vote", D(2023, 4, 3), **{**VOTE, "present_voters": 11}),
            {
                "code": "invalid_input",
                "message": "the vote counts do not add up: yes + no + abstain <= present <= eligible",
                "fields": {"present_voters": 11, "eligible_voters": 10},
            },
        ),
        "no quorum": (
            lambda: do(
                walk("record-training"),
                "admission-vote",
                D(2023, 4, 3),
                **{**VOTE, "present_voters": 5, "yes": 5, "no": 0},
            ),
            {
                "code": "rule_violation",
                "message": "no quorum: more than 1/2 of the 10 eligible members must be present; 5 were",
                "fields": {"present_voters": 5, "eligible_voters": 10},
                "rule": "members.pipeline.vote_quorum",
            },
        ),
        "no majority": (
            lambda: do(walk("record-training"), "admission-vote", D(2023, 4, 3), **{**VOTE, "yes": 5, "no": 3}),
            {
                "code": "rule_violation",
                "message": "not passed: yes votes must be more than 1/2 of all 10 eligible members; 5 voted yes",
                "fields": {"yes": 5, "eligible_voters": 10},
                "rule": "members.pipeline.vote_majority",
            },
        ),
        "admitted without a vote": (
            lambda: do(walk("record-training"), "approve-admission", D(2023, 5, 10)),
            {
                "code": "rule_violation",
                "message": "the branch general meeting's admission vote must be recorded first",
                "fields": {"admission_vote": "required"},
                "rule": "members.pipeline.vote_required",
            },
        ),
        "admitted in the future": (
            lambda: do(walk("admission-vote"), "approve-admission", TOMORROW),
            {
                "code": "invalid_input",
                "message": "approved_on 2027-01-05 is in the future",
                "fields": {"approved_on": "2027-01-05"},
            },
        ),
        "admitted before the meeting": (
            lambda: do(walk("admission-vote"), "approve-admission", D(2023, 4, 2)),
            {
                "code": "invalid_input",
                "message": "approved_on 2023-04-02 is before the branch meeting (2023-04-03)",
                "fields": {"approved_on": "2023-04-02"},
            },
        ),
        "admitted too late": (
            lambda: do(walk("admission-vote"), "approve-admission", D(2023, 7, 4)),
            {
                "code": "rule_violation",
                "message": "the parent approves within 3 months of the branch meeting (by 2023-07-03); 6 in special cases (special=true)",
                "fields": {"approved_on": "2023-07-04", "due_on": "2023-07-03"},
                "rule": "members.pipeline.approval_window",
            },
        ),
        "admitted too late even if special": (
            lambda: do(walk("admission-vote"), "approve-admission", D(2023, 10, 4), special=True),
            {
                "code": "rule_violation",
                "message": "the parent approves within 6 months of the branch meeting (by 2023-10-03)",
                "fields": {"approved_on": "2023-10-04", "due_on": "2023-10-03"},
                "rule": "members.pipeline.approval_window",
            },
        ),
        "confirmed before probation ends": (
            lambda: do(walk("approve-admission"), "confirm-full", D(2024, 4, 10), meeting_date=D(2024, 4, 2), **VOTE),
            {
                "code": "rule_violation",
                "message": "probation ends on 2024-04-03; this is decided on or after that day",
                "fields": {"meeting_date": "2024-04-02", "probation_ends_on": "2024-04-03"},
                "rule": "members.pipeline.probation_end",
            },
        ),
        "confirmation meeting in the future": (
            lambda: do(walk("approve-admission"), "confirm-full", D(2024, 4, 10), meeting_date=TOMORROW, **VOTE),
            {
                "code": "invalid_input",
                "message": "meeting_date 2027-01-05 is in the future",
                "fields": {"meeting_date": "2027-01-05"},
            },
        ),
        "confirmation approved in the future": (
            lambda: do(walk("approve-admission"), "confirm-full", TOMORROW, meeting_date=D(2024, 4, 10), **VOTE),
            {
                "code": "invalid_input",
                "message": "approved_on 2027-01-05 is in the future",
                "fields": {"approved_on": "2027-01-05"},
            },
        ),
        "extended twice": (
            lambda: do(extended(), "extend-probation", D(2024, 10, 3), months=6, reason="r"),
            {
                "code": "rule_violation",
                "message": "probation can be extended 1 time(s) only",
                "fields": {"extensions": 1},
                "rule": "members.pipeline.extension_once",
            },
        ),
        "extended by five months": (
            lambda: do(walk("approve-admission"), "extend-probation", D(2024, 4, 3), months=5, reason="r"),
            {
                "code": "rule_violation",
                "message": "probation is extended by 6 to 12 months; 5 given",
                "fields": {"months": 5},
                "rule": "members.pipeline.extension_months",
            },
        ),
        "extended by thirteen months": (
            lambda: do(walk("approve-admission"), "extend-probation", D(2024, 4, 3), months=13, reason="r"),
            {
                "code": "rule_violation",
                "message": "probation is extended by 6 to 12 months; 13 given",
                "fields": {"months": 13},
                "rule": "members.pipeline.extension_months",
            },
        ),
        "extended before probation ends": (
            lambda: do(walk("approve-admission"), "extend-probation", D(2024, 4, 2), months=6, reason="r"),
            {
                "code": "rule_violation",
                "message": "probation ends on 2024-04-03; this is decided on or after that day",
                "fields": {"decided_on": "2024-04-02", "probation_ends_on": "2024-04-03"},
                "rule": "members.pipeline.probation_end",
            },
        ),
        "extension decided in the future": (
            lambda: do(walk("approve-admission"), "extend-probation", TOMORROW, months=6, reason="r"),
            {
                "code": "invalid_input",
                "message": "decided_on 2027-01-05 is in the future",
                "fields": {"decided_on": "2027-01-05"},
            },
        ),
        "extension approved in the future": (
            lambda: do(
                walk("approve-admission"), "extend-probation", D(2024, 4, 3), months=6, reason="r", approved_on=TOMORROW
            ),
            {
                "code": "invalid_input",
                "message": "approved_on 2027-01-05 is in the future",
                "fields": {"approved_on": "2027-01-05"},
            },
        ),
        "extension approved before the decision": (
            lambda: do(
                walk("approve-admission"),
                "extend-probation",
                D(2024, 4, 3),
                months=6,
                reason="r",
                approved_on=D(2024, 4, 2),
            ),
            {
                "code": "invalid_input",
                "message": "approved_on 2024-04-02 is before the decision (2024-04-03)",
                "fields": {"approved_on": "2024-04-02"},
            },
        ),
        "cancelled in the future": (
            lambda: do(walk("approve-admission"), "cancel-probation", TOMORROW, reason="r"),
            {
                "code": "invalid_input",
                "message": "decided_on 2027-01-05 is in the future",
                "fields": {"decided_on": "2027-01-05"},
            },
        ),
        "cancelled before admission": (
            lambda: do(walk("approve-admission"), "cancel-probation", D(2023, 4, 2), reason="r"),
            {
                "code": "invalid_input",
                "message": "decided_on 2023-04-02 is before the admission (2023-04-03)",
                "fields": {"decided_on": "2023-04-02"},
            },
        ),
    }
)


REFUSALS["a notice without its end"] = (
    lambda: do(walk("assign-contacts"), "approve-candidate", D(2023, 3, 6), public_notice_from=D(2023, 2, 20)),
    REFUSALS["no public notice"][1],
)


def test_where_the_parent_approves_candidates_its_approval_is_recorded():
    event = do(walk("assign-contacts"), "approve-candidate", D(2023, 3, 6), rules=PARENT_APPROVES,
               parent_approved_on=D(2023, 3, 9), **NOTICE)
    assert (event.payload["stage"], event.payload["parent_approved_on"]) == ("candidate", D(2023, 3, 9))


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_step_says_which_rule_why_and_names_its_fields(case):
    act, expected = REFUSALS[case]
    with pytest.raises(DomainError) as refused:
        act()
    assert refused.value.to_dict() == expected


def test_a_two_thirds_majority_needs_more_than_two_thirds_of_all_eligible():
    two_thirds = dataclasses.replace(RULES, vote_majority=Fraction(2, 3))
    check_vote(two_thirds, 9, 9, 7, 2, 0)
    with pytest.raises(DomainError) as refused:
        check_vote(two_thirds, 9, 9, 6, 3, 0)  # exactly two thirds is not more
    assert refused.value.rule == "members.pipeline.vote_majority"


def test_a_probation_is_cancelled_even_when_the_member_lost_contact():
    member = walk("approve-admission")
    member.change_status(rules_in_force(D(2023, 8, 1)), today=TODAY, status="lost_contact",
                         changed_on=D(2023, 8, 1), reason="moved away")
    assert do(member, "cancel-probation", D(2023, 9, 1), reason="unreachable").payload["status"] == "left"


def test_nothing_is_dated_before_a_cancelled_probation():
    member = walk("approve-admission")
    do(member, "cancel-probation", D(2023, 9, 1), reason="broke discipline")
    with pytest.raises(DomainError) as refused:
        member.change_status(rules_in_force(D(2023, 8, 31)), today=TODAY, status="deceased",
                             changed_on=D(2023, 8, 31), reason="r")
    assert refused.value.fields == {"changed_on": "2023-08-31"}


def test_a_confirmation_approved_late_counts_in_a_special_case():
    member = walk("approve-admission")
    event = do(member, "confirm-full", D(2024, 9, 10), meeting_date=D(2024, 4, 10), special=True, **VOTE)
    assert (event.payload["stage"], event.payload["special"]) == ("full", True)


def test_each_extension_counts_where_the_rules_allow_more_than_one():
    twice = dataclasses.replace(RULES, extensions_allowed=2)
    member = walk("approve-admission")
    do(member, "extend-probation", D(2024, 4, 3), rules=twice, months=6, reason="r")
    do(member, "extend-probation", D(2024, 10, 3), rules=twice, months=6, reason="r")
    with pytest.raises(DomainError) as refused:
        do(member, "extend-probation", D(2025, 4, 3), rules=twice, months=6, reason="r")
    assert refused.value.to_dict()["fields"] == {"extensions": 2}


def test_a_sponsor_of_another_branch_is_recorded_with_a_warning_naming_them():
    member = walk("approve-candidate")
    event = do(member, "assign-sponsors", D(2023, 3, 10),
               sponsors=[SPONSORS[0], full_member("s-9", org_id="branch-2")])
    assert event.payload["warnings"] == [{
        "rule": "members.pipeline.sponsor_same_branch",
        "message": "sponsor s-9 is of another branch; sponsors are normally of the same branch"}]
    assert [s["same_branch"] for s in event.payload["sponsors"]] == [True, False]


def test_training_given_in_as_many_days_as_class_hours_is_recorded():
    member = walk("approve-candidate")
    assert do(member, "record-training", D(2023, 3, 20), days=2, class_hours=2).payload["total_class_hours"] == 2
