"""A service's versioned rule sets, and which one is in force on a day. Pure.

Each service keeps the numbers the regulations set as rule sets (frozen
dataclasses with a ``version`` and the ``effective_from`` day they take
effect); an act is judged by the set in force on its own date, so a rule
revision never changes how an earlier act was judged. ``RuleBook`` is that
lookup, once for every service."""
import datetime as dt
from typing import Generic, Protocol, Sequence, TypeVar

from .errors import InvalidInput


class RuleSet(Protocol):
    version: str
    effective_from: dt.date


R = TypeVar("R", bound=RuleSet)


class RuleBook(Generic[R]):
    """``what``: how the rules are named in a refusal ("dues", "member")."""

    def __init__(self, what: str, rule_sets: Sequence[R]):
        self.what = what
        self.rule_sets = tuple(rule_sets)

    def in_force(self, on: dt.date, rule_sets: Sequence[R] | None = None) -> R:
        """The rule set in force on ``on``: the latest one effective by then
        (of ``rule_sets`` if given: a test's, or an account's own). A day
        before the earliest is refused: no rules judged it."""
        rule_sets = self.rule_sets if rule_sets is None else rule_sets
        rules = _latest(rule_sets, on)
        if rules is None:
            earliest = min(rules.effective_from for rules in rule_sets)
            raise InvalidInput(f"no {self.what} rules are in force on {on.isoformat()} "
                               f"(the earliest take effect on {earliest.isoformat()})", {"date": on.isoformat()})
        return rules

    def judging(self, on: dt.date) -> R | None:
        """The rule set that judges an act of ``on``; None for an act before
        the earliest set (an old record is taken as it happened, unjudged)."""
        return _latest(self.rule_sets, on)


def _latest(rule_sets: Sequence[R], on: dt.date) -> R | None:
    """The latest of ``rule_sets`` effective by ``on``; None before them all."""
    in_force = [rules for rules in rule_sets if rules.effective_from <= on]
    return max(in_force, key=lambda rules: rules.effective_from) if in_force else None
