"""The baseline of bench/members.py's listing figures: the most trivial
nameko ``@http`` GET, run as its own `nameko run` process like the gateway."""
from nameko.web.handlers import http


class TrivialHttp:
    name = "bench_trivial_http"

    @http("GET", "/ping")
    def ping(self, request):
        return 200, {"Content-Type": "application/json"}, '{"status": "ok"}'
