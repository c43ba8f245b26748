"""A failure test: RabbitMQ is restarted (``rabbitmqctl stop_app`` /
``start_app``) while 1,000 payments stream in by RPC from 10 clients. A
client whose call fails (no broker, a lost reply) sends the same payment
again, with the same idempotency key, until it gets a receipt. Afterwards
every accepted payment appears exactly once: in the event store, in each
member's statement, in the branch report, and on the bus."""
import datetime as dt
import subprocess
import time
import uuid
from decimal import Decimal

import eventlet
import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select

from services.dues.ledger import month_of, month_text
from services.dues.projections import dues_accounts
from shared.errors import Conflict
from shared.tables import events

pytestmark = pytest.mark.integration

MEMBERS, MONTHS, CLIENTS = 250, 4, 10  # 1,000 payments
RESTART_AFTER = 250  # accepted payments before the broker goes away


def rabbitmqctl(*args):
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


class Client:
    """One payer: a standalone RPC proxy, replaced whenever a call fails."""

    def __init__(self, config):
        self.config, self.context, self.proxy = config, None, None
        self.failures = 0
        self.errors: dict[str, int] = {}

    def pay(self, body, give_up_after=120.0) -> dict:
        deadline = time.monotonic() + give_up_after
        while True:
            if time.monotonic() > deadline:
                raise AssertionError(f"no receipt for {body['idempotency_key']} after {give_up_after}s: {self.errors}")
            try:
                if self.proxy is None:
                    self.context = ServiceRpcProxy("dues", self.config, timeout=10)
                    self.proxy = self.context.start()
                return self.proxy.pay(body)
            except Conflict:  # a late copy of an earlier request held the account: send again
                self.failures += 1
                self.errors["Conflict"] = self.errors.get("Conflict", 0) + 1
            except Exception as exc:  # the broker went away, or the reply was lost: same key again
                self.failures += 1
                self.errors[type(exc).__name__] = self.errors.get(type(exc).__name__, 0) + 1
                self.close()
                eventlet.sleep(0.5)

    def close(self):
        context, self.context, self.proxy = self.context, None, None
        if context is not None:
            try:
                context.stop()
            except Exception:
                pass


def test_every_accepted_payment_is_recorded_once_across_a_broker_restart(
        dues, dues_config, dues_kernel, feed, event_tap, wait):
    now = month_of(dt.date.today())
    months = [month_text(now - back) for back in range(MONTHS - 1, -1, -1)]
    first = dt.date(int(months[0][:4]), int(months[0][5:]), 10)
    branch = f"branch-{uuid.uuid4().hex[:8]}"
    members = [str(uuid.uuid4()) for _ in range(MEMBERS)]
    for member_id in members:
        feed.admitted(member_id, branch, first)

    def accounts():
        with dues_kernel.db.connect() as conn:
            return conn.execute(select(func.count()).select_from(dues_accounts)
                                .where(dues_accounts.c.org_id == branch)).scalar_one() == MEMBERS
    wait(accounts, timeout=120, what=f"{MEMBERS} accounts opened by members events")
    based = [dues.set_dues_base.call_async(m, {"category": "employed", "base": "3000.01",
                                               "effective_month": months[0]}) for m in members]
    assert all(call.result()["monthly_amount"] == "30.00" for call in based)

    accepted: dict[str, dict] = {}
    clients = [Client(dues_config) for _ in range(CLIENTS)]

    def pay_all(index):
        client = clients[index]
        for member_id in members[index::CLIENTS]:
            for month in months:
                key = f"{member_id}/{month}"
                accepted[key] = client.pay({"idempotency_key": key, "member_id": member_id, "months": [month],
                                            "amount": "30.00", "paid_by": f"client {index}"})
        client.close()

    finished = []

    def restart_broker():
        while len(accepted) < RESTART_AFTER and not finished:
            eventlet.sleep(0.05)
        if finished:
            return None
        stopped_at = len(accepted)
        rabbitmqctl("stop_app")
        try:
            eventlet.sleep(3)
        finally:
            rabbitmqctl("start_app")
            rabbitmqctl("await_startup")
        return stopped_at

    pool = eventlet.GreenPool(CLIENTS)
    started = time.monotonic()
    restarter = eventlet.spawn(restart_broker)
    try:
        list(pool.imap(pay_all, range(CLIENTS)))
    finally:
        finished.append(True)
        stopped_at = restarter.wait()  # never leave the broker stopped
    elapsed = time.monotonic() - started
    failures = sum(c.failures for c in clients)
    errors = {}
    for client in clients:
        for name, n in client.errors.items():
            errors[name] = errors.get(name, 0) + n
    print(f"\n{len(accepted)} payments in {elapsed:.1f}s; broker stopped after {stopped_at} were accepted; "
          f"{failures} calls failed and were sent again: {errors}")
    assert RESTART_AFTER <= stopped_at < MEMBERS * MONTHS and failures > 0

    # every accepted payment, exactly once
    assert len(accepted) == MEMBERS * MONTHS
    payment_ids = {receipt["payment_id"] for receipt in accepted.values()}
    assert len(payment_ids) == MEMBERS * MONTHS
    with dues_kernel.db.connect() as conn:
        recorded = conn.execute(select(func.count()).select_from(events)
                                .where(events.c.event_type == "dues.payment_recorded")).scalar_one()
    assert recorded == MEMBERS * MONTHS

    with ServiceRpcProxy("dues", dues_config, timeout=30) as after:
        for member_id in members:
            statement = after.get_dues(member_id, year=None)
            lines = [line["payment_id"] for line in statement["payments"]]
            assert sorted(lines) == sorted(accepted[f"{member_id}/{m}"]["payment_id"] for m in months)
            assert statement["paid_up_to"] == months[-1] and statement["balance"]["outstanding"] == "0.00"
        paid_months, collected = 0, Decimal("0.00")
        for year in sorted({int(m[:4]) for m in months}):
            totals = after.dues_report(branch, year)["totals"]
            paid_months += totals["paid_months"]
            collected += Decimal(totals["collected"])
            assert totals["outstanding"] == "0.00"
    assert paid_months == MEMBERS * MONTHS
    assert collected == MEMBERS * MONTHS * Decimal("30.00")

    # and on the bus: each payment's event arrives (at least once; consumers dedupe by event id)
    def all_published(received):
        return len({e["payload"]["payment_id"] for e in received
                    if e["event_type"] == "dues.payment_recorded"}) >= MEMBERS * MONTHS
    received = event_tap.drain(all_published, timeout=120)
    published = {e["payload"]["payment_id"] for e in received if e["event_type"] == "dues.payment_recorded"}
    assert published == payment_ids
    wait(lambda: dues_kernel.relay.backlog() == 0, timeout=60, what="the outbox to drain")
