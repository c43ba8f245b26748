"""Command handlers: load the account, read what the rules need from the read
models, call the domain, save; each runs in the caller's unit of work (one
transaction). Arguments are the validated fields of the command schemas in
shared.contracts.dues (months still "YYYY-MM"); ``today`` fills the dates a
caller left out and dates the payment windows."""
import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shared.contracts.dues import MAX_MONTHS
from shared.errors import Conflict, DomainError, InvalidInput, NotFound
from shared.ordering import in_order

from .domain import BasePolicy, DuesAccount, is_liable
from .ledger import ZERO, month_index, month_of, month_text
from .projections import dues_payments, dues_policies, receipt_row
from .queries import receipt
from .rules import rules_in_force


def new_id() -> str:
    return str(uuid.uuid4())


def _account(uow, member_id: str) -> DuesAccount:
    account = uow.find(DuesAccount, member_id)
    if account is None or not account.created:
        raise NotFound(f"member {member_id} has no dues account (probationary and full members have one)",
                       {"member_id": member_id})
    return account


def _check_expected(account: DuesAccount, expected_version: int | None):
    if expected_version is not None and expected_version != account.version:
        raise Conflict(f"the dues account of {account.id} is at version {account.version}, not "
                       f"{expected_version}; reload and try again", {"expected_version": expected_version})


def branch_policy(conn, org_id: str, today: dt.date) -> str:
    chosen = conn.execute(select(dues_policies.c.policy).where(dues_policies.c.org_id == org_id)).scalar()
    return chosen or rules_in_force(today).default_base_policy


# ---- following the members service -----------------------------------------------

DATE_FIELDS = {"members.member_registered": "registered_on", "members.admission_approved": "approved_on",
               "members.status_changed": "changed_on", "members.probation_cancelled": "decided_on",
               "members.confirmed_full": "approved_on", "members.transfer_completed": "completed_on"}
OTHER_DATE_FIELDS = ("completed_on", "moved_on", "changed_on", "decided_on", "approved_on", "updated_on")


def event_date(event_type: str, payload: dict, occurred_at: dt.datetime) -> dt.date:
    """The date a members event took effect on (its own date field, else when it happened)."""
    for name in (DATE_FIELDS.get(event_type), *OTHER_DATE_FIELDS):
        if name and isinstance(payload.get(name), dt.date):
            return payload[name]
    return occurred_at.date()


def opening_month(event_type: str, payload: dict, on: dt.date) -> int:
    """Probationary members owe from the admission meeting's month. A member
    registered later owes from the registration month, or from the admission
    meeting's if it is within the back payment window before it."""
    admitted = payload.get("admitted_on")
    if event_type == "members.admission_approved" or admitted is None:
        return month_of(admitted or on)
    window = rules_in_force(on).back_payment_max_months
    return month_of(admitted) if month_of(on) - month_of(admitted) <= window else month_of(on)


MEMBERS_CONSUMER = "dues.member_accounts"


def follow_member_events(uow, envelope):
    """A members event as it arrives: it and any of the member's events
    parked behind it are followed in version order (an account is a history:
    dropping the registration behind a later event would open it from the
    wrong month). Each is recorded as the cause of what it changes."""
    base = uow.context
    for event in in_order(uow.conn, MEMBERS_CONSUMER, envelope, seed_from=MEMBERS_CONSUMER):
        uow.context = base.caused_by(event)
        follow_member(uow, event.event_type, event.aggregate_id, event.payload, event.occurred_at)


def follow_member(uow, event_type: str, member_id: str, payload: dict, occurred_at: dt.datetime):
    """Open, move, stop or restart the account from the member's state after a
    ``members.*`` event (every one carries org_id, stage and status)."""
    on = event_date(event_type, payload, occurred_at)
    account = uow.find(DuesAccount, member_id)
    if account is None:
        if not is_liable(payload["stage"], payload["status"]):
            return
        account = DuesAccount.open(member_id, org_id=payload["org_id"], stage=payload["stage"],
                                   status=payload["status"], owes_from=opening_month(event_type, payload, on),
                                   opened_on=on, source_event=event_type)
    else:
        admitted = payload.get("admitted_on") if event_type == "members.admission_approved" else None
        account.follow_member(org_id=payload["org_id"], stage=payload["stage"], status=payload["status"],
                              on=on, source_event=event_type,
                              liable_from=month_of(admitted) if admitted else None)
    uow.save(account)


def move_account(uow, member_id: str, *, today: dt.date, to_org_id: str, moved_on: dt.date | None = None):
    """A completed transfer: the account goes to the receiving branch with its balance."""
    account = _account(uow, member_id)
    account.move(to_org_id, moved_on or today, "dues.move_account")
    uow.save(account)


# ---- the base -----------------------------------------------------------------------

def set_dues_base(uow, member_id: str, *, today: dt.date, category: str, effective_month: str,
                  base: Decimal | None = None, amount: Decimal | None = None,
                  expected_version: int | None = None):
    account = _account(uow, member_id)
    _check_expected(account, expected_version)
    account.set_base(category=category, base=base, amount=amount, effective_month=month_index(effective_month),
                     policy=branch_policy(uow.conn, account.org_id, today), set_on=today)
    uow.save(account)


