"""Rule boundaries of the members aggregate a mutation test found unpinned
(issue 10): each test pins one bound on both sides (the day before, the day
itself, the day after; a count one below, at and one above), so moving the
bound by one (``>`` for ``>=``, a constant +-1) fails it."""
import dataclasses
import datetime as dt

import pytest
from marshmallow import ValidationError

from members_builders import BIRTH, TIMELINE, TODAY, VOTE, make_id_number, refused, register, step, walk
from services.members import commands, org_replica, queries
from services.members.rules import RULE_SETS, rules_in_force
from shared.contracts import members as contract
from shared.contracts.members import id_number_check_digit, id_number_problem, stage_date_problems
from shared.errors import InvalidInput, RuleViolation
from shared.inbox import Inbox
from stage_history import history
from unit.orgs_feed import org_event

D = dt.date
DAY = dt.timedelta(days=1)
T = TIMELINE
MEETING = T["meeting_date"]  # 2023-04-03, a Monday


def last(member):
    return member.pending_events[-1].payload


def schema_errors(schema_cls, data):
    try:
        schema_cls().load(data)
    except ValidationError as error:
        return error.messages
    return {}


# ---- 1. the admission vote ------------------------------------------------------------

@pytest.mark.parametrize("reviewed_on, ok", [
    (MEETING - DAY, True),
    (MEETING, True),        # reviewed on the meeting day itself: counts
    (MEETING + DAY, False),  # the day after: not before the meeting
])
def test_admission_vote_political_review_counts_up_to_the_meeting_day(reviewed_on, ok):
    member = walk("assign-sponsors")  # no review recorded yet
    step(member, "record-political-review", reviewed_on, passed=True)
    step(member, "record-training", T["trained_on"], days=3)
    if ok:
        step(member, "admission-vote", MEETING, **VOTE)
        assert member.pending_events[-1].event_type == "members.admission_voted"
    else:
        assert refused(member, "admission-vote", MEETING, **VOTE).rule == "members.pipeline.political_review"


@pytest.mark.parametrize("completed_on, ok", [
    (MEETING - DAY, True),
    (MEETING, True),        # completed on the meeting day itself: counts
    (MEETING + DAY, False),  # the day after: not yet completed at the meeting
])
def test_admission_vote_training_counts_up_to_the_meeting_day(completed_on, ok):
    member = walk("record-political-review")  # no training recorded yet
    step(member, "record-training", completed_on, days=3)
    if ok:
        step(member, "admission-vote", MEETING, **VOTE)
        assert member.vote == {"meeting_date": MEETING}
    else:
        error = refused(member, "admission-vote", MEETING, **VOTE)
        assert error.rule == "members.pipeline.training" and error.fields == {"days": 0, "class_hours": 0}


@pytest.mark.parametrize("days, class_hours", [(0, 1), (1, 0)])
def test_training_record_of_one_hour_or_one_day_is_accepted(days, class_hours):
    member = walk("record-political-review")
    step(member, "record-training", T["trained_on"], days=days, class_hours=class_hours)
    assert (last(member)["total_days"], last(member)["total_class_hours"]) == (days, class_hours)
    assert contract.RecordTrainingIn().load({"days": days, "class_hours": class_hours})["class_hours"] == class_hours


def test_training_record_of_no_hours_and_no_days_is_refused():
    with pytest.raises(InvalidInput):
        step(walk("record-political-review"), "record-training", T["trained_on"], days=0, class_hours=0)
    assert "days" in schema_errors(contract.RecordTrainingIn, {"days": 0, "class_hours": 0})


@pytest.mark.parametrize("sessions, ok", [
    ([23], False),
    ([23, 1], True),  # a one-hour record makes 24 class hours
    ([1], False),
])
def test_training_one_hour_record_counts_towards_24_class_hours(sessions, ok):
    member = walk("record-political-review")
    for i, hours in enumerate(sessions):
        step(member, "record-training", T["trained_on"] + i * DAY, class_hours=hours)
    assert last(member)["total_class_hours"] == sum(sessions)
    if ok:
        step(member, "admission-vote", MEETING, **VOTE)
    else:
        error = refused(member, "admission-vote", MEETING, **VOTE)
        assert error.rule == "members.pipeline.training" and error.fields["class_hours"] == sum(sessions)


