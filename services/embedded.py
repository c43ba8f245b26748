"""`make run`: every service and the gateway in one process, over kombu's
in-memory transport and SQLite files in a data folder (docs/architecture.md,
Running). Same code as the distributed deployment; only the URIs differ.

Two secrets are made once per data folder, readable by their owner only:
``jwt-secret`` signs access tokens (EJIA_JWT_SECRET overrides it) and
``master-key`` wraps each member's personal-data key (EJIA_MASTER_KEY
overrides it). The data folder is 0700 and every file in it 0600. The first
start loads demo data and creates the demo accounts (demo_accounts.py);
every start prints them."""
import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import base64  # noqa: E402
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

SERVICES = ("identity", "orgs", "members", "dues")
DEMO_MARKER = ".demo-loaded"
DEMO_LOADING = ".demo-loading"
CHECKPOINT_SECONDS = 2.0
SECRET_FILE = "jwt-secret"
MASTER_KEY_FILE = "master-key"


def embedded_config(data_dir: Path, address: str) -> dict:
    return {
        "AMQP_URI": "memory://",
        "WEB_SERVER_ADDRESS": address,
        "DB_URIS": {name: f"sqlite:///{(data_dir / f'{name}.db').resolve()}" for name in SERVICES},
        "JWT_SECRET": folder_secret(data_dir, SECRET_FILE, "EJIA_JWT_SECRET", lambda: secrets.token_urlsafe(48)),
        "MASTER_KEY": folder_secret(data_dir, MASTER_KEY_FILE, "EJIA_MASTER_KEY",
                                    lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()),
        "max_workers": 10,
    }


def private_folder(data_dir: Path) -> Path:
    """The data folder, made owner-only (0700); files made in it by this
    process are 0600 (the umask), SQLite's WAL and journal files included."""
    os.umask(0o077)
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    return data_dir


def folder_secret(data_dir: Path, name: str, env: str, make) -> str:
    """The variable ``env``, else this data folder's own secret ``name``
    (made on first use, owner-only)."""
    from_env = os.environ.get(env)
    if from_env:
        return from_env
    path = data_dir / name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make() + "\n")
    return path.read_text().strip()


def service_classes():
    from services.dues.service import DuesService
    from services.gateway.service import GatewayService
    from services.identity.service import IdentityService
    from services.members.service import MembersService
    from services.orgs.service import OrgsService
    return [IdentityService, OrgsService, MembersService, DuesService, GatewayService]


def start_over_after_an_interrupted_demo_load(data_dir: Path, log):
    """A first start killed while the demo data loaded leaves part of it: the
    next start would trip over its own half-made records. Nothing but demo
    data can be there yet (the demo accounts are made last), so the service
    databases are removed and the load starts over; the secrets stay."""
    if (data_dir / DEMO_LOADING).exists() and not (data_dir / DEMO_MARKER).exists():
        log.warning("the first start was interrupted while loading the demo data: loading it again")
        for name in SERVICES:
            for suffix in ("", "-wal", "-shm", "-journal"):
                (data_dir / f"{name}.db{suffix}").unlink(missing_ok=True)
        (data_dir / DEMO_LOADING).unlink()


def service_databases(config) -> dict:
    from shared.database import Database
    return {name: Database(url) for name, url in config["DB_URIS"].items()}


def redeliver_after_a_crash(databases: dict, log) -> int:
    """Make every outbox row past the delivery checkpoint unpublished again
    (memory:// lost whatever was queued when the process died); the relays
    send them once more and the inboxes drop what was already applied."""
    from shared.outbox import redeliver_after_checkpoint
    total = 0
    for name, db in databases.items():
        with db.begin() as conn:
            count = redeliver_after_checkpoint(conn)
        if count:
            log.info("%s: %s events past the delivery checkpoint sent again", name, count)
        total += count
    return total


