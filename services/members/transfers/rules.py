"""Versioned rule data of transfers (docs/domain.md §3): how long a transfer
letter is valid, whether it may be issued with dues owed, and how long the
member has to report in.

A revision is a new ``TransferRules`` appended to ``RULE_SETS`` with its
``effective_from``; a letter is judged by the set in force on the day it is
issued, a report-in window by the set in force on the day of acceptance.
"""
import datetime as dt
from dataclasses import dataclass

from shared.rulebook import RuleBook

from shared.dates import add_months

SCOPES = ("in_city", "elsewhere")


@dataclass(frozen=True)
class TransferRules:
    version: str
    effective_from: dt.date
    letter_days: dict
    """Validity the issuer gives a letter when it names no ``valid_until``,
    by scope: about 10 days within the city, 30 elsewhere."""
    letter_min_days: int
    """``valid_until`` is at least this many days after the issue date..."""
    letter_max_months: int
    """... and at most this many months after it."""
    report_in_days: int
    """After the receiving side accepts, the member reports in within this
    many days; past it the transfer is flagged (an alert, not a block)."""
    letter_with_arrears: bool
    """False: a letter is refused while the dues service says dues are owed
    (settle or waive them first); True: it is issued and prints the arrears."""

    def default_valid_until(self, issued_on: dt.date, scope: str) -> dt.date:
        return issued_on + dt.timedelta(days=self.letter_days[scope])

    def latest_valid_until(self, issued_on: dt.date) -> dt.date:
        return add_months(issued_on, self.letter_max_months)

    def earliest_valid_until(self, issued_on: dt.date) -> dt.date:
        return issued_on + dt.timedelta(days=self.letter_min_days)

    def report_due_on(self, accepted_on: dt.date) -> dt.date:
        return accepted_on + dt.timedelta(days=self.report_in_days)


RULE_SETS: tuple[TransferRules, ...] = (
    TransferRules(
        version="2014",  # the organisation department's practice on transfer letters
        effective_from=dt.date(2014, 1, 1),
        letter_days={"in_city": 10, "elsewhere": 30},
        letter_min_days=1,
        letter_max_months=3,
        report_in_days=30,
        letter_with_arrears=False,  # dues are settled before the relationship leaves the branch
    ),
)


RULES = RuleBook("transfer", RULE_SETS)
transfer_rules_in_force = RULES.in_force  # the rule set in force on a day (shared/rulebook.py)