@pytest.mark.parametrize("counts, outcome", [
    ({"present_voters": 1, "yes": 1, "no": 0, "abstain": 0}, None),  # the one voter present, voting yes
    ({"present_voters": 0, "yes": 0, "no": 0, "abstain": 0}, "members.pipeline.vote_quorum"),
    ({"present_voters": 1, "yes": 0, "no": 0, "abstain": 1}, "members.pipeline.vote_majority"),
    ({"present_voters": 1, "yes": 0, "no": 1, "abstain": 0}, "members.pipeline.vote_majority"),
])
def test_admission_vote_with_exactly_one_eligible_voter(counts, outcome):
    member = walk("record-training")
    counts = {"eligible_voters": 1, **counts}
    assert schema_errors(contract.AdmissionVoteIn, {"meeting_date": MEETING.isoformat(), **counts}) == {}
    if outcome is None:
        step(member, "admission-vote", MEETING, **counts)
        assert (last(member)["eligible_voters"], last(member)["yes"]) == (1, 1)
    else:
        assert refused(member, "admission-vote", MEETING, **counts).rule == outcome


def test_admission_vote_with_no_eligible_voter_does_not_add_up():
    counts = {"eligible_voters": 0, "present_voters": 0, "yes": 0, "no": 0, "abstain": 0}
    with pytest.raises(InvalidInput):
        step(walk("record-training"), "admission-vote", MEETING, **counts)


def test_confirmation_vote_with_exactly_one_eligible_voter_passes():
    member = walk("approve-admission")
    step(member, "confirm-full", T["full_approved_on"], meeting_date=T["full_meeting"],
         eligible_voters=1, present_voters=1, yes=1, no=0, abstain=0)
    assert member.stage == "full"


FULL_ATTENDANCE = {"eligible_voters": 10, "present_voters": 10, "yes": 6, "no": 3, "abstain": 1}


@pytest.mark.parametrize("schema_cls", [contract.AdmissionVoteIn, contract.ConfirmFullIn])
@pytest.mark.parametrize("changes, field", [
    ({}, None),                                        # present == eligible, votes == present
    ({"present_voters": 11}, "present_voters"),        # one more present than eligible
    ({"present_voters": 9, "abstain": 0}, None),      # one fewer present, every one voting
    ({"abstain": 2}, "yes"),                           # votes one more than present
    ({"abstain": 0}, None),
])
def test_vote_schema_full_attendance_is_accepted_and_one_more_refused(schema_cls, changes, field):
    messages = schema_errors(schema_cls, {"meeting_date": "2024-04-10", **FULL_ATTENDANCE, **changes})
    if field is None:
        assert messages == {}
    else:
        assert field in messages


@pytest.mark.parametrize("changes, ok", [
    ({}, True),
    ({"present_voters": 11}, False),
    ({"abstain": 2}, False),
])
def test_admission_vote_rule_full_attendance_is_accepted_and_one_more_refused(changes, ok):
    member = walk("record-training")
    counts = {**FULL_ATTENDANCE, **changes}
    if ok:
        step(member, "admission-vote", MEETING, **counts)
        assert last(member)["present_voters"] == last(member)["eligible_voters"] == 10
    else:
        with pytest.raises(InvalidInput, match="do not add up"):
            step(member, "admission-vote", MEETING, **counts)
        assert member.vote is None


def test_confirmation_vote_rule_full_attendance_is_accepted():
    member = walk("approve-admission")
    step(member, "confirm-full", T["full_approved_on"], meeting_date=T["full_meeting"], **FULL_ATTENDANCE)
    assert member.stage == "full"


# ---- 3. ID-number check digits (GB 11643) ------------------------------------------------

GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
GB11643_CHECK = "10X98765432"


def gb11643(first17: str) -> str:
    """The check character worked out here from the standard's table."""
    return GB11643_CHECK[sum(int(d) * w for d, w in zip(first17, GB11643_WEIGHTS)) % 11]


# Regions with non-zero 3rd and 5th digits (weights 10 and 8); the builders' 320506 has zeros there.
# Worked by hand for 12345619900504123: 1*7+2*9+3*10+4*5+5*8+6*4+1*2+9*1+9*6+0*3+0*7+5*9+0*10+4*5+1*8+2*4+3*2
# = 291; 291 % 11 = 5 -> "7".
@pytest.mark.parametrize("first17, check", [
    ("12345619900504123", "7"),
    ("31959319900504123", "5"),
    ("44278119900504123", "3"),
    ("11913519491231002", "6"),  # the standard's sample (…0105…) with a 9 and a 3 at the 3rd and 5th digits
])
def test_id_number_check_digit_weights_of_the_3rd_and_5th_digits(first17, check):
    assert first17[2] != "0" and first17[4] != "0"
    assert gb11643(first17) == check
    assert id_number_check_digit(first17) == check
    assert id_number_problem(first17 + check) is None


@pytest.mark.parametrize("position", [3, 5])
@pytest.mark.parametrize("first17", ["12345619900504123", "31959319900504123", "44278119900504123"])
def test_id_number_with_its_3rd_or_5th_digit_changed_is_refused(first17, position):
    good = first17 + gb11643(first17)
    index = position - 1
    for digit in "0123456789":
        if digit == good[index]:
            continue
        changed = good[:index] + digit + good[index + 1:]
        assert id_number_problem(changed) == "The ID number's check digit is wrong.", changed
        assert gb11643(changed[:17]) != good[17]


