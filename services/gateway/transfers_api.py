"""The transfer routes of the API (组织关系转接, members service): request a
transfer, read it with its timeline, one route per step of
``shared.contracts.transfers.TRANSFER_ACTIONS`` (generated from it), and the
lists per organisation (sending or receiving side) and per member. A mixin of
``GatewayService``; each handler only calls the members service (``api`` in
http.py does the rest)."""
from nameko.rpc import RpcProxy
from werkzeug.wrappers import Response

from shared.contracts import transfers as c

from .http import V1, api
from .letter_pdf import render_letter

TRANSFERS = V1 + "/transfers"
TRANSFER = TRANSFERS + "/<transfer_id>"

REQUEST_EXAMPLE = {"member_id": "5f0c1e2a-8d3b-4a6f-9c1e-7b2d4f6a8c0e",
                   "to_org_id": "9a7b5c3d-1e2f-4a6b-8c0d-2e4f6a8b0c1d", "scope": "in_city",
                   "grounds": "employer_change", "reason": "调入生物医药研究院工作"}
ACTION_EXAMPLES = {
    "approve": {"decided_by": "支部委员会"},
    "return-for-correction": {"reason": "请补充新单位名称"},
    "resubmit": {"reason": "已补充新单位名称：生物医药研究院"},
    "withdraw": {"reason": "工作变动取消"},
    "reject": {"reason": "接收单位不符合条件", "decided_by": "接收方党委"},
    "issue-letter": {"valid_until": "2024-03-11", "issued_on": "2024-03-01", "reference": "苏工委组转字〔2024〕12号"},
    "reissue-letter": {"reference": "苏工委组转字〔2024〕15号"},
    "accept": {"decided_by": "接收方党支部"},
    "report-in": {"group_id": "3c2b1a0f-9e8d-4c7b-a6f5-e4d3c2b1a0f9"},
    "complete": {},
}
"""The request body example of each action route in the OpenAPI document."""
LIST_NOTE = ("state=letter_expired lists letters that expired unaccepted (reissue them); "
             "state=report_overdue lists accepted transfers whose member has not reported in "
             "within the window (an alert). The sweep marks both daily and on POST /transfers/sweep.")


class TransfersApi:
    members = RpcProxy("members")

    @api("POST", TRANSFERS, tag="transfers", status=201, example=REQUEST_EXAMPLE,
         summary="Request a transfer of a member's organisational relationship (one open transfer per member)",
         body=c.RequestTransferIn, response=c.TransferOut)
    def request_transfer(self, data):
        return self.members.request_transfer(data)

    @api("GET", TRANSFER, tag="transfers", summary="Get a transfer, with the timeline of its events",
         response=c.TransferOut)
    def get_transfer(self, transfer_id):
        return self.members.get_transfer(transfer_id)

    @api("GET", TRANSFER + "/letter.pdf", tag="transfers", media="application/pdf", errors=(409,),
         summary="The transfer letter as issued, printable (PDF, in Chinese), with its receipt slip",
         description="The serial in the issuing committee's sequence for the year, both organisations, the "
                     "member, the validity and the month dues are paid up to. 409 before a letter is issued.")
    def transfer_letter_pdf(self, transfer_id):
        letter = self.members.transfer_letter(transfer_id)
        name = f"transfer-letter-{letter.get('serial') or letter['number']}.pdf"
        return Response(render_letter(letter), content_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})

    @api("GET", V1 + "/orgs/<org_id>/transfers", tag="transfers",
         summary="Transfers out of (sending) or into (receiving) an organisation's whole subtree (by default)",
         description=LIST_NOTE, query=c.TransferListIn, response=c.TransferPageOut)
    def list_org_transfers(self, org_id, limit, offset, scope, state=None, side=None):
        return self.members.list_org_transfers(org_id, state=state, side=side, limit=limit, offset=offset,
                                               scope=scope)

    @api("GET", V1 + "/members/<member_id>/transfers", tag="transfers", summary="A member's transfers",
         query=c.PageIn, response=c.TransferPageOut)
    def list_member_transfers(self, member_id, limit, offset):
        return self.members.list_member_transfers(member_id, limit=limit, offset=offset)

    @api("POST", TRANSFERS + "/sweep", tag="transfers",
         summary="Run the transfer sweep now: expire letters, flag missed report-ins, finish pending steps",
         description="It also runs by itself every minute; running it again changes nothing.",
         body=c.SweepIn, response=c.SweepOut)
    def sweep_transfers(self, data):
        return self.members.sweep_transfers(as_of=data.get("as_of"))


def _action_route(action: str, schema: type, summary: str):
    """``POST /api/v1/transfers/<transfer_id>/<action>`` with ``schema`` as its body."""

    def handler(self, transfer_id, data):
        return self.members.transfer_step(transfer_id, action, data)

    handler.__name__ = handler.__qualname__ = "transfer_" + action.replace("-", "_")
    handler.__doc__ = summary
    return api("POST", f"{TRANSFER}/{action}", tag="transfers", summary=summary, body=schema,
               response=c.TransferOut, example=ACTION_EXAMPLES.get(action))(handler)


ACTION_HANDLERS = {action: _action_route(action, schema, summary)
                   for action, (schema, summary) in c.TRANSFER_ACTIONS.items()}
for _handler in ACTION_HANDLERS.values():
    setattr(TransfersApi, _handler.__name__, _handler)
