"""Histories entered at registration (docs/domain.md §2.8): every earlier
step's date is required, each date rule is judged under the rule set in
force on its act's date, and a breach is refused unless a legacy exception
gives the reason; the exception is an event, shown on the member and listed
for the district."""
import dataclasses
import datetime as dt

import pytest

from members_builders import TODAY, register, register_handled
from services.members import queries
from services.members.history import history_breaches
from services.members.rules import RULE_SETS, RULES
from shared.errors import InvalidInput, RuleViolation
from stage_history import history
from unit.orgs_feed import deliver_district_tree, to_members

D = dt.date
BIRTH = D(1995, 5, 4)
BROKEN = {"applied_on": D(2009, 6, 1),  # 14: but before the first rule set, so not judged
          "activist_on": D(2014, 3, 1), "candidate_on": D(2014, 4, 1),  # one month an activist
          "admitted_on": D(2015, 1, 10), "full_on": D(2015, 2, 10)}  # one month of probation
EXCEPTION = {"reason": "档案记载如此，经区委组织部核实", "reference": "湖组〔2026〕12号"}


def rules_of(breaches):
    return [breach["rule"] for breach in breaches]


# ---- the rules, each at its boundary -----------------------------------------------------------

def test_a_history_that_keeps_every_rule_breaks_none():
    assert history_breaches(RULES.judging, BIRTH, history("full", full_on=D(2020, 7, 1))) == []


@pytest.mark.parametrize("applied_on, broken", [(D(2014, 5, 3), True), (D(2014, 5, 4), False)])
def test_the_age_on_application_is_judged_by_the_rules_of_that_day(applied_on, broken):
    born = D(1996, 5, 4)  # 18 on 2014-05-04
    dates = history("full", applied_on=applied_on, full_on=D(2020, 7, 1))
    assert rules_of(history_breaches(RULES.judging, born, dates)) == (["members.pipeline.min_age"] if broken else [])


@pytest.mark.parametrize("candidate_on, broken", [(D(2017, 2, 28), True), (D(2017, 3, 1), False)])
def test_the_activist_period_is_judged_on_the_candidate_date(candidate_on, broken):
    dates = history("full", activist_on=D(2016, 3, 1), candidate_on=candidate_on, full_on=D(2020, 7, 1))
    breaches = history_breaches(RULES.judging, BIRTH, dates)
    assert rules_of(breaches) == (["members.pipeline.activist_period"] if broken else [])
    if broken:
        assert breaches[0]["facts"] == {"candidate_on": "2017-02-28", "eligible_on": "2017-03-01"}
        assert breaches[0]["rules_version"] == "2014"


@pytest.mark.parametrize("full_on, broken", [(D(2019, 7, 9), True), (D(2019, 7, 10), False)])
def test_probation_is_judged_from_the_admission_meeting(full_on, broken):
    dates = history("full", admitted_on=D(2018, 7, 10), full_on=full_on)
    assert rules_of(history_breaches(RULES.judging, BIRTH, dates)) == \
        (["members.pipeline.probation_end"] if broken else [])


def test_each_date_is_judged_by_the_rule_set_in_force_on_it():
    """A revision from 2020 asks 18 months of activists: a candidate of 2019
    is judged by 2014's twelve, one of 2021 by the revision's eighteen."""
    revised = dataclasses.replace(RULE_SETS[0], version="2020-test", effective_from=D(2020, 1, 1),
                                  activist_min_months=18)
    book = RULES.__class__("member", (*RULE_SETS, revised))
    before = history("full", activist_on=D(2018, 1, 1), candidate_on=D(2019, 2, 1), full_on=D(2021, 7, 1))
    after = history("full", activist_on=D(2020, 1, 1), candidate_on=D(2021, 2, 1), full_on=D(2023, 7, 1))
    assert history_breaches(book.judging, BIRTH, before) == []
    [breach] = history_breaches(book.judging, BIRTH, after)
    assert (breach["rule"], breach["rules_version"]) == ("members.pipeline.activist_period", "2020-test")


