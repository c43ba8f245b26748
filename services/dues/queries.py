"""Queries over the dues read models. They return plain dicts shaped like the
response schemas in shared.contracts.dues; ``today`` says which months are
due. Nothing here folds events: statements and reports read projections."""
import datetime as dt

from sqlalchemy import func, select

from shared.errors import NotFound
from shared.tables import events

from . import ledger
from .ledger import ZERO, Period, month_of, month_text
from .projections import (dues_accounts, dues_excuses, dues_flags, dues_paid_months, dues_payments,
                          dues_policies, dues_reductions, dues_schedule)
from .rules import rules_in_force

PERIOD_FIELDS = ("from_month", "to_month", "org_id", "category", "base", "set_amount", "assessed", "due",
                 "rules_version", "reduction_id")


def _account_row(conn, member_id: str):
    row = conn.execute(select(dues_accounts).where(dues_accounts.c.member_id == member_id)).first()
    if row is None:
        raise NotFound(f"member {member_id} has no dues account (probationary and full members have one)",
                       {"member_id": member_id})
    return row


def period_of(row) -> Period:
    """A schedule row as the ledger's ``Period``."""
    return Period(**{name: getattr(row, name) for name in PERIOD_FIELDS})


def periods_of(conn, member_id: str) -> list[Period]:
    rows = conn.execute(select(dues_schedule).where(dues_schedule.c.member_id == member_id)
                        .order_by(dues_schedule.c.from_month))
    return [period_of(row) for row in rows]


def _paid(conn, member_id: str) -> dict[int, object]:
    rows = conn.execute(select(dues_paid_months.c.month, dues_paid_months.c.amount)
                        .where(dues_paid_months.c.member_id == member_id))
    return {row.month: row.amount for row in rows}


def _excused(conn, member_id: str) -> set[int]:
    spans = conn.execute(select(dues_excuses.c.from_month, dues_excuses.c.to_month)
                         .where(dues_excuses.c.member_id == member_id)).all()
    spans += conn.execute(select(dues_reductions.c.from_month, dues_reductions.c.to_month).where(
        dues_reductions.c.member_id == member_id, dues_reductions.c.state == "requested")).all()
    return {m for first, last in spans for m in range(first, last + 1)}


def owed_months(periods, paid, owes_from: int, up_to: int) -> list[dict]:
    """The months from ``owes_from`` to ``up_to`` that need paying and are not paid: [{month, amount}]."""
    return [{"month": month_text(m), "amount": ledger.period_at(periods, m).due}
            for m in range(owes_from, up_to + 1)
            if m not in paid and ledger.owes(ledger.period_at(periods, m))
            and ledger.period_at(periods, m).due is not None]


def receipt(row) -> dict:
    return dict(row._mapping)


def get_receipt(conn, payment_id: str) -> dict:
    row = conn.execute(select(dues_payments).where(dues_payments.c.payment_id == payment_id)).first()
    if row is None:
        raise NotFound(f"payment {payment_id} does not exist", {"payment_id": payment_id})
    return receipt(row)


def _month_state(period, month, paid, excused, now) -> str:
    if month in paid:
        return "paid"
    if period.due is None:
        return "unassessed"
    if period.due <= ZERO:
        return "waived"
    if month > now:
        return "not_due"
    return "excused" if month in excused else "unpaid"


def get_dues(conn, member_id: str, today: dt.date, year: int | None = None) -> dict:
    """The account, its schedule, the months of ``year`` and the statement lines."""
    account = _account_row(conn, member_id)
    periods, paid, excused = periods_of(conn, member_id), _paid(conn, member_id), _excused(conn, member_id)
    now, year = month_of(today), year or today.year
    months = []
    for month in range(year * 12, year * 12 + 12):
        period = ledger.period_at(periods, month)
        if period is None and month not in paid:
            continue
        months.append({"month": month_text(month), "org_id": period.org_id if period else None,
                       "assessed": period.assessed if period else None, "due": period.due if period else None,
                       "paid": paid.get(month), "state": _month_state(period, month, paid, excused, now)
                       if period else "paid"})
    owed = owed_months(periods, paid, account.owes_from, now)
    current = ledger.period_at(periods, now)
    version = conn.execute(select(func.max(events.c.aggregate_version))
                           .where(events.c.aggregate_id == member_id)).scalar()
    payments = conn.execute(select(dues_payments).where(dues_payments.c.member_id == member_id)
                            .order_by(dues_payments.c.position))
    reductions = conn.execute(select(dues_reductions).where(dues_reductions.c.member_id == member_id)
                              .order_by(dues_reductions.c.decided_on, dues_reductions.c.from_month))
    flags = conn.execute(select(dues_flags).where(dues_flags.c.member_id == member_id)
                         .order_by(dues_flags.c.as_of_month))
    return {
        **{k: getattr(account, k) for k in ("member_id", "org_id", "liable", "category", "base", "set_amount")},
        "version": version, "owes_from": month_text(account.owes_from),
        "paid_up_to": month_text(ledger.paid_up_to(periods, paid, account.owes_from)),
        "monthly_amount": current.due if current else None,
        "base_policy": base_policy(conn, account.org_id)["policy"],
        "balance": {"outstanding": sum((o["amount"] for o in owed), ZERO), "owed_months": owed,
                    "prepaid_months": [month_text(m) for m in sorted(paid) if m > now]},
        "schedule": [{**p.__dict__, "from_month": month_text(p.from_month), "to_month": month_text(p.to_month)}
                     for p in periods],
        "months": months,
        "payments": [receipt(row) for row in payments],
        "reductions": [{**row._mapping, "from_month": month_text(row.from_month),
                        "to_month": month_text(row.to_month)} for row in reductions],
        "arrears_flags": [{"as_of_month": month_text(f.as_of_month),
                           "first_unpaid_month": month_text(f.first_unpaid_month),
                           "unpaid_months": f.unpaid_months, "outstanding": f.outstanding} for f in flags],
    }