def test_id_number_with_non_zero_3rd_and_5th_digits_registers():
    first17 = "123456" + BIRTH.strftime("%Y%m%d") + "123"
    good = first17 + gb11643(first17)
    data = {"name": "李明", "gender": "male", "birth_date": BIRTH.isoformat(), "ethnicity": "汉族",
            "education": "硕士研究生", "id_number": good, "phone": "13812345678", "employer": "纳米科技有限公司",
            "org_id": "branch-1", "stage": "applicant", "applied_on": "2022-01-10"}
    assert contract.RegisterMemberIn().load(data)["id_number"] == good
    wrong = good[:2] + str((int(good[2]) + 1) % 10) + good[3:]
    assert "id_number" in schema_errors(contract.RegisterMemberIn, {**data, "id_number": wrong})


# ---- 4. stage dates --------------------------------------------------------------------------

PIPELINE_DATES = {"applied_on": T["applied_on"], "activist_on": T["activist_on"],
                  "candidate_on": T["candidate_on"], "admitted_on": MEETING, "full_on": D(2024, 4, 3)}
NEXT_STAGE = [("applicant", "activist_on"), ("activist", "candidate_on"), ("candidate", "admitted_on"),
              ("probationary", "full_on")]


def _dates_up_to(stage):
    names = list(PIPELINE_DATES)
    reached = names[:list(contract.STAGE_DATES).index(stage) + 1]
    return {name: PIPELINE_DATES[name] for name in reached}


@pytest.mark.parametrize("stage, next_date", NEXT_STAGE)
def test_stage_dates_of_the_stage_and_earlier_ones_are_accepted(stage, next_date):
    dates = _dates_up_to(stage)
    assert next_date not in dates and contract.STAGE_DATES[stage] in dates
    assert stage_date_problems(stage, dates, BIRTH) == {}
    assert register(stage=stage, **dates).stage == stage


@pytest.mark.parametrize("stage, next_date", NEXT_STAGE)
def test_stage_dates_the_date_of_the_very_next_stage_is_refused(stage, next_date):
    dates = {**_dates_up_to(stage), next_date: PIPELINE_DATES[next_date]}
    assert stage_date_problems(stage, dates, BIRTH) == {next_date: f"Not allowed for a member at stage {stage}."}
    with pytest.raises(InvalidInput) as error:
        register(stage=stage, **dates)
    assert set(error.value.fields) == {next_date}
    body = {"name": "李明", "gender": "male", "birth_date": BIRTH.isoformat(), "ethnicity": "汉族",
            "education": "硕士研究生", "id_number": make_id_number(), "phone": "13812345678",
            "employer": "纳米科技有限公司", "org_id": "branch-1", "stage": stage,
            **{name: day.isoformat() for name, day in dates.items()}}
    assert set(schema_errors(contract.RegisterMemberIn, body)) == {next_date}


# ---- 5. the public notice --------------------------------------------------------------------

NO_NOTICE = dataclasses.replace(RULE_SETS[0], version="no-notice-test", public_notice_working_days=None)
MONDAY = D(2023, 2, 20)


def _approve(member, rules, **notice):
    member.approve_candidate(rules, today=TODAY, candidate_on=T["candidate_on"], **notice)


def test_public_notice_of_one_day_is_refused_where_five_working_days_are_required():
    assert MONDAY.weekday() == 0
    member = walk("assign-contacts")
    error = refused(member, "approve-candidate", T["candidate_on"], public_notice_from=MONDAY,
                    public_notice_to=MONDAY)
    assert error.rule == "members.pipeline.public_notice" and error.fields["working_days"] == 1


@pytest.mark.parametrize("last_day, working_days", [
    (MONDAY + 3 * DAY, 4), (MONDAY + 4 * DAY, 5), (MONDAY + 7 * DAY, 6)])
def test_public_notice_of_four_five_and_six_working_days(last_day, working_days):
    member = walk("assign-contacts")
    notice = {"public_notice_from": MONDAY, "public_notice_to": last_day}
    if working_days < 5:
        assert refused(member, "approve-candidate", T["candidate_on"], **notice).fields["working_days"] == 4
    else:
        step(member, "approve-candidate", T["candidate_on"], **notice)
        assert last(member)["public_notice_working_days"] == working_days


def test_public_notice_of_one_day_is_accepted_where_the_rules_require_none():
    member = walk("assign-contacts")
    _approve(member, NO_NOTICE, public_notice_from=MONDAY, public_notice_to=MONDAY)
    assert (last(member)["public_notice_working_days"], last(member)["rules_version"]) == (1, "no-notice-test")
    assert member.stage == "candidate"


