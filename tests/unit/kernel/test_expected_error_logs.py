"""An expected error (a domain error answered to the caller) is logged as one
line naming it, never with a traceback; an unexpected one keeps its traceback."""
import logging

import shared.nameko_adapter  # noqa: F401  (installs the filter on nameko's logger)
from shared.errors import Conflict

LOGGER = logging.getLogger("nameko.containers")


def log_worker_error(exc, expected):
    try:
        raise exc
    except Exception:
        if expected:
            LOGGER.warning("(expected) error handling worker %s: %s", "<WorkerContext members.register_member>", exc,
                           exc_info=True)
        else:
            LOGGER.exception("error handling worker %s: %s", "<WorkerContext members.register_member>", exc)


def test_an_expected_error_is_one_line_without_a_traceback(caplog):
    with caplog.at_level(logging.WARNING, logger="nameko.containers"):
        log_worker_error(Conflict("a member with this ID number is already registered"), expected=True)
    [record] = caplog.records
    assert record.exc_info is None
    assert record.getMessage() == ("(expected) error handling worker <WorkerContext members.register_member>: "
                                   "conflict a member with this ID number is already registered")
    assert "Traceback" not in caplog.text and "\n" not in record.getMessage()


def test_an_unexpected_error_keeps_its_traceback(caplog):
    with caplog.at_level(logging.WARNING, logger="nameko.containers"):
        log_worker_error(KeyError("org_id"), expected=False)
    assert "Traceback" in caplog.text and "KeyError" in caplog.text
