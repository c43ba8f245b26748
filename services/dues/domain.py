"""The dues domain: a member's dues account and a branch's base policy.
Pure: dates, rule sets and the branch policy are passed in; the schedule
arithmetic is in ``ledger.py``."""
import datetime as dt
from decimal import Decimal

from shared.aggregate import Aggregate, when
from shared.catalog.dues import (
    AccountMoved, AccountOpened, ArrearsFlagged, ArrearsReasonRecorded, BasePolicySet, BaseSet,
    LiabilityChanged, PaymentRecorded, ReductionApproved, ReductionRejected, ReductionRequested)
from shared.vocabulary import DUES_PAYING_STAGES, DUES_PAYING_STATUSES
from shared.errors import Conflict, InvalidInput, NotFound, RuleViolation
from shared.snapshots import Snapshots

from . import ledger
from .ledger import ZERO, BaseSetting, Reduction, first_day, month_list, month_of, month_text
from .rules import RULE_SETS, DuesRules, rules_in_force
from .tables import account_snapshots



def is_liable(stage: str, status: str) -> bool:
    """Dues are owed by probationary and full members in good standing (one who
    lost contact still owes: that is how arrears build up)."""
    return stage in DUES_PAYING_STAGES and status in DUES_PAYING_STATUSES


SNAPSHOT_EVERY = 20
"""A dues account is snapshotted every this many events. It gains one a
month (the payment) and one or so a year (the base): ten years make ~130,
and reading them all took four times a new account's load and cost each
payment ~1.5-2 ms more of the service's CPU, a quarter of its throughput
(bench/dues.py --aged). From a snapshot a load reads at most 19 events,
about a new account's first year and a half, and a snapshot is written
about as often, as one more row in the payment's own round trip. Fewer
events between snapshots would shave little more off a load; many more
would bring the replay back."""

SNAPSHOT_VERSION = 1
"""The shape of ``DuesAccount.snapshot_state``: bump it when the state or an
applier changes, and the snapshots taken before are ignored (shared/snapshots.py)."""