def status(conn, member_id: str, today: dt.date) -> dict:
    """A member's dues at a glance (what ``GET /me`` shows): this month's
    amount, paid up to, what is outstanding, and whether the branch has been
    told of a run of unpaid months; the full statement is ``get_dues``."""
    flagged = (select(func.max(dues_flags.c.as_of_month)).where(dues_flags.c.member_id == member_id)
               .scalar_subquery().label("flagged"))
    account = conn.execute(select(dues_accounts, flagged).where(dues_accounts.c.member_id == member_id)).first()
    if account is None:
        _account_row(conn, member_id)  # the NotFound it raises
    flagged = account.flagged
    periods, paid, now = periods_of(conn, member_id), _paid(conn, member_id), month_of(today)
    owed = owed_months(periods, paid, account.owes_from, now)
    current = ledger.period_at(periods, now)
    return {"member_id": member_id, "liable": account.liable, "category": account.category,
            "monthly_amount": current.due if current else None, "owes_from": month_text(account.owes_from),
            "paid_up_to": month_text(ledger.paid_up_to(periods, paid, account.owes_from)),
            "outstanding": sum((o["amount"] for o in owed), ZERO), "owed_months": len(owed),
            "arrears_flagged_on": month_text(flagged) if flagged is not None else None}


def clearance(conn, member_id: str, today: dt.date) -> dict:
    """What a transfer letter records: the month dues are paid up to, and what is still owed."""
    account = _account_row(conn, member_id)
    periods, paid = periods_of(conn, member_id), _paid(conn, member_id)
    owed = owed_months(periods, paid, account.owes_from, month_of(today))
    paid_up_to = ledger.paid_up_to(periods, paid, account.owes_from)
    return {"member_id": member_id, "org_id": account.org_id, "paid_up_to": month_text(paid_up_to),
            "outstanding": sum((o["amount"] for o in owed), ZERO), "owed_months": owed, "settled": not owed}


def get_reduction(conn, reduction_id: str) -> dict:
    row = conn.execute(select(dues_reductions).where(dues_reductions.c.reduction_id == reduction_id)).first()
    if row is None:
        raise NotFound(f"reduction {reduction_id} does not exist", {"reduction_id": reduction_id})
    return {**row._mapping, "from_month": month_text(row.from_month), "to_month": month_text(row.to_month)}


def base_policy(conn, org_id: str) -> dict:
    row = conn.execute(select(dues_policies).where(dues_policies.c.org_id == org_id)).first()
    if row is None:
        return {"org_id": org_id, "policy": rules_in_force(dt.date.today()).default_base_policy, "version": 0}
    return dict(row._mapping)


def arrears_candidates(conn, as_of: int, months: int) -> list[str]:
    """Accounts in good standing, owing for ``months`` months by ``as_of``, with
    no month paid among the last ``months``: a superset of those to flag (the
    domain decides)."""
    window = select(dues_paid_months.c.month).where(
        dues_paid_months.c.member_id == dues_accounts.c.member_id,
        dues_paid_months.c.month.between(as_of - months + 1, as_of))
    return conn.execute(select(dues_accounts.c.member_id).where(
        dues_accounts.c.liable.is_(True), dues_accounts.c.owes_from <= as_of - months + 1, ~window.exists())
        .order_by(dues_accounts.c.member_id)).scalars().all()


def flags_of_month(conn, as_of: int) -> list[dict]:
    """Every arrears flag of the month ``as_of``, by branch and member."""
    rows = conn.execute(select(dues_flags).where(dues_flags.c.as_of_month == as_of)
                        .order_by(dues_flags.c.org_id, dues_flags.c.member_id))
    return [{"member_id": row.member_id, "org_id": row.org_id, "as_of_month": month_text(row.as_of_month),
             "first_unpaid_month": month_text(row.first_unpaid_month), "unpaid_months": row.unpaid_months,
             "outstanding": row.outstanding} for row in rows]
