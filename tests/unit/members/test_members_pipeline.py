"""The development pipeline (docs/domain.md §2): every check, at both sides of its
bound, refused with a RuleViolation naming the rule."""
import datetime as dt

import pytest

from members_builders import SPONSORS, TIMELINE, TODAY, VOTE, full_member, refused, register, step, walk
from services.members.rules import rules_in_force
from shared.errors import Conflict, InvalidInput

D = dt.date
T = TIMELINE


def last(member):
    event = member.pending_events[-1]
    return event.event_type, event.payload


def test_the_whole_pipeline_from_application_to_full_member():
    member = walk("confirm-full")
    types = [e.event_type.split(".")[1] for e in member.pending_events]
    assert types == ["member_registered", "talk_recorded", "activist_designated", "contacts_assigned",
                     "candidate_approved", "sponsors_assigned", "political_review_recorded", "training_recorded",
                     "admission_voted", "admission_approved", "confirmed_full"]
    stages = [e.payload["stage"] for e in member.pending_events]
    assert stages == ["applicant", "applicant", "activist", "activist", "candidate", "candidate", "candidate",
                      "candidate", "candidate", "probationary", "full"]
    assert all(e.payload["status"] == "active" and e.payload["org_id"] == "branch-1" for e in member.pending_events)
    assert (member.admitted_on, member.probation_ends_on, member.full_on) == \
        (T["meeting_date"], D(2024, 4, 3), D(2024, 4, 3))


# ---- applicant -----------------------------------------------------------------------

def test_the_talk_is_due_within_one_month_and_late_is_recorded():
    on_time = register(applied_on=D(2024, 1, 31))
    step(on_time, "record-talk", D(2024, 2, 29), talked_by="Wang Fang")
    assert last(on_time)[1]["due_on"] == D(2024, 2, 29) and last(on_time)[1]["late"] is False
    late = register(applied_on=D(2024, 1, 31))
    step(late, "record-talk", D(2024, 3, 1), talked_by="Wang Fang")
    assert last(late)[1]["late"] is True
    with pytest.raises(Conflict):
        step(late, "record-talk", D(2024, 3, 2), talked_by="Wang Fang")
    with pytest.raises(InvalidInput):
        step(register(applied_on=D(2024, 1, 31)), "record-talk", D(2024, 1, 30), talked_by="W")


def test_designation_makes_an_activist_eligible_a_year_later():
    member = register(applied_on=D(2024, 1, 10))
    step(member, "designate-activist", D(2024, 2, 29), filed_on=D(2024, 3, 4))
    event_type, p = last(member)
    assert (event_type, p["stage"]) == ("members.activist_designated", "activist")
    assert (p["candidate_eligible_on"], p["next_assessment_due_on"]) == (D(2025, 2, 28), D(2024, 8, 29))


def test_steps_out_of_order_are_refused():
    member = register()
    assert refused(member, "approve-candidate", D(2024, 1, 1)).rule == "members.pipeline.stage"
    assert refused(member, "admission-vote", D(2024, 1, 1), **VOTE).rule == "members.pipeline.stage"
    assert refused(walk("designate-activist"), "designate-activist", D(2024, 1, 1)).rule == "members.pipeline.stage"


def test_a_member_who_is_not_active_does_not_progress():
    member = walk("designate-activist")
    member.change_status(rules_in_force(D(2022, 6, 1)), today=TODAY, status="lost_contact",
                         changed_on=D(2022, 6, 1), reason="moved away")
    assert refused(member, "approve-candidate", D(2023, 3, 6)).rule == "members.pipeline.active_status"


# ---- activist ---------------------------------------------------------------------------

@pytest.mark.parametrize("contacts, rule", [
    ([], "members.pipeline.contact_count"),
    ([full_member("c-1"), full_member("c-2"), full_member("c-3")], "members.pipeline.contact_count"),
    ([full_member("c-1", stage="probationary")], "members.pipeline.contact_full_member"),
    ([full_member("c-1", status="suspended")], "members.pipeline.contact_full_member"),
    ([full_member("m-1")], "members.pipeline.contact_full_member"),  # the activist themself
])
def test_contacts_are_one_or_two_full_members(contacts, rule):
    assert refused(walk("designate-activist"), "assign-contacts", D(2022, 3, 5), contacts=contacts).rule == rule


def test_two_contacts_are_allowed_and_replace_earlier_ones():
    member = walk("assign-contacts")
    step(member, "assign-contacts", D(2022, 9, 1), contacts=[full_member("c-2"), full_member("c-3", "branch-9")])
    assert [c["member_id"] for c in member.contacts] == ["c-2", "c-3"]


