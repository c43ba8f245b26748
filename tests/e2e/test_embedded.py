"""`make run` as a newcomer sees it: one process, demo data (organisations,
a few hundred members, their dues), the URL printed, the demo accounts and
how to sign in with them; every request below is signed in as one of them."""
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


DEMO_PASSWORD = "ejia-demo"
DEMO_ACCOUNTS = ("district-admin", "secretary-demo", "member-demo")
DEMO_BRANCH = "纳米科技有限公司党支部"


def read_sign_in_help(proc, timeout=30):
    """The lines printed after the URL, up to the sign-in instructions."""
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if line.startswith("Sign in:") or proc.poll() is not None:
            return "".join(lines)
    raise AssertionError(f"no sign-in help printed within {timeout}s: {lines}")
    # (readline blocks: the deadline only holds while the platform prints or exits)


def sign_in(url, username, password=DEMO_PASSWORD):
    """Headers of a request signed in as ``username`` (POST /api/v1/auth/token)."""
    response = requests.post(f"{url}/api/v1/auth/token", json={"username": username, "password": password},
                             timeout=10)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["token_type"] == "bearer" and answer["access_token"] and answer["refresh_token"]
    return {"Authorization": f"Bearer {answer['access_token']}"}


def demo_root(url, admin):
    roots = requests.get(f"{url}/api/v1/orgs", params={"kind": "committee"}, headers=admin,
                         timeout=10).json()["items"]
    return next(org for org in roots if org["parent_id"] is None)


def check_demo_members(url, data_dir, admin):
    branches = requests.get(f"{url}/api/v1/orgs", params={"kind": "branch", "limit": "50"}, headers=admin,
                            timeout=10).json()
    stages, total = set(), 0
    for branch in branches["items"]:
        page = requests.get(f"{url}/api/v1/orgs/{branch['id']}/members", params={"limit": "200"},
                            headers=admin, timeout=10).json()
        total += page["total"]
        stages |= {m["stage"] for m in page["items"]}
    assert total >= 200
    assert stages == {"applicant", "activist", "candidate", "probationary", "full"}

    # the demo branch's secretary: org_admin of it, personal data of its members shown
    secretary = sign_in(url, "secretary-demo")
    me = requests.get(f"{url}/api/v1/me", headers=secretary, timeout=10).json()
    assert me["account"]["username"] == "secretary-demo" and me["member"] is None
    assert [role["role"] for role in me["roles"]] == ["org_admin"]
    branch_id = me["roles"][0]["org_id"]
    assert requests.get(f"{url}/api/v1/orgs/{branch_id}", headers=secretary, timeout=10).json()["name"] == \
        DEMO_BRANCH
    own = requests.get(f"{url}/api/v1/orgs/{branch_id}/members", params={"limit": "200"}, headers=secretary,
                       timeout=10).json()
    assert own["total"] > 0 and not any("id_number" in m for m in own["items"])  # lean rows
    member = requests.get(f"{url}{own['items'][0]['href']}", headers=secretary, timeout=10).json()
    assert member["personal_revealed"] is True and "*" not in member["id_number"]
    other = next(b for b in branches["items"] if b["id"] != branch_id)
    outside = requests.get(f"{url}/api/v1/orgs/{other['id']}/members", headers=secretary, timeout=10)
    assert outside.status_code == 403 and outside.json()["error"]["code"] == "forbidden"

    # the demo member: their own record, personal data shown; no one else's
    member_demo = sign_in(url, "member-demo")
    mine = requests.get(f"{url}/api/v1/me", headers=member_demo, timeout=10).json()["member"]
    assert mine is not None
    mine = mine.get("member", mine)
    assert mine["org_id"] == branch_id and mine["stage"] == "full"
    record = requests.get(f"{url}/api/v1/members/{mine['id']}", headers=member_demo, timeout=10).json()
    assert record["personal_revealed"] is True and "*" not in record["id_number"]
    someone_else = next(m for m in own["items"] if m["id"] != mine["id"])
    assert requests.get(f"{url}/api/v1/members/{someone_else['id']}", headers=member_demo,
                        timeout=10).status_code == 403

    # no token: nothing; a wrong password: no token
    anonymous = requests.get(f"{url}/api/v1/members/{member['id']}", timeout=10)
    assert anonymous.status_code == 401 and member["id_number"] not in anonymous.text
    wrong = requests.post(f"{url}/api/v1/auth/token", json={"username": "secretary-demo", "password": "wrong"},
                          timeout=10)
    assert wrong.status_code == 401 and "access_token" not in wrong.text

    revealed = requests.get(f"{url}/api/v1/members/{member['id']}", headers=admin, timeout=10).json()
    assert revealed["personal_revealed"] is True and revealed["id_number"] == member["id_number"]
    for secret in ("jwt-secret", "master-key"):
        assert oct((data_dir / secret).stat().st_mode & 0o777) == "0o600", secret


def check_demo_dues(url, root, admin):
    """The district's collection report: most accounts paid up, some behind."""
    report = requests.get(f"{url}/api/v1/orgs/{root['id']}/dues-report",
                          params={"year": dt.date.today().year}, headers=admin, timeout=30).json()
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
        printed = read_sign_in_help(proc)
        assert f"'{DEMO_PASSWORD}'" in printed and all(name in printed for name in DEMO_ACCOUNTS)
        assert "/api/v1/auth/token" in printed and "Authorization: Bearer" in printed
        admin = sign_in(url, "district-admin")
        root = demo_root(url, admin)
        tree = requests.get(f"{url}/api/v1/orgs/{root['id']}/tree", headers=admin, timeout=10).json()
        kinds = set()
        stack = [tree]
        while stack:
            node = stack.pop()
            kinds.add(node["kind"])
            stack.extend(node["children"])
        assert {"committee", "general_branch", "branch", "group"} <= kinds
        assert requests.get(f"{url}/docs", timeout=10).status_code == 200  # no token needed
        check_demo_members(url, tmp_path, admin)
        check_demo_dues(url, root, admin)
    finally:
        stop(proc)

    proc = start_embedded(tmp_path, port)
    try:
        url = wait_for_url(proc)
        printed = read_sign_in_help(proc)
        assert all(name in printed for name in DEMO_ACCOUNTS)  # printed on every start
        admin = sign_in(url, "district-admin")  # the same accounts, signed with the folder's same secret
        again = demo_root(url, admin)
        assert again["id"] == root["id"]  # same data, no second demo load
        roots = requests.get(f"{url}/api/v1/orgs", params={"kind": "committee"}, headers=admin,
                             timeout=10).json()
        assert sum(org["parent_id"] is None for org in roots["items"]) == 1
    finally:
        stop(proc)