def test_an_act_before_the_first_rule_set_is_taken_as_it_happened():
    assert RULES.judging(D(2013, 12, 31)) is None and RULES.judging(D(2014, 1, 1)) is RULE_SETS[0]
    assert rules_of(history_breaches(RULES.judging, BIRTH, BROKEN)) == \
        ["members.pipeline.activist_period", "members.pipeline.probation_end"]


# ---- registration refuses a breach, or records the exception ----------------------------------

def test_a_history_that_breaks_a_rule_is_refused_naming_the_first_and_listing_all():
    with pytest.raises(RuleViolation) as refused:
        register(stage="full", complete=False, **BROKEN)
    assert refused.value.rule == "members.pipeline.activist_period"
    assert "legacy_exception" in refused.value.message
    assert rules_of(refused.value.fields["breaches"]) == \
        ["members.pipeline.activist_period", "members.pipeline.probation_end"]
    assert refused.value.fields["candidate_on"] == "2014-04-01"


def test_an_under_age_applicant_is_refused_without_the_legacy_hint():
    with pytest.raises(RuleViolation) as refused:
        register(birth_date=D(2010, 5, 4), applied_on=D(2026, 5, 3))
    assert refused.value.rule == "members.pipeline.min_age" and "legacy_exception" not in refused.value.message


def test_a_legacy_exception_is_recorded_with_the_registration():
    member = register(stage="full", complete=False, legacy_exception=EXCEPTION, **BROKEN)
    registered, recorded = member.pending_events
    assert (registered.event_type, recorded.event_type) == \
        ("members.member_registered", "members.legacy_exception_recorded")
    assert recorded.payload["reason"] == EXCEPTION["reason"] and recorded.payload["reference"] == "湖组〔2026〕12号"
    assert rules_of(recorded.payload["breaches"]) == ["members.pipeline.activist_period",
                                                     "members.pipeline.probation_end"]
    assert (recorded.payload["stage"], recorded.payload["org_id"]) == ("full", "branch-1")


def test_a_legacy_exception_for_a_history_that_needs_none_is_refused():
    with pytest.raises(InvalidInput) as refused:
        register(stage="full", legacy_exception=EXCEPTION, full_on=D(2020, 7, 1))
    assert set(refused.value.fields) == {"legacy_exception"}


def test_every_earlier_step_needs_its_date():
    with pytest.raises(InvalidInput) as refused:
        register(stage="full", complete=False, admitted_on=D(2015, 7, 1), full_on=D(2016, 7, 1))
    assert set(refused.value.fields) == {"applied_on", "activist_on", "candidate_on"}


# ---- shown on the member, listed for the district ---------------------------------------------

@pytest.fixture
def tree(db):
    deliver_district_tree(to_members(db))


def test_the_exception_is_on_the_member_and_in_the_lists_of_every_org_above(run, read, tree):
    deep = register_handled(run, "201", "branch-1", legacy_exception=EXCEPTION, **BROKEN)
    near = register_handled(run, "202", "branch-2", legacy_exception={"reason": "原始档案"}, **BROKEN)
    elsewhere = register_handled(run, "203", "branch-3", legacy_exception={"reason": "原始档案"}, **BROKEN)
    register_handled(run, "204", "branch-1")
    shown = read(queries.get_member, deep)["legacy_exception"]
    assert shown["reason"] == EXCEPTION["reason"] and shown["recorded_on"] == TODAY.isoformat()
    assert rules_of(shown["breaches"]) == ["members.pipeline.activist_period", "members.pipeline.probation_end"]
    listed = lambda org_id: read(queries.list_legacy_exceptions, org_id, limit=50, offset=0)
    district = listed("committee-1")
    assert {item["member_id"] for item in district["items"]} == {deep, near} and district["total"] == 2
    assert district["total"] == listed("general-1")["total"] + listed("branch-2")["total"]
    assert [item["member_id"] for item in listed("branch-1")["items"]] == [deep]
    assert listed("branch-1")["items"][0]["org_name"] == "Nano Branch"
    assert [item["member_id"] for item in listed("committee-2")["items"]] == [elsewhere]
    assert read(queries.get_member, elsewhere)["legacy_exception"]["reference"] is None
