"""The baselines' services: the most trivial nameko work, each run as its own
`nameko run` process like the gateway and the services it is compared with.

- ``TrivialPing``: ``GET /ping`` answering a constant (bench/members.py's
  listing baseline).
- ``TrivialPayments`` (``@http``) calling ``TrivialRpc`` (``rpc``): an HTTP
  POST that makes one RPC to a service that returns at once, the shape of a
  payment through the gateway to dues with none of the work (bench/dues.py);
  and ``GET /api/v1/trivial/me?member_id=...`` making one RPC
  (``TrivialRpc.me``), the shape of ``GET /api/v1/me`` (bench/gateway.py).
- ``TrivialRpc.register``: a registration-shaped body in, a registration-sized
  answer out at once (the body back with the fields a registration adds),
  called by standalone RPC clients beside ``members.register_member``
  (bench/members.py).
"""
import datetime as dt
import json
import uuid

from nameko.rpc import RpcProxy, rpc
from nameko.web.handlers import http


# a member record's fields beyond the registration's, as members.register_member answers them
MEMBER_OUT = {
    "birth_date": None, "personal_revealed": False, "personal_data_erased": False, "org_name": "基准测试第1党支部",
    "group_id": None, "group_name": None, "status": "active", "status_detail": None,
    "talk_due_on": None, "candidate_eligible_on": None, "next_assessment_due_on": None, "probation_ends_on": None,
    "talk": None, "contacts": [], "assessments": [], "candidate_decision": None, "sponsors": [],
    "political_review": None, "training": {"days": 0, "class_hours": 0, "sessions": []}, "admission_vote": None,
    "full_vote": None, "extension": None, "cancellation": None, "warnings": [], "version": 1,
}


class TrivialPing:
    name = "bench_trivial_http"

    @http("GET", "/ping")
    def ping(self, request):
        return 200, {"Content-Type": "application/json"}, '{"status": "ok"}'


class TrivialRpc:
    name = "bench_trivial_rpc"

    @rpc
    def pay(self, data):
        return {"payment_id": data["idempotency_key"], "total": data["amount"]}

    @rpc
    def ping(self):
        return "pong"

    @rpc
    def register(self, data):
        """The body back as a member record (members.register_member's answer
        has these fields, ``MemberOut``), nothing looked up or checked."""
        return {**data, **MEMBER_OUT, "id": str(uuid.uuid4()), "registered_on": dt.date.today().isoformat(),
                "status_since": dt.date.today().isoformat(), "id_number": data["id_number"][:4] + "*" * 14,
                "phone": data["phone"][:3] + "****" + data["phone"][-4:]}

    @rpc
    def me(self, member_id):
        return {"member": {"id": member_id, "name": "trivial", "stage": "full", "status": "active"}}


class TrivialPayments:
    name = "bench_trivial_payments"
    trivial = RpcProxy("bench_trivial_rpc")

    @http("POST", "/api/v1/trivial/payments")
    def pay(self, request):
        result = self.trivial.pay(json.loads(request.get_data(as_text=True)))
        return 201, {"Content-Type": "application/json"}, json.dumps(result)

    @http("GET", "/api/v1/trivial/me")
    def me(self, request):
        result = self.trivial.me(request.args.get("member_id"))
        return 200, {"Content-Type": "application/json"}, json.dumps(result)
