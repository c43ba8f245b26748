"""The dues service's nameko entrypoints: validate input with the published
contract, run one command in one unit of work, answer from the read models;
follow the members and orgs services' events; run the monthly arrears check."""
import logging

from nameko.timer import timer

from shared.contracts import dues as contract
from shared.contracts.common import PageIn
from shared.nameko_adapter import CallContext, EventSourcing, domain_rpc, event_consumer
from shared.retry import retry_conflicts
from shared.rpc_io import identifier as _id, out as _out, today as _today, valid as _valid

from . import commands, org_replica, projections, queries, reports, upkeep
from .ledger import first_day, month_index, month_of, month_text
from .rules import rules_fingerprint, rules_in_force

log = logging.getLogger(__name__)


class DuesService:
    name = "dues"
    kernel = EventSourcing("dues", projectors=[projections.project], metadatas=[projections.metadata])
    ctx = CallContext()

    @domain_rpc
    def ping(self):
        return "pong"

    # ---- events of other services -------------------------------------------
    @event_consumer("members", "members.#")
    def on_member_event(self, envelope):
        """Open, move, stop and restart accounts as members are admitted, change
        status or branch. An account is a history, so each member's events are
        applied in version order (shared/ordering.py): one that arrives ahead
        of its predecessors waits for them. Position, parked events and the
        accounts' new events commit in one transaction."""
        def handle():
            with self.kernel.unit_of_work() as uow:
                commands.follow_member_events(uow, envelope)
        retry_conflicts(handle)

    @event_consumer("orgs", "orgs.#")
    def on_org_event(self, envelope):
        """Keep the organisation tree that subtree reports add up, each
        organisation's events in version order (a dissolution never lands
        before the creation it ends)."""
        with self.kernel.db.begin() as conn:
            org_replica.follow_org_events(conn, envelope)

    def _read(self):
        return self.kernel.db.connect()

    # ---- accounts ---------------------------------------------------------------
    @domain_rpc
    def get_dues(self, member_id, year=None):
        params = _valid(contract.StatementIn, {"year": year})
        with self._read() as conn:
            return _out(contract.AccountOut, queries.get_dues(conn, _id(member_id, "member_id"), _today(),
                                                              params["year"]))

    @domain_rpc
    def status(self, member_id):
        with self._read() as conn:
            return _out(contract.StatusOut, queries.status(conn, _id(member_id, "member_id"), _today()))

    @domain_rpc
    def set_dues_base(self, member_id, data):
        fields = _valid(contract.SetDuesBaseIn, data)
        with self.kernel.unit_of_work() as uow:
            commands.set_dues_base(uow, _id(member_id, "member_id"), today=_today(), **fields)
        return self.get_dues(member_id)

    @domain_rpc
    def set_base_policy(self, org_id, data):
        fields = _valid(contract.BasePolicyIn, data)
        with self.kernel.unit_of_work() as uow:
            commands.set_base_policy(uow, _id(org_id, "org_id"), today=_today(), **fields)
            return _out(contract.BasePolicyOut, queries.base_policy(uow.conn, org_id))

    @domain_rpc
    def get_base_policy(self, org_id):
        with self._read() as conn:
            return _out(contract.BasePolicyOut, queries.base_policy(conn, _id(org_id, "org_id")))

    @domain_rpc
    def move_account(self, member_id, data):
        """The account goes to the receiving branch (a completed transfer), with its balance."""
        fields = _valid(contract.MoveAccountIn, data)
        with self.kernel.unit_of_work() as uow:
            commands.move_account(uow, _id(member_id, "member_id"), today=_today(), **fields)
            return _out(contract.ClearanceOut, queries.clearance(uow.conn, member_id, _today()))

    @domain_rpc
    def transfer_clearance(self, member_id):
        """What a transfer letter records: the month dues are paid up to."""
        with self._read() as conn:
            return _out(contract.ClearanceOut, queries.clearance(conn, _id(member_id, "member_id"), _today()))

    # ---- payments ------------------------------------------------------------------
    @domain_rpc
    def pay(self, data):
        """Record a payment; a retry with the same idempotency key returns the
        first receipt (a different body under the same key is a Conflict)."""
        fields = _valid(contract.PaymentIn, data)
        # it reads the account, then saves it: two round trips (shared/store.py)
        return _out(contract.ReceiptOut, commands.pay_once(lambda: self.kernel.unit_of_work().writing_at_commit(),
                                                           self.kernel.db.connect, today=_today(), **fields))

    # ---- reductions and reasons -----------------------------------------------------
    def _reduction_command(self, command, member_id, schema_cls, data, **extra):
        fields = _valid(schema_cls, data)
        with self.kernel.unit_of_work() as uow:
            reduction_id = command(uow, _id(member_id, "member_id"), **extra, **fields)
            return _out(contract.ReductionOut, queries.get_reduction(uow.conn, reduction_id))

    @domain_rpc
    def record_reduction(self, member_id, data):
        """The branch's decision to reduce or waive dues; applies once approved.
        Once per idempotency key: a retry does not record a second reduction."""
        fields = _valid(contract.RecordReductionIn, data)
        member_id = _id(member_id, "member_id")
        reduction_id = self.kernel.once("dues.record_reduction", {"member_id": member_id, **data},
                                        lambda uow: commands.record_reduction(uow, member_id, **fields))
        with self._read() as conn:
            return _out(contract.ReductionOut, queries.get_reduction(conn, reduction_id))

    @domain_rpc
    def approve_reduction(self, member_id, data):
        """The parent organisation's approval."""
        return self._reduction_command(commands.approve_reduction, member_id, contract.ApproveReductionIn, data,
                                       today=_today())

    @domain_rpc
    def reject_reduction(self, member_id, data):
        return self._reduction_command(commands.reject_reduction, member_id, contract.RejectReductionIn, data,
                                       today=_today())

    @domain_rpc
    def record_arrears_reason(self, member_id, data):
        fields = _valid(contract.ArrearsReasonIn, data)
        with self.kernel.unit_of_work() as uow:
            commands.record_arrears_reason(uow, _id(member_id, "member_id"), **fields)
        return self.get_dues(member_id)

    # ---- reports and the arrears job --------------------------------------------------
    @domain_rpc
    def dues_report(self, org_id, year, month=None):
        params = _valid(contract.ReportIn, {"year": year, "month": month})
        with self._read() as conn:
            return _out(contract.ReportOut, reports.dues_report(conn, _id(org_id, "org_id"), today=_today(),
                                                                **params))

    @domain_rpc
    def list_payments(self, org_id, year, month=None):
        """The subtree's payments of ``year`` or its ``month`` (reports.payments), for an export."""
        params = _valid(contract.ReportIn, {"year": year, "month": month})
        with self._read() as conn:
            return _out(contract.PaymentRowOut, reports.payments(conn, _id(org_id, "org_id"), **params), many=True)

    @domain_rpc
    def list_arrears(self, org_id, limit=50, offset=0):
        """Who is behind in the organisation's subtree (reports.arrears)."""
        params = _valid(PageIn, {"limit": limit, "offset": offset})
        with self._read() as conn:
            return _out(contract.ArrearsPageOut, reports.arrears(conn, _id(org_id, "org_id"), _today(), **params))

    @domain_rpc
    def run_arrears_check(self, as_of_month=None):
        """Flag members behind for the rule set's run of months without a
        recorded reason, up to ``as_of_month`` (last month by default);
        idempotent per member and month."""
        params = _valid(contract.ArrearsCheckIn, {"as_of_month": as_of_month})
        as_of = month_index(params["as_of_month"]) if params["as_of_month"] else month_of(_today()) - 1
        return _out(contract.ArrearsRunOut, self._arrears_check(as_of))

    def _arrears_check(self, as_of: int) -> dict:
        months = rules_in_force(first_day(as_of)).arrears_flag_months
        with self._read() as conn:
            candidates = queries.arrears_candidates(conn, as_of, months)
        flagged = []
        for member_id in candidates:
            def check(member_id=member_id):
                with self.kernel.unit_of_work() as uow:
                    return commands.check_arrears(uow, member_id, as_of)
            if retry_conflicts(check):
                flagged.append(member_id)
        with self._read() as conn:
            flags = queries.flags_of_month(conn, as_of)
        return {"as_of_month": month_text(as_of), "checked": len(candidates), "flagged": flagged, "flags": flags}

    @timer(interval=3600, eager=True)
    def monthly_jobs(self):
        """Hourly: reassess if the rule data changed; once a month, the arrears
        check of the month just ended (replicas may both run it: it is idempotent)."""
        try:
            refolded = upkeep.refresh_schedules(self.kernel.db, rules_fingerprint())
            if refolded:
                log.info("dues rule data changed: %s accounts reassessed", refolded)
            as_of = month_of(_today()) - 1
            key = f"arrears_checked:{month_text(as_of)}"
            with self._read() as conn:
                if upkeep.meta(conn, key):
                    return
            result = self._arrears_check(as_of)
            with self.kernel.db.begin() as conn:
                upkeep.set_meta(conn, key, f"{len(result['flagged'])} flagged of {result['checked']}")
            log.info("dues arrears check %s: %s", month_text(as_of), result)
        except Exception:
            log.exception("dues monthly jobs failed; will retry in an hour")