def test_assessments_are_half_yearly():
    member = walk("assign-contacts")
    step(member, "record-assessment", D(2022, 8, 31), result="good")
    assert last(member)[1]["next_assessment_due_on"] == D(2023, 2, 28)
    with pytest.raises(InvalidInput):
        step(member, "record-assessment", D(2022, 8, 30), result="good")


@pytest.mark.parametrize("activist_on, candidate_on, ok", [
    (D(2022, 3, 1), D(2023, 2, 28), False),  # 364 days
    (D(2022, 3, 1), D(2023, 3, 1), True),    # 365 days: the same date next year
    (D(2023, 3, 1), D(2024, 2, 29), False),  # 365 days, but over 29 February: not yet a year
    (D(2023, 3, 1), D(2024, 3, 1), True),    # 366 days: the same date next year
    (D(2024, 2, 29), D(2025, 2, 27), False),
    (D(2024, 2, 29), D(2025, 2, 28), True),  # no 29 February in 2025: its month's last day
])
def test_a_candidate_has_been_an_activist_for_a_year(activist_on, candidate_on, ok):
    member = register(stage="activist", applied_on=activist_on - dt.timedelta(days=40), activist_on=activist_on)
    notice = {"public_notice_from": candidate_on - dt.timedelta(days=14),
              "public_notice_to": candidate_on - dt.timedelta(days=1)}
    if ok:
        step(member, "approve-candidate", candidate_on, **notice)
        assert member.stage == "candidate" and member.candidate_on == candidate_on
    else:
        error = refused(member, "approve-candidate", candidate_on, **notice)
        assert error.rule == "members.pipeline.activist_period"


@pytest.mark.parametrize("start, end, ok", [
    (D(2023, 2, 20), D(2023, 2, 23), False),  # Monday to Thursday: 4 working days
    (D(2023, 2, 20), D(2023, 2, 24), True),   # Monday to Friday: 5
    (D(2023, 2, 23), D(2023, 3, 1), True),    # Thursday to Wednesday: 5, over a weekend
    (D(2023, 2, 24), D(2023, 3, 1), False),   # Friday to Wednesday: 4
])
def test_the_public_notice_lasts_five_working_days(start, end, ok):
    assert start.weekday() in (0, 3, 4)
    member = walk("assign-contacts")
    if ok:
        step(member, "approve-candidate", T["candidate_on"], public_notice_from=start, public_notice_to=end)
        assert last(member)[1]["public_notice_working_days"] == 5
    else:
        error = refused(member, "approve-candidate", T["candidate_on"], public_notice_from=start, public_notice_to=end)
        assert error.rule == "members.pipeline.public_notice" and error.fields["working_days"] == 4


def test_the_2014_rules_require_a_public_notice():
    assert refused(walk("assign-contacts"), "approve-candidate", T["candidate_on"]).rule == \
        "members.pipeline.public_notice"


# ---- candidate ----------------------------------------------------------------------------

@pytest.mark.parametrize("sponsors, rule", [
    ([full_member("s-1")], "members.pipeline.sponsor_count"),
    ([full_member("s-1"), full_member("s-2"), full_member("s-3")], "members.pipeline.sponsor_count"),
    ([full_member("s-1"), full_member("s-2", stage="probationary")], "members.pipeline.sponsor_full_member"),
    ([full_member("s-1"), full_member("s-2", status="suspended")], "members.pipeline.sponsor_full_member"),
    ([full_member("s-1"), full_member("s-2", status="lost_contact")], "members.pipeline.sponsor_full_member"),
    ([full_member("s-1"), full_member("m-1")], "members.pipeline.sponsor_full_member"),
])
def test_two_sponsors_who_are_full_members_in_good_standing(sponsors, rule):
    assert refused(walk("approve-candidate"), "assign-sponsors", T["sponsors_on"], sponsors=sponsors).rule == rule


def test_a_sponsor_of_another_branch_is_a_warning_not_a_block():
    member = walk("approve-candidate")
    step(member, "assign-sponsors", T["sponsors_on"], sponsors=[full_member("s-1"), full_member("s-2", "branch-2")])
    p = last(member)[1]
    assert [s["same_branch"] for s in p["sponsors"]] == [True, False]
    assert [w["rule"] for w in p["warnings"]] == ["members.pipeline.sponsor_same_branch"]
    with pytest.raises(InvalidInput):
        step(walk("approve-candidate"), "assign-sponsors", T["sponsors_on"],
             sponsors=[full_member("s-1"), full_member("s-1")])