def test_public_notice_may_be_left_out_where_the_rules_require_none():
    member = walk("assign-contacts")
    _approve(member, NO_NOTICE)
    assert last(member)["public_notice_working_days"] is None and member.stage == "candidate"


@pytest.mark.parametrize("rules", [RULE_SETS[0], NO_NOTICE], ids=["2014", "no-notice"])
def test_public_notice_ending_the_day_before_it_starts_is_refused(rules):
    member = walk("assign-contacts")
    with pytest.raises(InvalidInput) as error:
        _approve(member, rules, public_notice_from=MONDAY, public_notice_to=MONDAY - DAY)
    assert "public_notice_to" in error.value.fields


# ---- 6. the first day the member rules are in force ---------------------------------------------

@pytest.fixture
def branch(db):
    box = Inbox(db)
    for envelope in (org_event("orgs.org_created", "committee-1"), org_event("orgs.branch_founded", "branch-1")):
        box.handle(f"members.on_{envelope.event_type.split('.')[1]}", envelope, org_replica.apply_org_event)
    return "branch-1"


def _register(run, seq, **fields):
    data = {"name": "Li Ming", "gender": "male", "birth_date": D(1990, 5, 4), "ethnicity": "Han",
            "education": "Master", "employer": "Nano Tech Co.", "id_number": make_id_number(D(1990, 5, 4), seq),
            "phone": "13812345678", "org_id": "branch-1", **fields}
    return run(commands.register_member, today=TODAY, **data)


def test_rule_start_an_application_dated_2013_12_31_is_refused(run, branch):
    with pytest.raises(InvalidInput, match="no member rules are in force on 2013-12-31"):
        _register(run, "101", stage="applicant", applied_on=D(2013, 12, 31))


def test_rule_start_an_application_dated_2014_01_01_is_judged_by_the_2014_rules(run, read, branch):
    member_id = _register(run, "102", stage="applicant", applied_on=D(2014, 1, 1))
    member = read(queries.get_member, member_id)
    assert (member["stage"], member["talk_due_on"]) == ("applicant", D(2014, 2, 1))


@pytest.mark.parametrize("changed_on, ok", [(D(2013, 12, 31), False), (D(2014, 1, 1), True)])
def test_rule_start_a_status_change_on_the_first_day_of_the_rules(run, read, branch, changed_on, ok):
    member_id = _register(run, "103", stage="full", **history("full", full_on=D(2011, 7, 1)))
    change = lambda: run(commands.change_status, member_id, today=TODAY, status="lost_contact",
                         changed_on=changed_on, reason="no reply")
    if ok:
        change()
        assert read(queries.get_member, member_id)["status"] == "lost_contact"
    else:
        with pytest.raises(InvalidInput, match="no member rules"):
            change()
        assert read(queries.get_member, member_id)["status"] == "active"


def test_rule_start_the_first_rule_set_takes_effect_on_2014_01_01():
    assert RULE_SETS[0].effective_from == D(2014, 1, 1)
    assert rules_in_force(D(2014, 1, 1)) is RULE_SETS[0]


# ---- 8. the suspension lift window -----------------------------------------------------------------

def _suspended(on):
    member = register(stage="full", admitted_on=D(2015, 7, 1), full_on=D(2016, 7, 1))
    lost = on - dt.timedelta(days=200)
    member.change_status(rules_in_force(lost), today=TODAY, status="lost_contact", changed_on=lost, reason="r")
    member.change_status(rules_in_force(on), today=TODAY, status="suspended", changed_on=on, reason="r")
    return member


@pytest.mark.parametrize("suspended_on, lifted_on, ok", [
    (D(2022, 7, 10), D(2024, 7, 9), True),    # the last day within the two years
    (D(2022, 7, 10), D(2024, 7, 10), False),  # two years to the day: too late
    (D(2022, 7, 10), D(2024, 7, 11), False),
    (D(2024, 2, 29), D(2026, 2, 27), True),   # from a 29 February: two years end on 28 February
    (D(2024, 2, 29), D(2026, 2, 28), False),
])
def test_suspension_lift_window_last_allowed_day_and_the_day_after(suspended_on, lifted_on, ok):
    member = _suspended(suspended_on)
    lift = lambda: member.change_status(rules_in_force(lifted_on), today=TODAY, status="active",
                                        changed_on=lifted_on, reason="back in touch")
    if ok:
        lift()
        assert member.status == "active" and member.suspended_on is None
    else:
        with pytest.raises(RuleViolation) as error:
            lift()
        assert error.value.rule == "members.status.suspension_lift_window"
        assert member.status == "suspended"
