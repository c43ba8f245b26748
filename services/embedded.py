"""`make run`: every service and the gateway in one process, over kombu's
in-memory transport and SQLite files in a data folder (ARCHITECTURE.md,
Running). Same code as the distributed deployment; only the URIs differ.

Bearer tokens are signed with a secret made once per data folder (the file
``jwt-secret`` there, readable by its owner only; EJIA_JWT_SECRET overrides
it). ``python -m services.embedded --print-admin-token`` prints a token with
the admin role for that folder, and exits."""
import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from nameko.runners import ServiceRunner  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from shared.nameko_adapter import prepare_memory_transport  # noqa: E402

SERVICES = ("orgs", "members", "dues")
DEMO_MARKER = ".demo-loaded"
SECRET_FILE = "jwt-secret"
ADMIN_TOKEN_DAYS = 30


def embedded_config(data_dir: Path, address: str) -> dict:
    return {
        "AMQP_URI": "memory://",
        "WEB_SERVER_ADDRESS": address,
        "DB_URIS": {name: f"sqlite:///{(data_dir / f'{name}.db').resolve()}" for name in SERVICES},
        "JWT_SECRET": jwt_secret(data_dir),
        "max_workers": 10,
    }


def jwt_secret(data_dir: Path) -> str:
    """EJIA_JWT_SECRET, else this data folder's own random secret (made on
    first use, owner-only permissions)."""
    from_env = os.environ.get("EJIA_JWT_SECRET")
    if from_env:
        return from_env
    path = data_dir / SECRET_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
    return path.read_text().strip()


def admin_token(data_dir: Path, days: int = ADMIN_TOKEN_DAYS) -> str:
    from services.gateway.auth import ADMIN, issue_token
    return issue_token(jwt_secret(data_dir), "admin", [ADMIN], expires_in=dt.timedelta(days=days))


def service_classes():
    from services.dues.service import DuesService
    from services.gateway.service import GatewayService
    from services.members.service import MembersService
    from services.orgs.service import OrgsService
    return [OrgsService, MembersService, DuesService, GatewayService]


def load_demo_once(config, data_dir: Path, log):
    marker = data_dir / DEMO_MARKER
    if marker.exists():
        return
    from services.demo import load_demo
    started = time.monotonic()
    with ClusterRpcProxy(config, timeout=30) as cluster:
        district = load_demo(cluster.orgs, cluster.members, cluster.dues)
    marker.write_text("demo data loaded\n")
    counts, dues = district.get("demo_members", {}), district.get("demo_dues", {})
    log.info("demo data loaded in %.1f s: %s members (%s); %s dues accounts, %s paid up",
             time.monotonic() - started, counts.get("members", 0),
             ", ".join(f"{n} {stage}" for stage, n in counts.get("stages", {}).items()),
             dues.get("accounts", 0), dues.get("paid", 0))


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run the whole eJia platform in one process.")
    parser.add_argument("--data-dir", default=os.environ.get("EJIA_DATA_DIR", "data"))
    parser.add_argument("--host", default=os.environ.get("EJIA_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("EJIA_PORT", "8000")))
    parser.add_argument("--no-demo", action="store_true", help="do not load demo data")
    parser.add_argument("--print-admin-token", action="store_true",
                        help=f"print a bearer token with the admin role for this data folder "
                             f"(valid {ADMIN_TOKEN_DAYS} days) and exit")
    args = parser.parse_args(argv)
    if args.print_admin_token:
        data_dir = Path(args.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        print(admin_token(data_dir))
        return

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)  # memory:// has no hostname
    log = logging.getLogger("ejia")
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    prepare_memory_transport(polling_interval=0.001)
    config = embedded_config(data_dir, f"{args.host}:{args.port}")

    runner = ServiceRunner(config)
    for cls in service_classes():
        runner.add_service(cls)
    runner.start()
    if not args.no_demo:
        load_demo_once(config, data_dir, log)

    url = f"http://{args.host}:{args.port}"
    print(f"eJia is running at {url}  (API docs: {url}/docs)  Ctrl-C stops it.", flush=True)
    print(f"Personal data (ID numbers, phones) is masked unless you send an admin token: "
          f"python -m services.embedded --print-admin-token --data-dir {data_dir} prints one; "
          f"send it as 'Authorization: Bearer <token>'.", flush=True)

    stopping = eventlet.event.Event()

    def request_stop(*_):
        if not stopping.ready():
            stopping.send()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    runner_thread = eventlet.spawn(runner.wait)
    while not stopping.ready() and not runner_thread.dead:
        eventlet.sleep(0.2)
    log.info("stopping")
    runner.stop()
    print("eJia stopped.", flush=True)


if __name__ == "__main__":
    main()
