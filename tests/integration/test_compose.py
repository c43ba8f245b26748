"""docker-compose.yml stays honest about the distributed deployment.

Docker cannot run here, so the file is validated offline with Debian's
docker-compose (`docker-compose config -q`) and checked against
config/nameko.yaml: same `nameko run` command as the tests' processes, only
EJIA_* variables that the nameko config reads, and service modules that exist.
"""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
NAMEKO_CONFIG = "config/nameko.yaml"
MODULE_RE = re.compile(r"^services\.([a-z_]+)\.service$")
ENV_VAR_RE = re.compile(r"\$\{(EJIA_[A-Z0-9_]+)")


def _compose():
    return yaml.safe_load(COMPOSE_FILE.read_text())


def _app_services():
    """Compose services built from this repo (not rabbitmq/postgres)."""
    return {
        name: svc
        for name, svc in _compose()["services"].items()
        if "build" in svc
    }


def _environment(svc):
    env = svc.get("environment") or {}
    if isinstance(env, list):  # ["KEY=value", ...] form
        env = dict(item.split("=", 1) for item in env)
    return env


def _config_env_vars():
    return set(ENV_VAR_RE.findall((ROOT / NAMEKO_CONFIG).read_text()))


SECRETS = re.findall(r"^(EJIA_[A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)


def _compose_config(env):
    exe = shutil.which("docker-compose")
    if exe is None:
        pytest.fail(
            "docker-compose is not installed: run scripts/ensure-services.sh "
            "(it installs Debian's docker-compose) or `make test`"
        )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EJIA_")}
    return subprocess.run(
        [exe, "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=ROOT, env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_docker_compose_config_is_valid():
    proc = _compose_config({name: f"value-of-{name.lower()}" for name in SECRETS})
    assert proc.returncode == 0, (
        f"docker-compose config -q failed ({proc.returncode}):\n"
        f"{proc.stdout}{proc.stderr}"
    )


@pytest.mark.parametrize("missing", ["EJIA_JWT_SECRET", "EJIA_MASTER_KEY", "EJIA_MEMBERS_DB_PASSWORD",
                                     "EJIA_GATEWAY_AMQP_PASSWORD"])
def test_docker_compose_refuses_to_start_without_a_secret(missing):
    proc = _compose_config({name: "x" for name in SECRETS if name != missing})
    assert proc.returncode != 0 and missing in proc.stderr, proc.stderr


def test_only_the_gateway_is_published_and_no_default_credentials():
    services = _compose()["services"]
    assert [name for name, svc in services.items() if svc.get("ports")] == ["gateway"]
    text = COMPOSE_FILE.read_text()
    assert "guest:guest" not in text and "postgres:postgres@" not in text
    users = {}
    for name, svc in _app_services().items():
        env = _environment(svc)
        amqp_user = re.match(r"pyamqp://([^:]+):", env["EJIA_AMQP_URI"]).group(1)
        users[name] = amqp_user
        db_url = env.get(f"EJIA_{name.upper()}_DB_URL")
        if db_url:
            assert re.match(rf"postgresql\+psycopg2://ejia_{name}:", db_url), db_url
    assert len(set(users.values())) == len(users), users


def test_compose_has_app_services():
    assert {"orgs", "gateway"} <= set(_app_services())


@pytest.mark.parametrize("name", sorted(_app_services()))
def test_compose_command_matches_nameko_run(name):
    svc = _app_services()[name]
    command = svc.get("command")
    assert isinstance(command, list), f"{name}: command must be a list"
    assert command[:4] == ["nameko", "run", "--config", NAMEKO_CONFIG], command
    assert len(command) == 5, command
    match = MODULE_RE.match(command[4])
    assert match, f"{name}: {command[4]!r} is not services.<name>.service"
    assert match.group(1) == name, (
        f"compose service {name!r} runs {command[4]!r}"
    )
    assert (ROOT / NAMEKO_CONFIG).is_file()
    assert (ROOT / svc["build"]["context"] / svc["build"].get(
        "dockerfile", "Dockerfile")).is_file()


@pytest.mark.parametrize("name", sorted(_app_services()))
def test_compose_env_vars_are_read_by_nameko_config(name):
    env = _environment(_app_services()[name])
    ejia_vars = {key for key in env if key.startswith("EJIA_")}
    assert ejia_vars, f"{name}: no EJIA_* variables"
    unknown = ejia_vars - _config_env_vars()
    assert not unknown, (
        f"{name}: {sorted(unknown)} are not read by {NAMEKO_CONFIG}"
    )
    assert "EJIA_AMQP_URI" in env
    # a service that owns data gets its own database URL
    db_var = f"EJIA_{name.upper()}_DB_URL"
    if db_var in _config_env_vars():
        assert db_var in env, f"{name}: missing {db_var}"


def test_compose_databases_are_created():
    """Every database named in nameko.yaml's defaults is created by the
    init script the postgres container runs."""
    config = (ROOT / NAMEKO_CONFIG).read_text()
    databases = set(re.findall(r"/(ejia_[a-z_]+)\}", config))
    assert databases
    postgres = _compose()["services"]["postgres"]
    mounts = [v.split(":")[0] for v in postgres.get("volumes", [])]
    init = [m for m in mounts if m.endswith(".sql")]
    assert init, "postgres mounts no init SQL into /docker-entrypoint-initdb.d"
    sql = "".join((ROOT / m).read_text() for m in init)
    for db in databases:
        assert f"CREATE DATABASE {db}" in sql, db


@pytest.mark.parametrize("name", sorted(_app_services()))
def test_compose_service_module_exists(name):
    module = _app_services()[name]["command"][-1]
    path = ROOT / Path(*module.split(".")).with_suffix(".py")
    assert path.is_file(), f"{module} (compose service {name!r}) has no {path}"