def set_base_policy(uow, org_id: str, *, today: dt.date, policy: str):
    chosen = uow.find(BasePolicy, org_id) or BasePolicy(org_id)
    chosen.choose(policy, today)
    uow.save(chosen)


# ---- payments --------------------------------------------------------------------------

def payment_months(months: list[str] | None, from_month: str | None, to_month: str | None) -> list[int]:
    if months is not None:
        return sorted(month_index(m) for m in months)
    if from_month is None:
        return []
    first, last = month_index(from_month), month_index(to_month)
    if last - first + 1 > MAX_MONTHS:
        raise InvalidInput(f"at most {MAX_MONTHS} months in one payment", {"to": to_month})
    return list(range(first, last + 1))


def pay(uow, *, today: dt.date, idempotency_key: str, member_id: str, amount: Decimal,
        months: list[str] | None = None, from_month: str | None = None, to_month: str | None = None,
        voluntary_extra: Decimal | None = None, paid_by: str | None = None,
        paid_on: dt.date | None = None) -> dict:
    """Record a payment; return its receipt. Its statement line, unique by
    idempotency key, is written in the same transaction (see ``pay_once``)."""
    account = _account(uow, member_id)
    account.pay(payment_id=new_id(), idempotency_key=idempotency_key,
                months=payment_months(months, from_month, to_month), amount=amount,
                voluntary_extra=voluntary_extra, paid_by=paid_by, paid_on=paid_on or today, today=today)
    recorded, = uow.save(account)
    return receipt_row(recorded)


def recorded_payment(conn, *, idempotency_key: str, member_id: str, amount: Decimal,
                     months: list[str] | None = None, from_month: str | None = None, to_month: str | None = None,
                     voluntary_extra: Decimal | None = None, paid_by: str | None = None,
                     paid_on: dt.date | None = None) -> dict | None:
    """The receipt of the payment recorded under ``idempotency_key`` if this is
    the same request; None if there is none; Conflict for another request."""
    row = conn.execute(select(dues_payments).where(dues_payments.c.idempotency_key == idempotency_key)).first()
    if row is None:
        return None
    asked = [month_text(m) for m in payment_months(months, from_month, to_month)]
    if (row.member_id, [m["month"] for m in row.months], row.dues_amount, row.voluntary_extra, row.paid_by) != \
            (member_id, asked, amount, voluntary_extra or ZERO, paid_by) or paid_on not in (None, row.paid_on):
        raise Conflict("this idempotency key was already used for a different payment",
                       {"idempotency_key": idempotency_key, "payment_id": row.payment_id})
    return receipt(row)


def pay_once(unit_of_work, connect, *, today: dt.date, **request) -> dict:
    """``pay`` at most once per idempotency key, and the same receipt every time.

    The happy path costs nothing extra: the key's uniqueness is checked by the
    statement line's insert, in the transaction that appends the payment. When
    that transaction fails (the key is taken; a concurrent twin appended to
    the account first; a retry finds its months already paid), the payment
    recorded under the key, if any, is the answer; otherwise the error is.
    """
    try:
        with unit_of_work() as uow:
            return pay(uow, today=today, **request)
    except (DomainError, IntegrityError) as exc:
        with connect() as conn:
            first = recorded_payment(conn, **request)
        if first is not None:
            return first
        if isinstance(exc, IntegrityError):
            raise Conflict("a concurrent request changed this account; try again",
                           {"member_id": request["member_id"]}) from None
        raise


# ---- reductions and reasons ------------------------------------------------------------

def record_reduction(uow, member_id: str, *, kind: str, from_month: str, to_month: str, reason: str,
                     decided_on: dt.date, monthly_amount: Decimal | None = None,
                     decision_ref: str | None = None) -> str:
    account = _account(uow, member_id)
    reduction_id = new_id()
    account.request_reduction(reduction_id=reduction_id, kind=kind, from_month=month_index(from_month),
                              to_month=month_index(to_month), monthly_amount=monthly_amount,
                              reason=reason, decided_on=decided_on, decision_ref=decision_ref)
    uow.save(account)
    return reduction_id


def approve_reduction(uow, member_id: str, *, today: dt.date, reduction_id: str, approved_by: str,
                      approved_on: dt.date | None = None, note: str | None = None) -> str:
    account = _account(uow, member_id)
    account.approve_reduction(reduction_id, approved_by, approved_on or today, note)
    uow.save(account)
    return reduction_id


def reject_reduction(uow, member_id: str, *, today: dt.date, reduction_id: str, rejected_by: str,
                     reason: str, rejected_on: dt.date | None = None) -> str:
    account = _account(uow, member_id)
    account.reject_reduction(reduction_id, rejected_by, reason, rejected_on or today)
    uow.save(account)
    return reduction_id


def record_arrears_reason(uow, member_id: str, *, from_month: str, to_month: str, reason: str):
    account = _account(uow, member_id)
    account.record_arrears_reason(month_index(from_month), month_index(to_month), reason)
    uow.save(account)


# ---- arrears --------------------------------------------------------------------------

def check_arrears(uow, member_id: str, as_of: int) -> bool:
    """Flag one member if they are behind (see DuesAccount.check_arrears)."""
    account = uow.find(DuesAccount, member_id)
    if account is None or not account.created or not account.check_arrears(as_of):
        return False
    uow.save(account)
    return True
