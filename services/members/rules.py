"""Versioned rule data for members (docs/domain.md §2): the development pipeline's
ages, periods, windows and vote thresholds, and the status machine's time
limits.

A revision of the regulations is a new ``MemberRules`` appended to
``RULE_SETS`` with its ``effective_from`` date; an act (a pipeline step, a
status change) is judged by the rule set in force on the date of that act,
not on the day it is entered.
"""
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from shared.rulebook import RuleBook


@dataclass(frozen=True)
class MemberRules:
    version: str
    effective_from: date
    # ---- the development pipeline ----
    min_age_years: int
    """An applicant is at least this old on the application date (the birthday counts)."""
    talk_within_months: int
    """The branch talks with an applicant within this many months of the application."""
    activist_min_months: int
    """An activist becomes a candidate no earlier than this many months (same
    calendar date; the 29th of February becomes the 28th) after designation."""
    assessment_interval_months: int
    """Activists and candidates are assessed at least this often."""
    contacts_min: int
    contacts_max: int
    """Full members assigned to an activist as contacts."""
    candidate_parent_approval: bool
    """False: the branch committee's decision is filed with the parent;
    True (a revision): the parent must approve it."""
    public_notice_working_days: int | None
    """A candidate is publicly noticed for at least this many working days
    (Monday to Friday); None where the version does not require a notice."""
    sponsors_required: int
    training_min_days: int
    training_min_class_hours: int
    """Training before the admission vote: at least the days OR the class hours."""
    vote_quorum: Fraction
    """More than this share of the eligible (full) members must be present."""
    vote_majority: Fraction
    """More than this share of the eligible (full) members must vote yes."""
    approval_window_months: int
    approval_window_months_special: int
    """The parent approves an admission (or a confirmation) within this many
    months of the branch meeting; the longer window in special cases."""
    probation_months: int
    """Probation runs from the admission meeting for this many months."""
    extension_min_months: int
    extension_max_months: int
    extensions_allowed: int
    # ---- the status machine ----
    suspension_unreachable_months: int
    """Suspension when unreachable (lost contact) for at least this long."""
    suspension_abroad_years: int
    """... or settled / studying abroad for more than this many years."""
    left_inactive_months: int
    """Left: this long without organisational life or dues, without reason."""
    suspension_lift_years: int
    """A suspension can be lifted only before this many years have passed."""
    left_after_suspension_years: int
    """Left: still unreachable this long after the suspension."""


RULE_SETS: tuple[MemberRules, ...] = (
    MemberRules(
        version="2014",  # 中国共产党发展党员工作细则 (2014) and the Party Constitution
        effective_from=date(2014, 1, 1),
        min_age_years=18,
        talk_within_months=1,
        activist_min_months=12,
        assessment_interval_months=6,
        contacts_min=1,
        contacts_max=2,
        candidate_parent_approval=False,
        public_notice_working_days=5,
        sponsors_required=2,
        training_min_days=3,
        training_min_class_hours=24,
        vote_quorum=Fraction(1, 2),
        vote_majority=Fraction(1, 2),
        approval_window_months=3,
        approval_window_months_special=6,
        probation_months=12,
        extension_min_months=6,
        extension_max_months=12,
        extensions_allowed=1,
        suspension_unreachable_months=6,
        suspension_abroad_years=5,
        left_inactive_months=6,
        suspension_lift_years=2,
        left_after_suspension_years=2,
    ),
)


RULES = RuleBook("member", RULE_SETS)
rules_in_force = RULES.in_force  # the rule set in force on a day (shared/rulebook.py)
