"""The baselines' services: the most trivial nameko work, each run as its own
`nameko run` process like the gateway and the services it is compared with.

- ``TrivialPing``: ``GET /ping`` answering a constant (bench/members.py's
  listing baseline).
- ``TrivialPayments`` (``@http``) calling ``TrivialRpc`` (``rpc``): an HTTP
  POST that makes one RPC to a service that returns at once, the shape of a
  payment through the gateway to dues with none of the work (bench/dues.py);
  and ``GET /api/v1/trivial/me?member_id=...`` making one RPC
  (``TrivialRpc.me``), the shape of ``GET /api/v1/me`` (bench/gateway.py).
"""
import json

from nameko.rpc import RpcProxy, rpc
from nameko.web.handlers import http


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