@pytest.mark.parametrize("missing, rule", [
    ("assign-sponsors", "members.pipeline.sponsors_required"),
    ("record-political-review", "members.pipeline.political_review"),
    ("record-training", "members.pipeline.training"),
])
def test_sponsors_review_and_training_come_before_the_vote(missing, rule):
    member = walk("approve-candidate")
    facts = {"assign-sponsors": (T["sponsors_on"], {"sponsors": SPONSORS}),
             "record-political-review": (T["reviewed_on"], {"passed": True}),
             "record-training": (T["trained_on"], {"days": 3})}
    for name, (day, fields) in facts.items():
        if name != missing:
            step(member, name, day, **fields)
    assert refused(member, "admission-vote", T["meeting_date"], **VOTE).rule == rule


def test_a_failed_review_or_one_after_the_meeting_does_not_count():
    member = walk("record-training")
    step(member, "record-political-review", D(2023, 3, 16), passed=False)
    assert refused(member, "admission-vote", T["meeting_date"], **VOTE).rule == "members.pipeline.political_review"
    step(member, "record-political-review", D(2023, 4, 4), passed=True)  # after the meeting below
    assert refused(member, "admission-vote", T["meeting_date"], **VOTE).rule == "members.pipeline.political_review"


@pytest.mark.parametrize("sessions, ok", [
    ([{"days": 2}], False), ([{"days": 3}], True),
    ([{"class_hours": 23}], False), ([{"class_hours": 24}], True),
    ([{"class_hours": 12}, {"class_hours": 12}], True),  # sessions add up
    ([{"days": 2, "class_hours": 23}], False),           # neither bound reached
])
def test_training_of_three_days_or_24_class_hours(sessions, ok):
    member = walk("record-political-review")
    for i, session in enumerate(sessions):
        step(member, "record-training", T["trained_on"] + dt.timedelta(days=i), **session)
    if ok:
        step(member, "admission-vote", T["meeting_date"], **VOTE)
    else:
        assert refused(member, "admission-vote", T["meeting_date"], **VOTE).rule == "members.pipeline.training"


@pytest.mark.parametrize("eligible, present, rule", [
    (10, 5, "members.pipeline.vote_quorum"),   # exactly half present: no quorum
    (10, 6, None),
    (9, 4, "members.pipeline.vote_quorum"),
    (9, 5, None),
])
def test_quorum_is_more_than_half_of_the_eligible_present(eligible, present, rule):
    member = walk("record-training")
    counts = {"eligible_voters": eligible, "present_voters": present, "yes": present, "no": 0, "abstain": 0}
    if rule is None:
        step(member, "admission-vote", T["meeting_date"], **counts)
        assert member.vote is not None
    else:
        assert refused(member, "admission-vote", T["meeting_date"], **counts).rule == rule


@pytest.mark.parametrize("eligible, yes, rule", [
    (10, 5, "members.pipeline.vote_majority"),  # exactly half of all eligible fails
    (10, 6, None),
    (9, 4, "members.pipeline.vote_majority"),
    (9, 5, None),
])
def test_yes_from_more_than_half_of_all_eligible(eligible, yes, rule):
    member = walk("record-training")
    counts = {"eligible_voters": eligible, "present_voters": eligible, "yes": yes, "no": eligible - yes, "abstain": 0}
    if rule is None:
        step(member, "admission-vote", T["meeting_date"], **counts)
        assert last(member)[1]["approval_due_on"] == D(2023, 7, 3)
        assert last(member)[1]["approval_due_on_special"] == D(2023, 10, 3)
    else:
        assert refused(member, "admission-vote", T["meeting_date"], **counts).rule == rule


def test_a_majority_of_those_present_is_not_enough():
    member = walk("record-training")
    counts = {"eligible_voters": 10, "present_voters": 6, "yes": 5, "no": 1, "abstain": 0}
    assert refused(member, "admission-vote", T["meeting_date"], **counts).rule == "members.pipeline.vote_majority"


def test_one_admission_vote_per_candidate():
    member = walk("admission-vote")
    with pytest.raises(Conflict):
        step(member, "admission-vote", D(2023, 4, 10), **VOTE)
    with pytest.raises(Conflict):
        step(member, "record-training", D(2023, 4, 5), days=1)


def test_approval_needs_the_vote():
    member = walk("record-training")
    assert refused(member, "approve-admission", D(2023, 5, 1)).rule == "members.pipeline.vote_required"


