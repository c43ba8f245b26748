"""`make run`: every service and the gateway in one process, over kombu's
in-memory transport and SQLite files in a data folder (ARCHITECTURE.md,
Running). Same code as the distributed deployment; only the URIs differ."""
import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from nameko.runners import ServiceRunner  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from shared.nameko_adapter import prepare_memory_transport  # noqa: E402

SERVICES = ("orgs",)
DEMO_MARKER = ".demo-loaded"


def embedded_config(data_dir: Path, address: str) -> dict:
    return {
        "AMQP_URI": "memory://",
        "WEB_SERVER_ADDRESS": address,
        "DB_URIS": {name: f"sqlite:///{(data_dir / f'{name}.db').resolve()}" for name in SERVICES},
        "max_workers": 10,
    }


def service_classes():
    from services.gateway.service import GatewayService
    from services.orgs.service import OrgsService
    return [OrgsService, GatewayService]


def load_demo_once(config, data_dir: Path, log):
    marker = data_dir / DEMO_MARKER
    if marker.exists():
        return
    from services.demo import load_demo
    with ClusterRpcProxy(config, timeout=30) as cluster:
        load_demo(cluster.orgs)
    marker.write_text("demo data loaded\n")
    log.info("demo data loaded")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run the whole eJia platform in one process.")
    parser.add_argument("--data-dir", default=os.environ.get("EJIA_DATA_DIR", "data"))
    parser.add_argument("--host", default=os.environ.get("EJIA_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("EJIA_PORT", "8000")))
    parser.add_argument("--no-demo", action="store_true", help="do not load demo data")
    args = parser.parse_args(argv)

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
