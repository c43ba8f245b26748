"""Collection reports per branch and per committee subtree, per month and
year (docs/domain.md §4: the branch publishes collected, outstanding, exempted).

Built from the projections with three grouped queries, whatever the number
of members: the schedule periods joined to the year's due months (owed,
outstanding, waived), the settled months (collected), and the payments
(voluntary). A month is due once it has begun; amounts paid for later
months of the year are ``collected_in_advance``. A settled month counts as
owed at what was paid for it (a later base change does not reopen it).
"""
import datetime as dt

from sqlalchemy import Integer, and_, case, distinct, exists, func, literal, or_, select, union_all

from shared.contracts.members import MEMBER_PATH
from shared.errors import InvalidInput, NotFound

from . import org_replica
from . import ledger
from .ledger import ZERO, month_of, month_text
from .queries import owed_months, period_of
from .projections import (Fen, dues_accounts, dues_excuses, dues_flags, dues_paid_months, dues_payments,
                          dues_schedule)

FIGURES = ("owed", "collected", "outstanding", "waived")
EXTRA = ("collected_in_advance", "voluntary", "forwarded_to_central")


def _scope(conn, org_id: str) -> tuple[str, dict[str, str | None]]:
    tree = org_replica.subtree(conn, org_id)
    if tree is not None:
        return ("branch" if len(tree) == 1 else "subtree"), tree
    known = any(conn.execute(select(exists().where(column == org_id))).scalar()
                for column in (dues_accounts.c.org_id, dues_schedule.c.org_id, dues_paid_months.c.org_id))
    if not known:
        raise NotFound(f"organisation {org_id} is unknown to dues", {"org_id": org_id})
    return "branch", {org_id: None}


def _blank() -> dict:
    return {**{name: ZERO for name in FIGURES + EXTRA}, "paid_months": 0, "members": 0}


def _owed_rows(conn, org_ids, due_months):
    """Per (month, branch): the schedule's due and waived amounts, and the due
    amount of the months already paid (so outstanding = due - that)."""
    months = union_all(*(select(literal(m, Integer).label("m")) for m in due_months)).subquery("due_months")
    covers = and_(dues_schedule.c.from_month <= months.c.m,
                  or_(dues_schedule.c.to_month.is_(None), dues_schedule.c.to_month >= months.c.m))
    in_scope = dues_schedule.c.org_id.in_(org_ids)
    scheduled = conn.execute(
        select(months.c.m, dues_schedule.c.org_id,
               func.sum(func.coalesce(dues_schedule.c.due, 0), type_=Fen()),
               func.sum(func.coalesce(dues_schedule.c.assessed - dues_schedule.c.due, 0), type_=Fen()))
        .select_from(months.join(dues_schedule, covers)).where(in_scope)
        .group_by(months.c.m, dues_schedule.c.org_id)).all()
    settled = conn.execute(  # only the paid months: a few rows, not one per member and month
        select(dues_paid_months.c.month, dues_paid_months.c.org_id,
               func.sum(func.coalesce(dues_schedule.c.due, 0), type_=Fen()))
        .select_from(dues_paid_months.join(dues_schedule, and_(
            dues_schedule.c.member_id == dues_paid_months.c.member_id,
            dues_schedule.c.from_month <= dues_paid_months.c.month,
            or_(dues_schedule.c.to_month.is_(None), dues_schedule.c.to_month >= dues_paid_months.c.month))))
        .where(dues_paid_months.c.org_id.in_(org_ids),
               dues_paid_months.c.month.between(min(due_months), max(due_months)))
        .group_by(dues_paid_months.c.month, dues_paid_months.c.org_id)).all()
    paid_due = {(m, org): amount for m, org, amount in settled}
    rows = [(m, org, due - paid_due.get((m, org), ZERO), waived) for m, org, due, waived in scheduled]
    overlaps = and_(in_scope, dues_schedule.c.from_month <= max(due_months),
                    or_(dues_schedule.c.to_month.is_(None), dues_schedule.c.to_month >= min(due_months)))
    members = select(dues_schedule.c.org_id, func.count(distinct(dues_schedule.c.member_id))).where(overlaps) \
        .group_by(dues_schedule.c.org_id)
    everyone = select(func.count(distinct(dues_schedule.c.member_id))).where(overlaps)
    return rows, dict(conn.execute(members).all()), conn.execute(everyone).scalar()


