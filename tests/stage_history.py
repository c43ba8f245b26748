"""A history that keeps every pipeline rule, for a member registered at a
later stage: the date of each step up to the stage, each earlier date
counted back from the next one by a gap the 2014 rules allow. Dates given
are kept; so a test names the dates it is about and gets the rest."""
import datetime as dt

from services.members.rules import RULE_SETS
from shared.dates import add_months
from shared.vocabulary import STAGE_DATES, STAGES

_RULES = RULE_SETS[0]
GAPS_BACK = {  # months from each step back to the one before it
    "full_on": _RULES.probation_months,
    "admitted_on": 3,
    "candidate_on": _RULES.activist_min_months + 1,
    "activist_on": 3,
}
ORDER = list(STAGE_DATES.values())


def history(stage: str, **given: dt.date | None) -> dict:
    """{applied_on, ..., the stage's own date}: ``given`` as given (a later
    stage's date too, for a test of its refusal), each earlier missing date
    counted back from the later one."""
    reached = ORDER[:STAGES.index(stage) + 1]
    dates = {**{name: given.get(name) for name in reached}, **given}
    for later, earlier in zip(reversed(reached), list(reversed(reached))[1:]):
        if dates[earlier] is None and dates[later] is not None:
            dates[earlier] = add_months(dates[later], -GAPS_BACK[later])
    return dates


def history_json(stage: str, **given) -> dict:
    """``history`` as ISO strings, for a JSON body or an RPC ``data``; ``given`` may be dates or ISO strings."""
    dates = history(stage, **{name: dt.date.fromisoformat(day) if isinstance(day, str) else day
                              for name, day in given.items()})
    return {name: day.isoformat() for name, day in dates.items() if day is not None}
