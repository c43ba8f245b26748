"""The distributed platform as separate `nameko run` processes, with the same
command and EJIA_* variables as docker-compose.yml, on a throwaway RabbitMQ
vhost and fresh PostgreSQL databases; a service may run as several
replicas, and any process can be killed with kill -9 and started again."""
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from platform_factory import drop_databases, pg_database_url

ROOT = Path(__file__).resolve().parents[2]
DATABASES = ("identity", "orgs", "members", "dues")  # EJIA_<NAME>_DB_URL, as in config/nameko.yaml
SERVICES = ("identity", "orgs", "members", "dues", "gateway")


class Cluster:
    def __init__(self, vhost: str, port: int, logs: Path, jwt_secret: str, master_key: str):
        self.suffix = uuid.uuid4().hex[:8]
        self.databases = {name: f"ejia_e2e_{name}_{self.suffix}" for name in DATABASES}
        self.base_url = f"http://127.0.0.1:{port}"
        self.logs = logs
        self.env = {**os.environ,
                    "EJIA_AMQP_URI": f"pyamqp://guest:guest@127.0.0.1:5672/{vhost}",
                    "EJIA_GATEWAY_ADDRESS": f"127.0.0.1:{port}",
                    "EJIA_JWT_SECRET": jwt_secret, "EJIA_MASTER_KEY": master_key,
                    **{f"EJIA_{name.upper()}_DB_URL": self.db_url(name) for name in DATABASES}}
        self.processes: dict[str, subprocess.Popen] = {}

    def db_url(self, name: str) -> str:
        return pg_database_url(self.databases[name])

    def start(self, service: str, replica: int = 1):
        """Start ``service`` (replica ``replica``); its log goes to logs/<service>-<replica>.log."""
        key = f"{service}-{replica}"
        log_file = open(self.logs / f"{key}.log", "a")
        command = [str(Path(sys.executable).parent / "nameko"), "run", "--config", "config/nameko.yaml",
                   f"services.{service}.service"]
        self.processes[key] = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log_file,
                                               stderr=subprocess.STDOUT, start_new_session=True)
        return key

    def kill(self, key: str):
        """kill -9, as a lost node or an OOM kill does."""
        proc = self.processes[key]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def wait_until_healthy(self, timeout=90):
        deadline, last = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            for key, proc in self.processes.items():
                if proc.poll() is not None and proc.returncode not in (-9,):
                    raise RuntimeError(f"{key} exited with {proc.returncode}; log in {self.logs}")
            try:
                response = requests.get(f"{self.base_url}/health", timeout=2)
                if response.status_code == 200:
                    return
                last = response.text
            except requests.RequestException as exc:
                last = exc
            time.sleep(0.3)
        raise RuntimeError(f"platform not healthy within {timeout}s: {last}")

    def alive(self) -> dict:
        return {key: proc.poll() is None for key, proc in self.processes.items()}

    def query(self, database: str, sql: str, **params):
        engine = create_engine(self.db_url(database))
        try:
            with engine.connect() as conn:
                return conn.execute(text(sql), params).all()
        finally:
            engine.dispose()

    def stop(self):
        for proc in self.processes.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.processes.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        drop_databases(self.databases.values())