def dues_report(conn, org_id: str, year: int, today: dt.date, month: int | None = None) -> dict:
    scope, orgs = _scope(conn, org_id)
    org_ids = list(orgs)
    first, last = year * 12, year * 12 + 11
    selected = [year * 12 + month - 1] if month else list(range(first, last + 1))
    as_of = min(month_of(today), last)
    due = [m for m in selected if m <= as_of]
    by_month = {m: _blank() for m in selected}
    by_org = {o: _blank() for o in org_ids}
    totals = _blank()

    def add(figures: dict, name: str, value):
        for target in figures:
            target[name] += value

    owed_rows, members, everyone = _owed_rows(conn, org_ids, due) if due else ([], {}, 0)
    for m, org, outstanding, waived in owed_rows:
        add((by_month[m], by_org[org], totals), "outstanding", outstanding or ZERO)
        add((by_month[m], by_org[org], totals), "waived", waived or ZERO)
    paid = conn.execute(
        select(dues_paid_months.c.month, dues_paid_months.c.org_id,
               func.sum(dues_paid_months.c.amount, type_=Fen()), func.count())
        .where(dues_paid_months.c.org_id.in_(org_ids), dues_paid_months.c.month.in_(selected))
        .group_by(dues_paid_months.c.month, dues_paid_months.c.org_id)).all()
    for m, org, amount, count in paid:
        name = "collected" if m <= as_of else "collected_in_advance"
        add((by_month[m], by_org[org], totals), name, amount)
        add((by_month[m], by_org[org], totals), "paid_months", count)
    start = dt.date(year, month or 1, 1)
    end = dt.date(year + (month or 12) // 12, (month or 12) % 12 + 1, 1)
    voluntary = conn.execute(
        select(dues_payments.c.org_id, func.sum(dues_payments.c.voluntary_extra, type_=Fen()),
               func.sum(case((dues_payments.c.forward_to_central.is_(True), dues_payments.c.voluntary_extra),
                             else_=0), type_=Fen()))
        .where(dues_payments.c.org_id.in_(org_ids), dues_payments.c.paid_on >= start,
               dues_payments.c.paid_on < end).group_by(dues_payments.c.org_id)).all()
    for org, amount, forwarded in voluntary:
        add((by_org[org], totals), "voluntary", amount or ZERO)
        add((by_org[org], totals), "forwarded_to_central", forwarded or ZERO)
    for figures in (*by_month.values(), *by_org.values(), totals):
        figures["owed"] = figures["collected"] + figures["outstanding"]
    for org, count in members.items():
        by_org[org]["members"] = count
    totals["members"] = everyone or 0
    return {
        "org_id": org_id, "scope": scope, "year": year, "month": month, "as_of_month": month_text(as_of),
        "totals": totals,
        "months": [{"month": month_text(m), **{k: v for k, v in f.items() if k not in EXTRA + ("members",)}}
                   for m, f in by_month.items()],
        "branches": [{"org_id": org, "name": orgs[org], **figures} for org, figures in by_org.items()
                     if scope == "branch" or any(figures[k] for k in FIGURES + EXTRA)],
    }


# ---- who is behind ------------------------------------------------------------------

def _by_member(rows) -> dict:
    grouped: dict = {}
    for row in rows:
        grouped.setdefault(row.member_id, []).append(row)
    return grouped


def arrears(conn, org_id: str, today: dt.date, limit: int, offset: int) -> dict:
    """The liable members of the organisation's subtree who owe for a month
    that has begun, most months owed first: what they owe, since when, paid
    up to when, the last arrears flag and whether a reason is recorded.
    Four queries whatever the size of the subtree (accounts, schedules,
    paid months, flags and reasons), the months worked out as a statement
    does (``ledger``)."""
    _, orgs = _scope(conn, org_id)
    now = month_of(today)
    liable = select(dues_accounts.c.member_id).where(dues_accounts.c.org_id.in_(list(orgs)),
                                                     dues_accounts.c.liable.is_(True))
    accounts = conn.execute(select(dues_accounts.c.member_id, dues_accounts.c.org_id, dues_accounts.c.owes_from)
                            .where(dues_accounts.c.member_id.in_(liable))).all()
    schedules = _by_member(conn.execute(select(dues_schedule).where(dues_schedule.c.member_id.in_(liable))
                                        .order_by(dues_schedule.c.member_id, dues_schedule.c.from_month)))
    paid = _by_member(conn.execute(select(dues_paid_months.c.member_id, dues_paid_months.c.month)
                                   .where(dues_paid_months.c.member_id.in_(liable))))
    flags = dict(conn.execute(select(dues_flags.c.member_id, func.max(dues_flags.c.as_of_month))
                              .where(dues_flags.c.member_id.in_(liable)).group_by(dues_flags.c.member_id)).all())
    reasons = set(conn.execute(select(dues_excuses.c.member_id).distinct()
                               .where(dues_excuses.c.member_id.in_(liable))).scalars())
    behind = []
    for account in accounts:
        periods = [period_of(row) for row in schedules.get(account.member_id, [])]
        months = {row.month for row in paid.get(account.member_id, [])}
        owed = owed_months(periods, months, account.owes_from, now)
        if not owed:
            continue
        flagged = flags.get(account.member_id)
        behind.append({
            "member_id": account.member_id, "href": f"{MEMBER_PATH}{account.member_id}/dues",
            "org_id": account.org_id, "org_name": orgs.get(account.org_id),
            "owed_months": len(owed), "first_unpaid_month": owed[0]["month"],
            "outstanding": sum((month["amount"] for month in owed), ZERO),
            "paid_up_to": month_text(ledger.paid_up_to(periods, months, account.owes_from)),
            "arrears_flagged_on": month_text(flagged) if flagged is not None else None,
            "reason_recorded": account.member_id in reasons})
    behind.sort(key=lambda row: (-row["owed_months"], row["org_id"], row["member_id"]))
    return {"org_id": org_id, "as_of_month": month_text(now), "items": behind[offset:offset + limit],
            "total": len(behind), "outstanding": sum((row["outstanding"] for row in behind), ZERO),
            "limit": limit, "offset": offset}


MAX_PAYMENTS = 100_000
"""Payments in one export (a district's year is ~75,000 member-months)."""


def payments(conn, org_id: str, year: int, month: int | None = None) -> list[dict]:
    """The payments recorded in the organisation's subtree in ``year`` (or
    its ``month``), by date: who paid, for which months, how much (dues and
    voluntary). More than ``MAX_PAYMENTS`` is refused (ask a month), never cut."""
    _, orgs = _scope(conn, org_id)
    start = dt.date(year, month or 1, 1)
    end = dt.date(year + 1, 1, 1) if month in (None, 12) else dt.date(year, month + 1, 1)
    where = (dues_payments.c.org_id.in_(list(orgs)), dues_payments.c.paid_on >= start, dues_payments.c.paid_on < end)
    count = conn.execute(select(func.count()).select_from(dues_payments).where(*where)).scalar_one()
    if count > MAX_PAYMENTS:
        raise InvalidInput(f"{count} payments: more than {MAX_PAYMENTS} in one export; ask for a month",
                           {"month": "required for this many payments"})
    rows = conn.execute(select(dues_payments).where(*where)
                        .order_by(dues_payments.c.paid_on, dues_payments.c.org_id, dues_payments.c.position))
    return [{"payment_id": row.payment_id, "member_id": row.member_id, "org_id": row.org_id,
             "org_name": orgs.get(row.org_id), "months": [m["month"] for m in row.months],
             "dues_amount": row.dues_amount, "voluntary_extra": row.voluntary_extra, "total": row.total,
             "forward_to_central": row.forward_to_central, "paid_by": row.paid_by, "paid_on": row.paid_on}
            for row in rows]
