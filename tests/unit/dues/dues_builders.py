"""A dues account built in memory, and a payment on it: what the domain,
boundary and pin tests of the dues account start from."""
import datetime as dt
from decimal import Decimal

from services.dues.domain import DuesAccount
from services.dues.ledger import first_day
from services.dues.ledger import month_index as mi

D = Decimal
TODAY = dt.date(2024, 7, 15)
BRANCH = "branch-1"  # as in conftest.py


def account(owes_from="2024-01", category="employed", base="3000.00", amount=None, org=BRANCH,
            policy="from_month_of_change"):
    """A member admitted in ``owes_from``, employed at 3000.00 by default (15.00 a
    month); ``category=None`` leaves the base unset."""
    acc = DuesAccount.open("m-1", org_id=org, stage="probationary", status="active", owes_from=mi(owes_from),
                           opened_on=first_day(mi(owes_from)), source_event="members.admission_approved")
    if category:
        acc.set_base(category=category, base=None if base is None else D(base),
                     amount=None if amount is None else D(amount), effective_month=mi(owes_from),
                     policy=policy, set_on=first_day(mi(owes_from)))
    return acc


def pay(acc, months, amount, key=None, voluntary=None, today=TODAY, paid_by=None):
    """Pay ``months`` (texts) on ``today``; the payment event's payload."""
    acc.pay(payment_id=f"p-{len(acc.pending_events)}", idempotency_key=key or f"k-{len(acc.pending_events)}",
            months=[mi(m) for m in months], amount=D(amount),
            voluntary_extra=None if voluntary is None else D(voluntary),
            paid_by=paid_by, paid_on=today, today=today)
    return acc.pending_events[-1].payload
