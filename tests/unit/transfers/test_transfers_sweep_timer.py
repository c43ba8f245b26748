"""The sweep's timer entrypoint: a pass that did something is logged as a
summary of what it did (transfer ids, never personal data), not as a failure."""
import datetime as dt
import logging
from unittest import mock

from nameko.testing.services import worker_factory

from services.members.transfers import saga as transfer_saga
from services.members.service import MembersService


def test_a_sweep_that_did_something_logs_what_it_did(caplog):
    service = worker_factory(MembersService)
    result = {"as_of": dt.date(2026, 12, 1), "letters_expired": ["t-1"], "reports_overdue": [],
              "completed": ["t-2"], "cancelled": []}
    with mock.patch.object(transfer_saga, "run_sweep", return_value=result), \
            caplog.at_level(logging.INFO, logger="services.members.transfers.service"):
        service.transfer_sweep()
    messages = [r.getMessage() for r in caplog.records]
    assert not any("failed" in m for m in messages), messages
    summary, = [m for m in messages if m.startswith("transfer sweep:")]
    assert "t-1" in summary and "t-2" in summary and "2026-12-01" in summary
