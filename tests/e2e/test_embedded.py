"""`make run` as a newcomer sees it: one process, demo data (organisations,
a few hundred members, their dues), the URL printed, and how to get an admin
token."""
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import requests

from .conftest import ROOT, free_port


def start_embedded(data_dir: Path, port: int):
    return subprocess.Popen([sys.executable, "-m", "services.embedded", "--data-dir", str(data_dir),
                             "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True)


def wait_for_url(proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if "running at" in line:
            return line.split("running at", 1)[1].split()[0]
        if proc.poll() is not None:
            raise AssertionError(f"embedded platform exited with {proc.returncode}")
    raise AssertionError(f"no URL printed within {timeout}s")


def stop(proc):
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=30) == 0


def demo_root(url):
    roots = requests.get(f"{url}/api/v1/orgs", params={"kind": "committee"}, timeout=10).json()["items"]
    return next(org for org in roots if org["parent_id"] is None)


def check_demo_members(url, data_dir):
    branches = requests.get(f"{url}/api/v1/orgs", params={"kind": "branch", "limit": "50"}, timeout=10).json()
    stages, total = set(), 0
    for branch in branches["items"]:
        page = requests.get(f"{url}/api/v1/orgs/{branch['id']}/members", params={"limit": "200"},
                            timeout=10).json()
        total += page["total"]
        stages |= {m["stage"] for m in page["items"]}
    assert total >= 200
    assert stages == {"applicant", "activist", "candidate", "probationary", "full"}
    member = page["items"][0]
    assert member["personal_revealed"] is False and "*" in member["id_number"]
    token = subprocess.run([sys.executable, "-m", "services.embedded", "--print-admin-token",
                            "--data-dir", str(data_dir)], cwd=ROOT, capture_output=True, text=True,
                           timeout=60, check=True).stdout.strip()
    revealed = requests.get(f"{url}/api/v1/members/{member['id']}",
                            headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    assert revealed["personal_revealed"] is True and "*" not in revealed["id_number"]
    assert revealed["id_number"][-4:] == member["id_number"][-4:]
    assert oct((data_dir / "jwt-secret").stat().st_mode & 0o777) == "0o600"


def check_demo_dues(url, root):
    """The district's collection report: most accounts paid up, some behind."""
    report = requests.get(f"{url}/api/v1/orgs/{root['id']}/dues-report",
                          params={"year": dt.date.today().year}, timeout=30).json()
    totals = report["totals"]
    assert report["scope"] == "subtree" and totals["members"] >= 100
    assert Decimal(totals["collected"]) > Decimal(totals["outstanding"]) > 0
    assert Decimal(totals["owed"]) == Decimal(totals["collected"]) + Decimal(totals["outstanding"])
    assert all(Decimal(branch["collected"]) > 0 for branch in report["branches"] if branch["members"])


def test_make_run_serves_demo_data_and_keeps_it_across_restarts(tmp_path):
    port = free_port()
    started = time.monotonic()
    proc = start_embedded(tmp_path, port)
    try:
        url = wait_for_url(proc)
        assert time.monotonic() - started < 60
        root = demo_root(url)
        tree = requests.get(f"{url}/api/v1/orgs/{root['id']}/tree", timeout=10).json()
        kinds = set()
        stack = [tree]
        while stack:
            node = stack.pop()
            kinds.add(node["kind"])
            stack.extend(node["children"])
        assert {"committee", "general_branch", "branch", "group"} <= kinds
        assert requests.get(f"{url}/docs", timeout=10).status_code == 200
        assert "--print-admin-token" in proc.stdout.readline()
        check_demo_members(url, tmp_path)
        check_demo_dues(url, root)
    finally:
        stop(proc)

    proc = start_embedded(tmp_path, port)
    try:
        url = wait_for_url(proc)
        again = demo_root(url)
        assert again["id"] == root["id"]  # same data, no second demo load
        roots = requests.get(f"{url}/api/v1/orgs", params={"kind": "committee"}, timeout=10).json()
        assert sum(org["parent_id"] is None for org in roots["items"]) == 1
    finally:
        stop(proc)
