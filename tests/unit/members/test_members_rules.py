"""Rule numbers are versioned data: a step is judged by the set in force on
the step's own date, not on the day it is entered."""
import dataclasses
import datetime as dt
from fractions import Fraction

import pytest

from members_builders import TIMELINE, TODAY, VOTE, register, step, walk
from services.members import rules as rules_module
from shared.dates import add_months, age_on, working_days
from services.members.rules import RULE_SETS, rules_in_force
from shared.errors import InvalidInput, RuleViolation

D = dt.date
REVISION = dataclasses.replace(RULE_SETS[0], version="2025-test", effective_from=D(2025, 1, 1),
                               activist_min_months=18, candidate_parent_approval=True,
                               public_notice_working_days=7, vote_majority=Fraction(2, 3))
WITH_REVISION = (*RULE_SETS, REVISION)


def test_the_2014_values_are_in_force():
    rules = rules_in_force(D(2024, 6, 1))
    assert rules.version == "2014"
    assert (rules.min_age_years, rules.talk_within_months, rules.activist_min_months) == (18, 1, 12)
    assert (rules.contacts_min, rules.contacts_max, rules.sponsors_required) == (1, 2, 2)
    assert (rules.training_min_days, rules.training_min_class_hours) == (3, 24)
    assert (rules.vote_quorum, rules.vote_majority) == (Fraction(1, 2), Fraction(1, 2))
    assert (rules.approval_window_months, rules.approval_window_months_special, rules.probation_months) == (3, 6, 12)
    assert (rules.extension_min_months, rules.extension_max_months, rules.extensions_allowed) == (6, 12, 1)
    assert (rules.suspension_unreachable_months, rules.suspension_abroad_years, rules.left_inactive_months,
            rules.suspension_lift_years, rules.left_after_suspension_years) == (6, 5, 6, 2, 2)
    assert (rules.candidate_parent_approval, rules.public_notice_working_days) == (False, 5)


def test_no_rules_before_the_first_version():
    with pytest.raises(InvalidInput, match="no member rules"):
        rules_in_force(D(2013, 12, 31))
    assert rules_in_force(D(2014, 1, 1)).version == "2014"


def test_a_revision_applies_from_its_date_only():
    assert rules_in_force(D(2024, 12, 31), WITH_REVISION).version == "2014"
    assert rules_in_force(D(2025, 1, 1), WITH_REVISION).version == "2025-test"


@pytest.fixture
def revised(monkeypatch):
    """The service sees a revision effective 2025-01-01."""
    monkeypatch.setattr(rules_module, "RULE_SETS", WITH_REVISION)
    monkeypatch.setattr(rules_module.RULES, "rule_sets", WITH_REVISION)


def _activist(activist_on):
    member = register(stage="activist", applied_on=activist_on - dt.timedelta(days=30), activist_on=activist_on)
    return member


def test_a_step_is_judged_by_the_rules_of_its_own_date(revised):
    # Designated 2023-06-01: the 2014 rules (12 months) apply to a decision of 2024-06-01 ...
    member = _activist(D(2023, 6, 1))
    step(member, "approve-candidate", D(2024, 6, 3), public_notice_from=D(2024, 5, 27),
         public_notice_to=D(2024, 5, 31))
    assert member.pending_events[-1].payload["rules_version"] == "2014"
    # ... but a decision dated 2025 is judged by the revision: 18 months, parent approval, 7 days' notice.
    member = _activist(D(2023, 12, 2))
    with pytest.raises(RuleViolation) as refused:
        step(member, "approve-candidate", D(2025, 1, 6))
    assert refused.value.rule == "members.pipeline.activist_period"
    assert refused.value.fields["eligible_on"] == "2025-06-02"
    with pytest.raises(RuleViolation) as refused:
        step(member, "approve-candidate", D(2025, 6, 2), public_notice_from=D(2025, 5, 26),
             public_notice_to=D(2025, 5, 30))
    assert refused.value.rule == "members.pipeline.public_notice"
    with pytest.raises(RuleViolation) as refused:
        step(member, "approve-candidate", D(2025, 6, 2), public_notice_from=D(2025, 5, 22),
             public_notice_to=D(2025, 5, 30))
    assert refused.value.rule == "members.pipeline.candidate_parent_approval"
    step(member, "approve-candidate", D(2025, 6, 2), public_notice_from=D(2025, 5, 22),
         public_notice_to=D(2025, 5, 30), parent_approved_on=D(2025, 6, 4))
    assert member.pending_events[-1].payload["rules_version"] == "2025-test"


def test_a_vote_is_judged_by_the_rules_of_the_meeting_date(revised):
    member = walk("record-training")
    seven_of_twelve = {"eligible_voters": 12, "present_voters": 12, "yes": 7, "no": 5, "abstain": 0}
    # 7 of 12 is more than half (2014) but not more than two thirds (the revision of 2025).
    step(member, "admission-vote", TIMELINE["meeting_date"], **seven_of_twelve)
    assert member.vote is not None
    late = walk("record-training")
    with pytest.raises(RuleViolation) as refused:
        step(late, "admission-vote", D(2025, 2, 3), **seven_of_twelve)
    assert refused.value.rule == "members.pipeline.vote_majority"
    step(late, "admission-vote", D(2025, 2, 3), **VOTE)
    assert late.pending_events[-1].payload["rules_version"] == "2025-test"
    assert TODAY > D(2025, 2, 3)


# ---- the calendar the rules are stated in ----------------------------------------------

def test_a_year_is_the_same_calendar_date_next_year():
    assert add_months(D(2023, 3, 1), 12) == D(2024, 3, 1)  # 366 days: spans 29 February 2024
    assert add_months(D(2022, 3, 1), 12) == D(2023, 3, 1)  # 365 days
    assert add_months(D(2024, 2, 29), 12) == D(2025, 2, 28)
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_months(D(2023, 11, 30), 3) == D(2024, 2, 29)


def test_age_counts_the_birthday_itself():
    assert age_on(D(2006, 6, 15), D(2024, 6, 14)) == 17
    assert age_on(D(2006, 6, 15), D(2024, 6, 15)) == 18
    assert age_on(D(2004, 2, 29), D(2022, 2, 28)) == 18  # born on a 29 February


def test_working_days_are_monday_to_friday():
    assert D(2024, 3, 4).weekday() == 0
    assert working_days(D(2024, 3, 4), D(2024, 3, 8)) == 5
    assert working_days(D(2024, 3, 4), D(2024, 3, 7)) == 4
    assert working_days(D(2024, 3, 6), D(2024, 3, 12)) == 5  # Wednesday to Tuesday, over a weekend
    assert working_days(D(2024, 3, 9), D(2024, 3, 10)) == 0
    assert working_days(D(2024, 3, 1), D(2024, 3, 31)) == 21
    assert working_days(D(2024, 3, 8), D(2024, 3, 7)) == 0
