"""The dues routes of the API (dues service): the member's dues base and
statement, payments, reductions, the branch's base policy and the
collection report. A mixin of ``GatewayService``; each handler only calls
the dues service. Amounts are strings with 2 decimals, never JSON numbers."""
from nameko.rpc import RpcProxy

from shared.contracts import dues as c
from shared.contracts.common import PageIn

from .http import V1, api

MEMBER = V1 + "/members/<member_id>"
ORG = V1 + "/orgs/<org_id>"

BASE_EXAMPLE = {"category": "employed", "base": "6800.00", "effective_month": "2024-01"}
PAYMENT_EXAMPLE = {"idempotency_key": "7f1c9a2e-5d1b-4c55-9a61-0c0a3e1b2f10",
                   "member_id": "5f0c1e2a-8d3b-4a6f-9c1e-7b2d4f6a8c0e",
                   "months": ["2024-01", "2024-02", "2024-03"], "amount": "306.00"}


class DuesApi:
    dues = RpcProxy("dues")

    def _changing(self, member_id, method, *args):
        """A dues write; afterwards what /me keeps of the member's dues is
        read anew (dues_status.py), whichever way the event travels."""
        try:
            return getattr(self.dues, method)(*args)
        finally:
            self.dues_status.forget(member_id)

    @api("PUT", MEMBER + "/dues-base", tag="dues", example=BASE_EXAMPLE,
         summary="Set the member's dues category and base (or set amount) from a month on",
         body=c.SetDuesBaseIn, response=c.AccountOut)
    def set_dues_base(self, member_id, data):
        return self._changing(member_id, "set_dues_base", member_id, data)

    @api("GET", MEMBER + "/dues", tag="dues", query=c.StatementIn, response=c.AccountOut,
         summary="The member's dues account and statement: owed, paid, paid up to, arrears")
    def get_dues(self, member_id, year=None):
        return self.dues.get_dues(member_id, year=year)

    @api("GET", MEMBER + "/dues/clearance", tag="dues", response=c.ClearanceOut,
         summary="What a transfer letter records: the month dues are paid up to, and arrears")
    def transfer_clearance(self, member_id):
        return self.dues.transfer_clearance(member_id)

    @api("POST", V1 + "/dues/payments", tag="dues", status=201, example=PAYMENT_EXAMPLE,
         summary="Pay dues for one or more months (a retry with the same idempotency key never charges twice)",
         body=c.PaymentIn, response=c.ReceiptOut)
    def pay(self, data):
        return self._changing(data["member_id"], "pay", data)

    @api("POST", MEMBER + "/dues/reductions", tag="dues", status=201,
         summary="Record a branch decision to reduce or waive dues (needs the parent's approval)",
         body=c.RecordReductionIn, response=c.ReductionOut)
    def record_reduction(self, member_id, data):
        return self._changing(member_id, "record_reduction", member_id, data)

    @api("POST", MEMBER + "/dues/reductions/approve", tag="dues", summary="The parent approves a reduction",
         body=c.ApproveReductionIn, response=c.ReductionOut)
    def approve_reduction(self, member_id, data):
        return self._changing(member_id, "approve_reduction", member_id, data)

    @api("POST", MEMBER + "/dues/reductions/reject", tag="dues", summary="The parent rejects a reduction",
         body=c.RejectReductionIn, response=c.ReductionOut)
    def reject_reduction(self, member_id, data):
        return self._changing(member_id, "reject_reduction", member_id, data)

    @api("POST", MEMBER + "/dues/arrears-reason", tag="dues", response=c.AccountOut,
         summary="Record why the member is behind (a recorded reason stops the arrears flag)",
         body=c.ArrearsReasonIn)
    def record_arrears_reason(self, member_id, data):
        return self._changing(member_id, "record_arrears_reason", member_id, data)

    @api("PUT", ORG + "/dues-base-policy", tag="dues", body=c.BasePolicyIn, response=c.BasePolicyOut,
         summary="The branch's policy for base changes: from the month of change, or fixed yearly")
    def set_base_policy(self, org_id, data):
        return self.dues.set_base_policy(org_id, data)

    @api("GET", ORG + "/dues-base-policy", tag="dues", response=c.BasePolicyOut,
         summary="The branch's policy for base changes")
    def get_base_policy(self, org_id):
        return self.dues.get_base_policy(org_id)

    @api("GET", ORG + "/arrears", tag="dues", query=PageIn, response=c.ArrearsPageOut,
         summary="Who is behind with their dues in the organisation's subtree, most months owed first",
         description="Liable members owing for a month that has begun: what, since when, the last arrears flag, "
                     "and whether the branch recorded a reason.")
    def list_arrears(self, org_id, limit, offset):
        return self.dues.list_arrears(org_id, limit=limit, offset=offset)

    @api("POST", V1 + "/dues/arrears-check", tag="dues", body=c.ArrearsCheckIn, response=c.ArrearsRunOut,
         example={"as_of_month": "2026-11"},
         summary="Run the arrears check for a month now (it also runs by itself once a month)",
         description="district_admin only. Flags members behind for the rule set's run of months without a "
                     "recorded reason; running it again flags nobody twice. Answers every flag of the month.")
    def run_arrears_check(self, data):
        return self.dues.run_arrears_check(as_of_month=data.get("as_of_month"))

    @api("GET", ORG + "/dues-report", tag="dues", query=c.ReportIn, response=c.ReportOut,
         summary="Owed, collected, outstanding and waived for the organisation's subtree, by month and branch")
    def dues_report(self, org_id, year, month=None):
        return self.dues.dues_report(org_id, year, month=month)
