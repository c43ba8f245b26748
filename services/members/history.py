"""The pipeline's date rules, checked on a history entered at registration
(docs/domain.md §2.8). Pure.

A member registered at a later stage brings the date of every earlier step.
Each date rule is judged under the rule set in force on the date of the act
it governs, as the step itself would have been: the age on the application
date, the activist period on the candidate decision's date, the probation on
the admission meeting's date. An act dated before the earliest rule set is
taken as it happened, unjudged. The order of the dates is checked with the
input (``shared.identifiers.stage_date_problems``), before these rules."""
import datetime as dt
from typing import Callable

from shared.dates import add_months, age_on

from .rules import MemberRules

Judging = Callable[[dt.date], MemberRules | None]


def _breach(rules: MemberRules, rule: str, message: str, **facts) -> dict:
    """``facts``: the fields a refusal names, as the step itself would name them."""
    return {"rule": rule, "message": message, "rules_version": rules.version,
            "facts": {name: value.isoformat() if isinstance(value, dt.date) else value
                      for name, value in facts.items()}}


PERIODS = (
    # rule, the period's start, its end, whose date picks the rules, the months, the fact naming its end
    ("members.pipeline.activist_period", "activist_on", "candidate_on", "candidate_on", "activist_min_months",
     "eligible_on", "a candidate must have been an activist for at least {months} months: eligible from "
                    "{ends}, approved on {end}"),
    ("members.pipeline.probation_end", "admitted_on", "full_on", "admitted_on", "probation_months",
     "probation_ends_on", "probation lasts {months} months from the admission meeting: it ended on {ends}, "
                          "full membership is dated {end}"),
)
"""The periods a history must have kept, each as its step would have judged it."""


def history_breaches(judging: Judging, birth_date: dt.date, dates: dict) -> list[dict]:
    """Every date rule the history ``dates`` (``applied_on`` ... ``full_on``)
    breaks, in pipeline order: [{rule, message, rules_version, facts}];
    empty if none."""
    breaches = []
    applied_on = dates.get("applied_on")
    rules = applied_on and judging(applied_on)
    if rules and age_on(birth_date, applied_on) < rules.min_age_years:
        age = age_on(birth_date, applied_on)
        breaches.append(_breach(rules, "members.pipeline.min_age",
                                f"an applicant must be at least {rules.min_age_years} on the application date; "
                                f"this one was {age} on {applied_on.isoformat()}",
                                applied_on=applied_on, age=age))
    for rule, start, end, judged_on, months, ends_name, message in PERIODS:
        rules = dates.get(start) and dates.get(end) and judging(dates[judged_on])
        if not rules:
            continue
        ends = add_months(dates[start], getattr(rules, months))
        if dates[end] < ends:
            breaches.append(_breach(rules, rule, message.format(months=getattr(rules, months), ends=ends.isoformat(),
                                                                end=dates[end].isoformat()),
                                    **{end: dates[end], ends_name: ends}))
    return breaches
