"""Read models of the dues service, kept by ``project``, which the event store
calls inline, in the transaction that appends each event. Reports and
statements read these tables only; they never fold events at query time.

- ``dues_accounts``: one row per account (branch, standing, current base);
- ``dues_schedule``: the account's periods (ledger.Period), rewritten when an
  event changes what is owed (recomputed by folding that one account);
- ``dues_paid_months`` / ``dues_payments``: settled months and statement lines;
- ``dues_reductions``, ``dues_excuses``, ``dues_flags``, ``dues_policies``.
"""
from decimal import Decimal

from sqlalchemy import (JSON, BigInteger, Boolean, Column, Date, Index, Integer, String, Table, Text, delete, insert,
                        update)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TypeDecorator

from shared.catalog import catalog
from shared.envelope import Envelope
from shared.store import EventStore
from shared.tables import UTCDateTime

from .domain import DuesAccount
from .ledger import month_index
from .tables import metadata


class Fen(TypeDecorator):
    """Yuan (Decimal, 2 places) stored as whole fen: exact on every backend,
    sums included (SQLite would add NUMERIC as binary floats)."""
    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        fen = Decimal(value) * 100
        if fen != fen.to_integral_value():
            raise ValueError(f"{value} has more than 2 decimals")
        return int(fen)

    def process_result_value(self, value, dialect):
        return None if value is None else (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


Money = Fen()

dues_accounts = Table(
    "dues_accounts", metadata,
    Column("member_id", String(64), primary_key=True),
    Column("org_id", String(64), nullable=False, index=True),
    Column("stage", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("liable", Boolean, nullable=False),
    Column("owes_from", Integer, nullable=False),
    Column("category", String(20)),
    Column("base", Money),
    Column("set_amount", Money),
    Column("version", Integer, nullable=False),  # of the last event that changed this row
)

dues_schedule = Table(
    "dues_schedule", metadata,
    Column("member_id", String(64), primary_key=True),
    Column("from_month", Integer, primary_key=True),
    Column("to_month", Integer),
    Column("org_id", String(64), nullable=False, index=True),
    Column("category", String(20)),
    Column("base", Money),
    Column("set_amount", Money),
    Column("assessed", Money),
    Column("due", Money),
    Column("rules_version", String(20)),
    Column("reduction_id", String(64)),
)

dues_paid_months = Table(
    "dues_paid_months", metadata,
    Column("member_id", String(64), primary_key=True),
    Column("month", Integer, primary_key=True),
    Column("org_id", String(64), nullable=False),
    Column("amount", Money, nullable=False),
    Column("payment_id", String(64), nullable=False),
    Index("ix_dues_paid_months_org_month", "org_id", "month"),
)

dues_payments = Table(
    "dues_payments", metadata,
    Column("payment_id", String(64), primary_key=True),
    Column("idempotency_key", String(100), nullable=False, unique=True),  # a payment is recorded once
    Column("member_id", String(64), nullable=False, index=True),
    Column("org_id", String(64), nullable=False, index=True),
    Column("months", JSON, nullable=False),
    Column("dues_amount", Money, nullable=False),
    Column("voluntary_extra", Money, nullable=False),
    Column("total", Money, nullable=False),
    Column("forward_to_central", Boolean, nullable=False),
    Column("paid_by", String(100)),
    Column("paid_on", Date, nullable=False),
    Column("paid_up_to", String(7)),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("position", Integer, nullable=False),  # the account version: statement order
)

dues_reductions = Table(
    "dues_reductions", metadata,
    Column("reduction_id", String(64), primary_key=True),
    Column("member_id", String(64), nullable=False, index=True),
    Column("kind", String(10), nullable=False),
    Column("from_month", Integer, nullable=False),
    Column("to_month", Integer, nullable=False),
    Column("monthly_amount", Money),
    Column("reason", Text, nullable=False),
    Column("decided_on", Date, nullable=False),
    Column("decision_ref", String(200)),
    Column("state", String(10), nullable=False),
    Column("decided_by", String(100)),
    Column("approved_on", Date),
    Column("rejection_reason", Text),
)

dues_excuses = Table(
    "dues_excuses", metadata,
    Column("member_id", String(64), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("from_month", Integer, nullable=False),
    Column("to_month", Integer, nullable=False),
    Column("reason", Text, nullable=False),
)

dues_flags = Table(
    "dues_flags", metadata,
    Column("member_id", String(64), primary_key=True),
    Column("as_of_month", Integer, primary_key=True),
    Column("org_id", String(64), nullable=False, index=True),
    Column("first_unpaid_month", Integer, nullable=False),
    Column("unpaid_months", Integer, nullable=False),
    Column("outstanding", Money, nullable=False),
)

dues_policies = Table(
    "dues_policies", metadata,
    Column("org_id", String(64), primary_key=True),
    Column("policy", String(30), nullable=False),
    Column("version", Integer, nullable=False),
)

dues_meta = Table(  # facts about the read models themselves (the rules they were computed under)
    "dues_meta", metadata,
    Column("key", String(50), primary_key=True),
    Column("value", Text, nullable=False),
)

_reader = EventStore("dues", catalog)


def fold_account(conn, member_id: str) -> DuesAccount | None:
    """The account as its events make it (from its latest snapshot on)."""
    return _reader.load_aggregate(conn, DuesAccount, member_id)


def _dialect(conn):
    return postgresql if conn.dialect.name == "postgresql" else sqlite


def upsert(conn, table, row: dict, keys: tuple[str, ...]):
    statement = _dialect(conn).insert(table).values(**row)
    conn.execute(statement.on_conflict_do_update(
        index_elements=list(keys), set_={k: v for k, v in row.items() if k not in keys}))


# ---- the projector ------------------------------------------------------------

def account_row(account: DuesAccount, version: int) -> dict:
    current = account.bases[-1] if account.bases else None
    return {"member_id": account.id, "org_id": account.org_id, "stage": account.stage, "status": account.status,
            "liable": account.liable, "owes_from": account.owes_from,
            "category": current.category if current else None, "base": current.base if current else None,
            "set_amount": current.amount if current else None, "version": version}


def schedule_rows(account: DuesAccount, periods) -> list[dict]:
    return [{"member_id": account.id, **p.__dict__} for p in periods]


def write_account(conn, account: DuesAccount, version: int):
    """Rewrite the account row and its schedule from the folded aggregate."""
    periods = account.schedule()
    upsert(conn, dues_accounts, account_row(account, version), ("member_id",))
    conn.execute(delete(dues_schedule).where(dues_schedule.c.member_id == account.id))
    if periods:
        conn.execute(insert(dues_schedule), schedule_rows(account, periods))
    for period in periods:  # settled months follow their month's branch (a move re-attributes them)
        where = [dues_paid_months.c.member_id == account.id, dues_paid_months.c.month >= period.from_month,
                 dues_paid_months.c.org_id != period.org_id]
        if period.to_month is not None:
            where.append(dues_paid_months.c.month <= period.to_month)
        conn.execute(update(dues_paid_months).where(*where).values(org_id=period.org_id))


def _refold(conn, e: Envelope):
    account = fold_account(conn, e.aggregate_id)
    if account is not None:
        write_account(conn, account, e.aggregate_version)


def receipt_row(e: Envelope) -> dict:
    """The statement line (and receipt) of a ``dues.payment_recorded`` event."""
    p = e.payload
    return {"payment_id": p["payment_id"], "idempotency_key": p["idempotency_key"], "member_id": e.aggregate_id,
            "org_id": p["org_id"], "months": [{"month": m["month"], "amount": str(m["amount"])} for m in p["months"]],
            "dues_amount": p["dues_amount"], "voluntary_extra": p["voluntary_extra"], "total": p["total"],
            "forward_to_central": p["forward_to_central"], "paid_by": p["paid_by"], "paid_on": p["paid_on"],
            "paid_up_to": p["paid_up_to"], "recorded_at": e.occurred_at, "position": e.aggregate_version}


def opening_rows(e: Envelope) -> list[tuple] | None:
    """A new account (its first event): its row and schedule are inserts
    only, folded from the event alone, so they go with the event in the
    append's round trip. A reopening (a later ``account_opened``) rewrites
    what is there: ``_refold``."""
    if e.aggregate_version != 1:
        return None
    account = DuesAccount.rehydrate(e.aggregate_id, [e])
    periods = account.schedule()
    return [(dues_accounts, account_row(account, 1)), *((dues_schedule, row) for row in schedule_rows(account, periods))]


def payment_rows(e: Envelope) -> list[tuple]:
    """The hot path, inserts only (the account row is not touched): the
    statement line, unique by idempotency key, and the months it settles."""
    p = e.payload
    return [(dues_payments, receipt_row(e)), *(
        (dues_paid_months, {"member_id": e.aggregate_id, "month": month_index(m["month"]), "org_id": m["org_id"],
                            "amount": m["amount"], "payment_id": p["payment_id"]}) for m in p["months"])]


def _payment_recorded(conn, e: Envelope):
    for table, row in payment_rows(e):
        conn.execute(insert(table), row)


def _touch(conn, e: Envelope):
    conn.execute(update(dues_accounts).where(dues_accounts.c.member_id == e.aggregate_id)
                 .values(version=e.aggregate_version))


def _reduction_requested(conn, e: Envelope):
    p = e.payload
    conn.execute(insert(dues_reductions).values(
        reduction_id=p["reduction_id"], member_id=e.aggregate_id, kind=p["kind"],
        from_month=month_index(p["from_month"]), to_month=month_index(p["to_month"]),
        monthly_amount=p["monthly_amount"], reason=p["reason"], decided_on=p["decided_on"],
        decision_ref=p["decision_ref"], state="requested"))
    _touch(conn, e)


def _reduction_approved(conn, e: Envelope):
    p = e.payload
    conn.execute(update(dues_reductions).where(dues_reductions.c.reduction_id == p["reduction_id"])
                 .values(state="approved", decided_by=p["approved_by"], approved_on=p["approved_on"]))
    _refold(conn, e)


def _reduction_rejected(conn, e: Envelope):
    p = e.payload
    conn.execute(update(dues_reductions).where(dues_reductions.c.reduction_id == p["reduction_id"])
                 .values(state="rejected", decided_by=p["rejected_by"], rejection_reason=p["reason"]))
    _touch(conn, e)


def _arrears_reason_recorded(conn, e: Envelope):
    p = e.payload
    conn.execute(insert(dues_excuses).values(
        member_id=e.aggregate_id, position=e.aggregate_version, from_month=month_index(p["from_month"]),
        to_month=month_index(p["to_month"]), reason=p["reason"]))
    _touch(conn, e)


def _arrears_flagged(conn, e: Envelope):
    p = e.payload
    conn.execute(insert(dues_flags).values(
        member_id=e.aggregate_id, as_of_month=month_index(p["as_of_month"]), org_id=p["org_id"],
        first_unpaid_month=month_index(p["first_unpaid_month"]), unpaid_months=p["unpaid_months"],
        outstanding=p["outstanding"]))
    _touch(conn, e)


def _base_policy_set(conn, e: Envelope):
    upsert(conn, dues_policies, {"org_id": e.aggregate_id, "policy": e.payload["policy"],
                                 "version": e.aggregate_version}, ("org_id",))


PROJECTORS = {
    "dues.account_opened": _refold,
    "dues.liability_changed": _refold,
    "dues.account_moved": _refold,
    "dues.base_set": _refold,
    "dues.payment_recorded": _payment_recorded,
    "dues.reduction_requested": _reduction_requested,
    "dues.reduction_approved": _reduction_approved,
    "dues.reduction_rejected": _reduction_rejected,
    "dues.arrears_reason_recorded": _arrears_reason_recorded,
    "dues.arrears_flagged": _arrears_flagged,
    "dues.base_policy_set": _base_policy_set,
}


ROWS = {"dues.payment_recorded": payment_rows,  # events whose projection only inserts rows (or None: call it)
        "dues.account_opened": opening_rows}


class Projector:
    """The dues read models, kept inline: the store calls it for each event
    appended. A payment's rows (``rows``) the store writes with the event
    itself, in the append's round trip (shared/store.py)."""

    def __call__(self, conn, envelope: Envelope):
        apply = PROJECTORS.get(envelope.event_type)
        if apply is not None:
            apply(conn, envelope)

    def rows(self, envelope: Envelope) -> list[tuple] | None:
        rows = ROWS.get(envelope.event_type)
        return rows(envelope) if rows is not None else None


project = Projector()