# Meeting 2023-04-03: three months end on 2023-07-03 (91 days), six on 2023-10-03 (183 days).
@pytest.mark.parametrize("approved_on, special, ok", [
    (D(2023, 7, 3), False, True),
    (D(2023, 7, 4), False, False),
    (D(2023, 7, 4), True, True),
    (D(2023, 10, 3), True, True),
    (D(2023, 10, 4), True, False),
])
def test_the_parent_approves_within_three_months_or_six_in_special_cases(approved_on, special, ok):
    assert (D(2023, 7, 3) - T["meeting_date"]).days == 91
    member = walk("admission-vote")
    if ok:
        step(member, "approve-admission", approved_on, special=special)
        event_type, p = last(member)
        assert (event_type, p["stage"], p["admitted_on"]) == ("members.admission_approved", "probationary",
                                                             T["meeting_date"])
        assert p["probation_ends_on"] == D(2024, 4, 3)  # a year from the meeting, not from the approval
    else:
        error = refused(member, "approve-admission", approved_on, special=special)
        assert error.rule == "members.pipeline.approval_window"


def test_approval_is_not_before_the_meeting():
    with pytest.raises(InvalidInput):
        step(walk("admission-vote"), "approve-admission", D(2023, 4, 2))


# ---- probationary -----------------------------------------------------------------------------

@pytest.mark.parametrize("meeting_date, ok", [(D(2024, 4, 2), False), (D(2024, 4, 3), True)])
def test_confirmation_on_or_after_the_end_of_probation(meeting_date, ok):
    member = walk("approve-admission")
    fields = {"meeting_date": meeting_date, **VOTE}
    if ok:
        step(member, "confirm-full", D(2024, 5, 6), **fields)
        event_type, p = last(member)
        assert (event_type, p["stage"], p["full_on"]) == ("members.confirmed_full", "full", D(2024, 4, 3))
    else:
        assert refused(member, "confirm-full", D(2024, 5, 6), **fields).rule == "members.pipeline.probation_end"


@pytest.mark.parametrize("counts, approved_on, rule", [
    ({"eligible_voters": 10, "present_voters": 5, "yes": 5, "no": 0, "abstain": 0}, D(2024, 5, 6),
     "members.pipeline.vote_quorum"),
    ({"eligible_voters": 10, "present_voters": 10, "yes": 5, "no": 5, "abstain": 0}, D(2024, 5, 6),
     "members.pipeline.vote_majority"),
    (VOTE, D(2024, 7, 11), "members.pipeline.approval_window"),
])
def test_confirmation_has_its_own_vote_and_approval(counts, approved_on, rule):
    member = walk("approve-admission")
    assert refused(member, "confirm-full", approved_on, meeting_date=D(2024, 4, 10), **counts).rule == rule
    step(member, "confirm-full", D(2024, 7, 10), meeting_date=D(2024, 4, 10), **VOTE)
    assert member.stage == "full"


@pytest.mark.parametrize("months, ok", [(5, False), (6, True), (12, True), (13, False)])
def test_probation_is_extended_by_six_to_twelve_months(months, ok):
    member = walk("approve-admission")
    if ok:
        step(member, "extend-probation", D(2024, 4, 3), months=months, reason="more time needed")
        p = last(member)[1]
        assert p["previous_ends_on"] == D(2024, 4, 3)
        assert p["probation_ends_on"] == {6: D(2024, 10, 3), 12: D(2025, 4, 3)}[months]
    else:
        error = refused(member, "extend-probation", D(2024, 4, 3), months=months, reason="more time needed")
        assert error.rule == "members.pipeline.extension_months"


def test_probation_is_extended_once_at_its_end_then_confirmed_after_the_new_end():
    member = walk("approve-admission")
    assert refused(member, "extend-probation", D(2024, 4, 2), months=6, reason="r").rule == \
        "members.pipeline.probation_end"
    step(member, "extend-probation", D(2024, 4, 3), months=6, reason="r")
    assert member.probation_ends_on == D(2024, 10, 3)
    assert refused(member, "extend-probation", D(2024, 10, 3), months=6, reason="r").rule == \
        "members.pipeline.extension_once"
    assert refused(member, "confirm-full", D(2024, 5, 6), meeting_date=D(2024, 4, 10), **VOTE).rule == \
        "members.pipeline.probation_end"
    step(member, "confirm-full", D(2024, 10, 20), meeting_date=D(2024, 10, 3), **VOTE)
    assert member.full_on == D(2024, 10, 3)


def test_probation_cancelled():
    member = walk("approve-admission")
    step(member, "cancel-probation", D(2023, 12, 1), reason="did not meet the conditions")
    event_type, p = last(member)
    assert (event_type, p["stage"], p["status"]) == ("members.probation_cancelled", "probationary", "left")
    assert refused(member, "confirm-full", D(2024, 5, 6), meeting_date=D(2024, 4, 10), **VOTE).rule == \
        "members.pipeline.active_status"


def test_dates_in_the_future_are_refused():
    with pytest.raises(InvalidInput) as error:
        step(register(), "record-talk", TODAY + dt.timedelta(days=1), talked_by="W")
    assert "talked_on" in error.value.fields
