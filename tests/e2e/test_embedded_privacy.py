"""Personal data as an attacker with the disk and the logs would look for
it: after `make run` has loaded its demo members and been used, no plain ID
number or phone is in any file of the data folder (SQLite files, their WAL
and journals) or in what the process printed; erasing a member's personal
data leaves their history as it was and the data gone for good."""
import os
import signal
import stat
import subprocess
import sys

import requests

from .conftest import ROOT, free_port
from .test_embedded import sign_in, wait_for_url


def all_members(url, admin):
    """Every member's full record, found from the branches' lists (a list row
    holds no personal data: the record at its href does)."""
    branches = requests.get(f"{url}/api/v1/orgs", params={"kind": "branch", "limit": "50"}, headers=admin,
                            timeout=10).json()["items"]
    members = []
    for branch in branches:
        page = requests.get(f"{url}/api/v1/orgs/{branch['id']}/members", params={"limit": "200"},
                            headers=admin, timeout=10).json()
        members += [requests.get(url + row["href"], headers=admin, timeout=10).json() for row in page["items"]]
    return members


def test_no_plain_personal_data_on_disk_or_in_the_log_and_erasure_is_final(tmp_path):
    data_dir, log_path = tmp_path / "data", tmp_path / "embedded.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "services.embedded", "--data-dir", str(data_dir),
                                 "--port", str(free_port())], cwd=ROOT, stdout=subprocess.PIPE, stderr=log,
                                text=True, start_new_session=True)
        try:
            url = wait_for_url(proc, timeout=120)
            admin = sign_in(url, "district-admin")
            members = all_members(url, admin)
            assert len(members) >= 100 and all(m["personal_revealed"] for m in members)
            secrets = {m["id_number"] for m in members} | {m["phone"] for m in members}
            assert all(len(s) >= 11 for s in secrets)

            erased = members[0]
            before = requests.get(f"{url}/api/v1/members/{erased['id']}/history", params={"limit": 200},
                                  headers=admin, timeout=10).json()["items"]
            answer = requests.post(f"{url}/api/v1/members/{erased['id']}/erase-personal-data", headers=admin,
                                   json={"reason": "本人申请删除"}, timeout=10)
            assert answer.status_code == 200, answer.text
            after = requests.get(f"{url}/api/v1/members/{erased['id']}", headers=admin, timeout=10).json()
            assert after["personal_data_erased"] is True
            assert after["id_number"] is None and after["phone"] is None
            history = requests.get(f"{url}/api/v1/members/{erased['id']}/history", params={"limit": 200},
                                   headers=admin, timeout=10).json()["items"]
            assert history[:len(before)] == before
            assert [e["event_type"] for e in history[len(before):]] == ["members.personal_data_erased"]
            # A few requests that log: an unknown id with a line break in it, a refused sign-in.
            requests.get(f"{url}/api/v1/members/x%0aFORGED%20line", headers=admin, timeout=10)
            requests.post(f"{url}/api/v1/auth/token", json={"username": "x", "password": "wrong-one"}, timeout=10)
        finally:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=30)
        printed = proc.stdout.read()

    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    files = [path for path in data_dir.rglob("*") if path.is_file()]
    assert {path.suffix for path in files} >= {".db"}
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in files), \
        {path.name: oct(stat.S_IMODE(path.stat().st_mode)) for path in files}
    places = {path.name: path.read_bytes() for path in files}
    places["the log"] = log_path.read_bytes() + printed.encode()
    found = {(where, secret) for where, content in places.items() for secret in secrets
             if secret.encode() in content}
    assert not found, sorted(found)[:10]
    assert not any(line.startswith(b"FORGED") for line in places["the log"].splitlines())