def idle(runner, databases: dict) -> dict | None:
    """{service: last outbox id} when nothing is on its way: no message in
    any in-memory queue, no worker running in any service, nothing
    unpublished. None otherwise."""
    from kombu.transport import memory
    from shared.outbox import last_outbox_id
    from shared.tables import outbox
    from sqlalchemy import func, select
    if any(queue.qsize() for queue in list(memory.Channel.queues.values())):
        return None
    if any(container._worker_threads for container in runner.containers):
        return None
    last = {}
    for name, db in databases.items():
        with db.connect() as conn:
            if conn.execute(select(func.count()).where(outbox.c.published_at.is_(None))).scalar_one():
                return None
            last[name] = last_outbox_id(conn)
    return last


def keep_delivery_checkpoints(runner, databases: dict, log, interval=CHECKPOINT_SECONDS):
    """Every ``interval``: if the platform was idle at two looks in a row with
    the same outbox ends, everything up to those ends was delivered."""
    from shared.outbox import mark_delivered_through
    previous = None
    while True:
        eventlet.sleep(interval)
        try:
            now = idle(runner, databases)
            if now is not None and now == previous:
                for name, db in databases.items():
                    with db.begin() as conn:
                        mark_delivered_through(conn, now[name])
            previous = now
        except Exception:
            log.exception("delivery checkpoint failed; will try again")


def load_demo_once(config, data_dir: Path, log) -> str:
    """Load the demo data and accounts on the folder's first start; answer
    the demo accounts' description (kept in the marker file)."""
    from services.demo_accounts import describe, load_accounts
    marker = data_dir / DEMO_MARKER
    if marker.exists():
        return marker.read_text()
    from services.demo import load_demo
    (data_dir / DEMO_LOADING).write_text("started\n")
    started = time.monotonic()
    with ClusterRpcProxy(config, timeout=30) as cluster:
        district = load_demo(cluster.orgs, cluster.members, cluster.dues)
        accounts = describe(load_accounts(cluster.identity, district))
    marker.write_text(accounts + "\n")
    (data_dir / DEMO_LOADING).unlink(missing_ok=True)
    counts, dues = district.get("demo_members", {}), district.get("demo_dues", {})
    log.info("demo data loaded in %.1f s: %s members (%s); %s dues accounts, %s paid up",
             time.monotonic() - started, counts.get("members", 0),
             ", ".join(f"{n} {stage}" for stage, n in counts.get("stages", {}).items()),
             dues.get("accounts", 0), dues.get("paid", 0))
    return accounts + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run the whole eJia platform in one process.")
    parser.add_argument("--data-dir", default=os.environ.get("EJIA_DATA_DIR", "data"))
    parser.add_argument("--host", default=os.environ.get("EJIA_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("EJIA_PORT", "8000")))
    parser.add_argument("--no-demo", action="store_true", help="do not load demo data or demo accounts")
    args = parser.parse_args(argv)

    from shared import logsafe  # one line per message: client text escaped
    logsafe.install(logging.INFO, sys.stderr)
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)  # memory:// has no hostname
    log = logging.getLogger("ejia")
    data_dir = private_folder(Path(args.data_dir))
    prepare_memory_transport(polling_interval=0.001)
    config = embedded_config(data_dir, f"{args.host}:{args.port}")

    from services.gateway.health import readiness
    readiness.starting_because("loading the demo data" if not args.no_demo else "starting the services")
    start_over_after_an_interrupted_demo_load(data_dir, log)
    runner = ServiceRunner(config)
    for cls in service_classes():
        runner.add_service(cls)
    runner.start()
    databases = service_databases(config)  # every service's tables exist now
    redeliver_after_a_crash(databases, log)
    eventlet.spawn(keep_delivery_checkpoints, runner, databases, log)
    accounts = "" if args.no_demo else load_demo_once(config, data_dir, log)
    readiness.ready()

    url = f"http://{args.host}:{args.port}"
    print(f"eJia is running at {url}  (API docs: {url}/docs)  Ctrl-C stops it.", flush=True)
    print(accounts + f"Sign in: POST {url}/api/v1/auth/token with {{\"username\", \"password\"}}, "
          f"then send 'Authorization: Bearer <access_token>'. More accounts: "
          f"ejia accounts create --data-dir {data_dir} --username U --role R [--org ID] [--member ID]",
          flush=True)

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
