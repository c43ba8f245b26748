"""`make run` killed with kill -9, as a laptop loses power: nothing committed
is lost, in the service that committed it or in those that follow it.

- During a registration load, five times, restarting each time: every
  member the members service holds has its orgs roster row, every
  probationary and full member its dues account, and every registration
  answered 201 is there.
- During the first start's demo load: the next start serves the whole demo
  data, as a clean start does.
"""
import datetime as dt
import itertools
import os
import random
import signal
import sqlite3
import threading
import time

import requests

from services.demo_members import id_number

from .conftest import free_port
from .test_embedded import DEMO_BRANCH, sign_in, start_embedded, wait_for_url

KILLS = 5
_sequence = itertools.count(1)


def kill_hard(proc):
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def wait_ready(url, timeout=120):
    """/health is 200 only once the platform is ready (demo data included)."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            response = requests.get(f"{url}/health", timeout=5)
            if response.status_code == 200:
                return
            last = response.json()
        except requests.RequestException as exc:
            last = exc
        time.sleep(0.3)
    raise AssertionError(f"not ready within {timeout}s: {last}")


def wait_for_health(url, timeout=60):
    """The first answer /health gives (the gateway is listening)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return requests.get(f"{url}/health", timeout=5)
        except requests.RequestException:
            time.sleep(0.1)
    raise AssertionError(f"no answer from {url}/health within {timeout}s")


def full_member(branch_id, n):
    admitted = dt.date(2023, 1, 1) + dt.timedelta(days=n % 500)
    birth = dt.date(1980, 1, 1) + dt.timedelta(days=n % 3000)
    return {"name": f"压测{n}", "gender": "male", "birth_date": birth.isoformat(), "ethnicity": "汉族",
            "education": "大学本科", "id_number": id_number("320506", birth, 2 * (n % 499) + 1),
            "phone": "13962345678", "employer": "纳米科技有限公司", "org_id": branch_id,
            "stage": "probationary", "applied_on": (admitted - dt.timedelta(days=700)).isoformat(),
            "activist_on": (admitted - dt.timedelta(days=600)).isoformat(),
            "candidate_on": (admitted - dt.timedelta(days=200)).isoformat(), "admitted_on": admitted.isoformat()}


def register_until_stopped(url, headers, branch_id, stop, created, failures):
    """One registration after another, each under its own Idempotency-Key,
    noting every member answered 201; connection errors end the load."""
    while not stop.is_set():
        n = next(_sequence)
        try:
            response = requests.post(f"{url}/api/v1/members", json=full_member(branch_id, n),
                                     headers={**headers, "Idempotency-Key": f"load-{n}"}, timeout=10)
        except requests.RequestException:
            return
        if response.status_code == 201:
            created.append(response.json()["id"])
        elif response.status_code != 409:  # an ID number drawn twice is the only refusal expected
            failures.append((response.status_code, response.text[:300]))


def database_ids(data_dir):
    def ids(db, query):
        with sqlite3.connect(data_dir / f"{db}.db") as conn:
            return {row[0] for row in conn.execute(query)}
    return (ids("members", "SELECT id FROM members"),
            ids("members", "SELECT id FROM members WHERE stage IN ('probationary', 'full') AND status = 'active'"),
            ids("orgs", "SELECT member_id FROM member_roster"),
            ids("dues", "SELECT member_id FROM dues_accounts"))


def demo_branch(url, admin):
    branches = requests.get(f"{url}/api/v1/orgs", params={"kind": "branch", "limit": "100"}, headers=admin,
                            timeout=10).json()["items"]
    return next(b["id"] for b in branches if b["name"] == DEMO_BRANCH)


def test_kill_9_during_a_registration_load_loses_nothing(tmp_path):
    data_dir, port = tmp_path / "data", free_port()
    created, failures = [], []
    rng = random.Random(7)
    for round_ in range(KILLS + 1):
        proc = start_embedded(data_dir, port)
        try:
            url = wait_for_url(proc, timeout=180)
            wait_ready(url)
            admin = sign_in(url, "district-admin")
            branch_id = demo_branch(url, admin)
            if round_ == KILLS:
                break
            stop = threading.Event()
            load = threading.Thread(target=register_until_stopped,
                                    args=(url, admin, branch_id, stop, created, failures))
            load.start()
            time.sleep(rng.uniform(1.5, 4.0))
            kill_hard(proc)
            stop.set()
            load.join(timeout=30)
        except BaseException:
            kill_hard(proc)
            raise
    try:
        members, party_members, roster, accounts = database_ids(data_dir)
        deadline = time.monotonic() + 60
        while (members - roster or party_members - accounts) and time.monotonic() < deadline:
            time.sleep(0.5)  # the redelivered events are still being applied
            members, party_members, roster, accounts = database_ids(data_dir)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=60)
    assert not failures, failures[:5]
    assert len(created) > 20, "the load registered too few members to prove anything"
    assert set(created) <= members, "a registration answered 201 was lost"
    assert members - roster == set(), "members missing from the orgs roster"
    assert party_members - accounts == set(), "party members without a dues account"


def test_a_first_start_killed_while_the_demo_loads_starts_over_and_finishes(tmp_path):
    clean, interrupted = tmp_path / "clean", tmp_path / "interrupted"

    def demo_counts(data_dir):
        proc = start_embedded(data_dir, free_port())
        try:
            url = wait_for_url(proc, timeout=180)
            wait_ready(url)
            with sqlite3.connect(data_dir / "orgs.db") as orgs, sqlite3.connect(data_dir / "members.db") as members:
                return (orgs.execute("SELECT count(*) FROM org_tree").fetchone()[0],
                        members.execute("SELECT count(*) FROM members").fetchone()[0])
        finally:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=60)

    port = free_port()
    proc = start_embedded(interrupted, port)
    try:
        starting = wait_for_health(f"http://127.0.0.1:{port}")  # the services are up, the demo loading
        assert starting.status_code == 503 and starting.json()["status"] == "starting", starting.text
        time.sleep(3)
    finally:
        kill_hard(proc)
    assert (interrupted / ".demo-loading").exists() and not (interrupted / ".demo-loaded").exists()
    assert demo_counts(interrupted) == demo_counts(clean)
