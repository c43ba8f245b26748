"""retry_conflicts: a command that lost a race on a stream runs again, a
bounded number of times; any other error is not retried."""
import pytest

from shared.errors import Conflict, RuleViolation
from shared.retry import CONFLICT_RETRIES, retry_conflicts


def failing(times, error):
    calls = []

    def command():
        calls.append(1)
        if len(calls) <= times:
            raise error
        return "done"
    return command, calls


def test_a_conflict_is_retried_until_the_command_succeeds():
    command, calls = failing(2, Conflict("moved on"))
    assert retry_conflicts(command) == "done"
    assert len(calls) == 3


def test_conflicts_beyond_the_bound_reach_the_caller():
    command, calls = failing(CONFLICT_RETRIES, Conflict("moved on"))
    with pytest.raises(Conflict):
        retry_conflicts(command)
    assert len(calls) == CONFLICT_RETRIES


def test_other_errors_are_not_retried():
    command, calls = failing(1, RuleViolation("some.rule", "refused"))
    with pytest.raises(RuleViolation):
        retry_conflicts(command)
    assert len(calls) == 1