class DuesAccount(Aggregate):
    """One member's dues: what is owed month by month, and what was paid."""
    aggregate_type = "dues_account"
    snapshots = Snapshots(account_snapshots, every=SNAPSHOT_EVERY, version=SNAPSHOT_VERSION)

    def __init__(self, aggregate_id):
        super().__init__(aggregate_id)
        self.org_id = self.stage = self.status = None
        self.owes_from: int | None = None
        self.liable = False
        self.liability: list[tuple[int, bool]] = []
        self.orgs: list[tuple[int, str]] = []
        self.bases: list[BaseSetting] = []
        self.reductions: dict[str, dict] = {}
        self.excuses: list[tuple[int, int]] = []
        self.paid: dict[int, Decimal] = {}
        self.flags: list[tuple[int, int]] = []  # (first unpaid month, as of month)
        self.rule_sets = RULE_SETS

    @property
    def created(self) -> bool:
        return self.owes_from is not None

    # ---- snapshots (shared/snapshots.py) ------------------------------------------
    def snapshot_state(self) -> dict:
        """Everything the appliers keep, as JSON values (amounts as strings)."""
        return {"org_id": self.org_id, "stage": self.stage, "status": self.status, "owes_from": self.owes_from,
                "liable": self.liable, "liability": self.liability, "orgs": self.orgs,
                "bases": [(b.applies_from, b.category, b.base, b.amount) for b in self.bases],
                "reductions": self.reductions, "excuses": self.excuses, "paid": list(self.paid.items()),
                "flags": self.flags}

    @classmethod
    def from_snapshot(cls, aggregate_id, state: dict) -> "DuesAccount":
        def money(value):
            return None if value is None else Decimal(value)
        account = cls(aggregate_id)
        account.org_id, account.stage, account.status = state["org_id"], state["stage"], state["status"]
        account.owes_from, account.liable = state["owes_from"], state["liable"]
        account.liability = [(month, liable) for month, liable in state["liability"]]
        account.orgs = [(month, org_id) for month, org_id in state["orgs"]]
        account.bases = [BaseSetting(applies_from, category, money(base), money(amount))
                         for applies_from, category, base, amount in state["bases"]]
        account.reductions = {rid: {**r, "monthly_amount": money(r["monthly_amount"])}
                              for rid, r in state["reductions"].items()}
        account.excuses = [(first, last) for first, last in state["excuses"]]
        account.paid = {month: Decimal(amount) for month, amount in state["paid"]}
        account.flags = [(first, as_of) for first, as_of in state["flags"]]
        return account

    def rules_on(self, day: dt.date) -> DuesRules:
        return rules_in_force(day, self.rule_sets)

    # ---- what is owed -----------------------------------------------------
    def schedule(self) -> list[ledger.Period]:
        approved = [Reduction(rid, r["kind"], r["from_month"], r["to_month"], r["monthly_amount"])
                    for rid, r in self.reductions.items() if r["state"] == "approved"]
        return ledger.schedule(self.owes_from, self.liability, self.orgs, self.bases, approved,
                               self.rule_sets)

    def paid_up_to(self, periods=None) -> int | None:
        return ledger.paid_up_to(periods or self.schedule(), self.paid, self.owes_from)

    def excused_months(self) -> set[int]:
        """Months with a recorded reason: an arrears reason, or a reduction the
        branch asked for and the parent has not decided on yet."""
        spans = list(self.excuses) + [(r["from_month"], r["to_month"]) for r in self.reductions.values()
                                      if r["state"] == "requested"]
        return {m for first, last in spans for m in range(first, last + 1)}

    def outstanding(self, as_of: int, periods=None) -> list[tuple[int, Decimal]]:
        """(month, due) of the months up to ``as_of`` owed, assessed and unpaid."""
        periods = periods or self.schedule()
        out = []
        for month in range(self.owes_from, as_of + 1):
            period = ledger.period_at(periods, month)
            if ledger.owes(period) and period.due is not None and month not in self.paid:
                out.append((month, period.due))
        return out

    # ---- following the member ------------------------------------------------
    @classmethod
    def open(cls, member_id, *, org_id: str, stage: str, status: str, owes_from: int, opened_on: dt.date,
             source_event: str) -> "DuesAccount":
        account = cls(member_id)
        account.record(AccountOpened(org_id=org_id, stage=stage, status=status,
                                     owes_from=month_text(owes_from), opened_on=opened_on, source_event=source_event))
        return account

    @when(AccountOpened)
    def when_account_opened(self, p):
        self.org_id, self.stage, self.status = p["org_id"], p["stage"], p["status"]
        self.owes_from = ledger.month_index(p["owes_from"])
        self.liable = True
        self.liability.append((self.owes_from, True))
        self.orgs.append((self.owes_from, p["org_id"]))

    def follow_member(self, *, org_id: str, stage: str, status: str, on: dt.date, source_event: str,
                      liable_from: int | None = None):
        """Apply the member's state after a members event dated ``on``: a new
        branch moves the account; a change of standing starts or stops dues (the
        month of the change is still owed; owing again starts that month, or
        ``liable_from``, the admission meeting's month)."""
        if org_id != self.org_id:
            self.move(org_id, on, source_event)
        liable = is_liable(stage, status)
        if liable != self.liable:
            start = (liable_from if liable_from is not None else month_of(on)) if liable else month_of(on) + 1
            self.record(LiabilityChanged(liable=liable, from_month=month_text(start), stage=stage,
                                         status=status, source_event=source_event))

    @when(LiabilityChanged)
    def when_liability_changed(self, p):
        self.liable, self.stage, self.status = p["liable"], p["stage"], p["status"]
        self.liability.append((ledger.month_index(p["from_month"]), p["liable"]))

    def move(self, to_org_id: str, moved_on: dt.date, source_event: str):
        """The account goes to ``to_org_id`` with its balance: unpaid and prepaid
        months from the month of the move on are the receiving branch's."""
        if to_org_id == self.org_id:
            return
        start = month_of(moved_on)
        periods = self.schedule()
        self.record(AccountMoved(from_org_id=self.org_id, to_org_id=to_org_id,
                                 from_month=month_text(start), moved_on=moved_on,
                                 paid_up_to=month_text(self.paid_up_to(periods)),
                                 outstanding=sum((due for _, due in self.outstanding(start, periods)), ZERO),
                                 prepaid_months=[month_text(m) for m in sorted(self.paid) if m >= start],
                                 source_event=source_event))

    @when(AccountMoved)
    def when_account_moved(self, p):
        self.org_id = p["to_org_id"]
        self.orgs.append((ledger.month_index(p["from_month"]), p["to_org_id"]))

    # ---- the base -------------------------------------------------------------
    def set_base(self, *, category: str, base: Decimal | None, amount: Decimal | None,
                 effective_month: int, policy: str, set_on: dt.date):
        """Under ``fixed_yearly`` a change of a yearly-fixed base after the first
        one takes effect the next January (unless it is made for a January)."""
        applies_from = effective_month
        if (policy == "fixed_yearly" and self.bases and category in self.rules_on(set_on).yearly_fixable
                and effective_month % 12 != 0):
            applies_from = (effective_month // 12 + 1) * 12
        if applies_from < self.owes_from:
            applies_from = self.owes_from
        ledger.assess(self.rules_on(first_day(applies_from)), category, base, amount)  # refuses what they do not allow
        self.record(BaseSet(category=category, base=base, amount=amount,
                            effective_month=month_text(effective_month), applies_from=month_text(applies_from),
                            policy=policy, set_on=set_on))

    @when(BaseSet)
    def when_base_set(self, p):
        self.bases.append(BaseSetting(ledger.month_index(p["applies_from"]), p["category"], p["base"], p["amount"]))

    # ---- payments -------------------------------------------------------------
    def pay(self, *, payment_id: str, idempotency_key: str, months: list[int],
            amount: Decimal, voluntary_extra: Decimal | None, paid_by: str | None, paid_on: dt.date,
            today: dt.date):
        voluntary = voluntary_extra or ZERO
        if not months and voluntary <= ZERO:
            raise InvalidInput("nothing to pay: give months, or a voluntary_extra amount",
                               {"months": "required"})
        if paid_on > today:
            raise InvalidInput("a payment cannot be dated in the future", {"paid_on": paid_on.isoformat()})
        now, rules = month_of(today), self.rules_on(today)
        if voluntary > rules.voluntary_single_max:
            raise RuleViolation("dues.payment.voluntary_max",
                                f"a single voluntary payment is at most {rules.voluntary_single_max}; "
                                f"{voluntary} was given",
                                {"voluntary_extra": str(voluntary), "maximum": str(rules.voluntary_single_max)})
        periods = self.schedule()
        lines = []
        for month in sorted(months):
            lines.append(self._payable(rules, periods, month, now))
        expected = sum((due for _, due, _ in lines), ZERO)
        if amount != expected:
            raise RuleViolation("dues.payment.amount",
                                f"the amount {amount} does not match the {expected} owed for "
                                f"{month_list(months) or 'no months'}",
                                {"amount": str(amount), "expected_amount": str(expected),
                                 "months": [month_text(m) for m in sorted(months)]})
        paid_after = {**self.paid, **{m: due for m, due, _ in lines}}
        self.record(PaymentRecorded(payment_id=payment_id, idempotency_key=idempotency_key,
                                    org_id=self.org_id,
                                    months=[{"month": month_text(m), "amount": due, "org_id": org}
                                            for m, due, org in lines],
                                    dues_amount=expected, voluntary_extra=voluntary, total=expected + voluntary,
                                    forward_to_central=voluntary >= rules.voluntary_forward_threshold,
                                    paid_by=paid_by, paid_on=paid_on,
                                    paid_up_to=month_text(ledger.paid_up_to(periods, paid_after, self.owes_from))))

    def _payable(self, rules, periods, month: int, now: int) -> tuple[int, Decimal, str]:
        text = month_text(month)
        if month < now - rules.back_payment_max_months:
            raise RuleViolation("dues.payment.back_payment_window",
                                f"{text} is more than {rules.back_payment_max_months} months back; "
                                f"back payment reaches {month_text(now - rules.back_payment_max_months)}",
                                {"months": text, "earliest": month_text(now - rules.back_payment_max_months)})
        if month > now + rules.advance_payment_max_months:
            raise RuleViolation("dues.payment.advance_window",
                                f"{text} is more than {rules.advance_payment_max_months} months ahead",
                                {"months": text, "latest": month_text(now + rules.advance_payment_max_months)})
        if month in self.paid:
            raise Conflict(f"{text} is already paid", {"months": text})
        period = ledger.period_at(periods, month)
        if period is None:
            raise RuleViolation("dues.payment.not_owed", f"no dues are owed for {text} "
                                f"(owed from {month_text(self.owes_from)}, while in good standing)",
                                {"months": text})
        if period.due is None:
            raise RuleViolation("dues.payment.no_base",
                                f"the dues base for {text} is not set yet; the branch sets it first",
                                {"months": text})
        if period.due <= ZERO:
            raise RuleViolation("dues.payment.waived", f"nothing is owed for {text} (waived)",
                                {"months": text})
        return month, period.due, period.org_id

    @when(PaymentRecorded)
    def when_payment_recorded(self, p):
        for line in p["months"]:
            self.paid[ledger.month_index(line["month"])] = line["amount"]

    # ---- reductions and reasons -------------------------------------------------
    def request_reduction(self, *, reduction_id: str, kind: str, from_month: int, to_month: int,
                          monthly_amount: Decimal | None, reason: str, decided_on: dt.date,
                          decision_ref: str | None):
        if from_month > to_month:
            raise InvalidInput("to_month is before from_month", {"to_month": month_text(to_month)})
        if kind == "reduced" and monthly_amount is None:
            raise InvalidInput("a reduction needs its monthly amount", {"monthly_amount": "required"})
        self.record(ReductionRequested(reduction_id=reduction_id, kind=kind,
                                       from_month=month_text(from_month), to_month=month_text(to_month),
                                       monthly_amount=monthly_amount if kind == "reduced" else None, reason=reason,
                                       decided_on=decided_on, decision_ref=decision_ref))

    @when(ReductionRequested)
    def when_reduction_requested(self, p):
        self.reductions[p["reduction_id"]] = {
            "kind": p["kind"], "from_month": ledger.month_index(p["from_month"]),
            "to_month": ledger.month_index(p["to_month"]), "monthly_amount": p["monthly_amount"],
            "state": "requested"}

    def _requested(self, reduction_id: str) -> dict:
        reduction = self.reductions.get(reduction_id)
        if reduction is None:
            raise NotFound(f"reduction {reduction_id} does not exist for member {self.id}",
                           {"reduction_id": reduction_id})
        if reduction["state"] != "requested":
            raise Conflict(f"reduction {reduction_id} is already {reduction['state']}",
                           {"reduction_id": reduction_id})
        return reduction

    def approve_reduction(self, reduction_id: str, approved_by: str, approved_on: dt.date, note=None):
        self._requested(reduction_id)
        self.record(ReductionApproved(reduction_id=reduction_id, approved_by=approved_by,
                                      approved_on=approved_on, note=note))

    @when(ReductionApproved)
    def when_reduction_approved(self, p):
        self.reductions[p["reduction_id"]]["state"] = "approved"

    def reject_reduction(self, reduction_id: str, rejected_by: str, reason: str, rejected_on: dt.date):
        self._requested(reduction_id)
        self.record(ReductionRejected(reduction_id=reduction_id, rejected_by=rejected_by,
                                      reason=reason, rejected_on=rejected_on))

    @when(ReductionRejected)
    def when_reduction_rejected(self, p):
        self.reductions[p["reduction_id"]]["state"] = "rejected"

    def record_arrears_reason(self, from_month: int, to_month: int, reason: str):
        if from_month > to_month:
            raise InvalidInput("to_month is before from_month", {"to_month": month_text(to_month)})
        self.record(ArrearsReasonRecorded(from_month=month_text(from_month),
                                          to_month=month_text(to_month), reason=reason))

    @when(ArrearsReasonRecorded)
    def when_arrears_reason_recorded(self, p):
        self.excuses.append((ledger.month_index(p["from_month"]), ledger.month_index(p["to_month"])))

    # ---- arrears -----------------------------------------------------------------
    def check_arrears(self, as_of: int) -> bool:
        """Flag ``rules.arrears_flag_months`` consecutive unpaid months without a
        recorded reason, up to ``as_of``; once per run of unpaid months (a run
        already flagged, or an ``as_of`` already checked, flags nothing)."""
        if any(flagged_as_of == as_of for _, flagged_as_of in self.flags):
            return False
        rules = self.rules_on(first_day(as_of))
        periods = self.schedule()
        run = ledger.unpaid_run(periods, self.paid, self.excused_months(), as_of)
        if len(run) < rules.arrears_flag_months:
            return False
        if any(first <= run[-1] and run[0] <= flagged_as_of for first, flagged_as_of in self.flags):
            return False
        dues = {m: ledger.period_at(periods, m).due for m in run}
        self.record(ArrearsFlagged(org_id=self.org_id, as_of_month=month_text(as_of),
                                   first_unpaid_month=month_text(run[0]), unpaid_months=len(run),
                                   outstanding=sum(dues.values(), ZERO)))
        return True

    @when(ArrearsFlagged)
    def when_arrears_flagged(self, p):
        self.flags.append((ledger.month_index(p["first_unpaid_month"]), ledger.month_index(p["as_of_month"])))


class BasePolicy(Aggregate):
    """When a branch's dues base changes take effect (docs/domain.md §4)."""
    aggregate_type = "dues_policy"

    def __init__(self, aggregate_id):
        super().__init__(aggregate_id)
        self.policy = None

    def choose(self, policy: str, set_on: dt.date):
        if policy != self.policy:
            self.record(BasePolicySet(policy=policy, set_on=set_on))

    @when(BasePolicySet)
    def when_base_policy_set(self, p):
        self.policy = p["policy"]
