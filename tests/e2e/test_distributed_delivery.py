"""Nothing lost, nothing misapplied, run distributed as a platform team runs
it: two members replicas whose relays publish at once (a member's events
reach dues and orgs in any order), and processes killed with kill -9 under
a registration load. On RabbitMQ and PostgreSQL."""
import datetime as dt
import itertools
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from services.demo_members import id_number

from .conftest import auth_headers, drop_vhost, make_vhost, start_cluster

ADMIN = auth_headers(subject="e2e-delivery")
MEMBERS = 120
_sequence = itertools.count(1)


@pytest.fixture(scope="module")
def replicated(tmp_path_factory):
    vhost = make_vhost()
    cluster = start_cluster(vhost, tmp_path_factory.mktemp("delivery-logs"), replicas={"members": 2})
    try:
        yield cluster
    finally:
        cluster.stop()
        drop_vhost(vhost)


def call(cluster, method, path, key=None, **kwargs):
    headers = {**ADMIN, **({"Idempotency-Key": key} if key else {})}
    return requests.request(method, f"{cluster.base_url}{path}", headers=headers, timeout=30, **kwargs)


def branch_of(cluster, name):
    committee = call(cluster, "POST", "/api/v1/orgs", json={"name": f"{name}党工委", "kind": "committee"})
    assert committee.status_code == 201, committee.text
    branch = call(cluster, "POST", "/api/v1/orgs", json={
        "name": f"{name}党支部", "kind": "branch", "parent_id": committee.json()["id"],
        "unit": {"name": f"{name}有限公司", "unit_type": "enterprise"}, "full_members": 5})
    assert branch.status_code == 201, branch.text
    branch_id = branch.json()["id"]
    deadline = time.monotonic() + 30
    while call(cluster, "GET", f"/api/v1/orgs/{branch_id}/members").status_code == 404:
        assert time.monotonic() < deadline, "members never learnt of the branch"
        time.sleep(0.1)
    return branch_id


def probationary(branch_id, n):
    """Admitted at a meeting one to six months ago: dues are owed from its month."""
    admitted = dt.date.today().replace(day=10) - dt.timedelta(days=30 * (1 + n % 6))
    birth = dt.date(1970, 1, 1) + dt.timedelta(days=n % 7000)
    return {"name": f"成员{n}", "gender": "male", "birth_date": birth.isoformat(), "ethnicity": "汉族",
            "education": "大学本科", "id_number": id_number("320506", birth, 2 * (n % 499) + 1),
            "phone": "13962345678", "employer": "纳米科技有限公司", "org_id": branch_id, "stage": "probationary",
            "applied_on": (admitted - dt.timedelta(days=700)).isoformat(),
            "activist_on": (admitted - dt.timedelta(days=600)).isoformat(),
            "candidate_on": (admitted - dt.timedelta(days=200)).isoformat(), "admitted_on": admitted.isoformat()}


def converged(cluster, member_ids, timeout=120):
    """Until dues and orgs have applied every member's latest version; the
    members' {id: (version, admitted month)}."""
    deadline = time.monotonic() + timeout
    while True:
        members = {row.id: (row.version, row.admitted_on.strftime("%Y-%m"))
                   for row in cluster.query("members", "SELECT id, version, admitted_on FROM members")}
        dues = dict(cluster.query("dues", "SELECT aggregate_id, version FROM consumer_positions "
                                          "WHERE consumer = 'dues.member_accounts'"))
        roster = dict(cluster.query("orgs", "SELECT member_id, version FROM member_roster"))
        behind = [m for m in member_ids if dues.get(m) != members[m][0] or roster.get(m) != members[m][0]]
        if not behind:
            return members
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(behind)} members not applied at their latest version, e.g. {behind[:3]}")
        time.sleep(0.5)


def owes_from(cluster):
    from services.dues.ledger import month_text
    return {row.member_id: month_text(row.owes_from)
            for row in cluster.query("dues", "SELECT member_id, owes_from FROM dues_accounts")}


def test_two_relays_at_once_still_open_every_account_from_the_admission_month(replicated):
    branch_id = branch_of(replicated, "乱序")

    def register_and_patch(n):
        response = call(replicated, "POST", "/api/v1/members", key=f"order-{n}", json=probationary(branch_id, n))
        assert response.status_code == 201, response.text
        member_id = response.json()["id"]
        for employer in ("纳米一厂", "纳米二厂", "纳米三厂"):
            patched = call(replicated, "PATCH", f"/api/v1/members/{member_id}", json={"employer": employer})
            assert patched.status_code == 200, patched.text
        return member_id

    with ThreadPoolExecutor(8) as pool:
        member_ids = list(pool.map(register_and_patch, range(1, MEMBERS + 1)))
    members = converged(replicated, member_ids)
    assert {members[m][0] for m in member_ids} == {4}  # registered, then patched three times
    accounts = owes_from(replicated)
    wrong = {m: (accounts.get(m), members[m][1]) for m in member_ids if accounts.get(m) != members[m][1]}
    assert wrong == {}, f"accounts not opened from the admission month: {list(wrong.items())[:5]}"


def test_kill_9_of_a_members_replica_and_of_dues_under_load_loses_nothing(replicated):
    branch_id = branch_of(replicated, "宕机")
    stop, answers, lock = threading.Event(), {}, threading.Lock()

    def register_with_retries():
        """Each registration under its own key, sent again (same key, same
        body) until it is answered: a 201 the first time or on a retry."""
        while not stop.is_set():
            n = next(_sequence) + 10_000
            body, key = probationary(branch_id, n), f"crash-{n}"
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    response = call(replicated, "POST", "/api/v1/members", key=key, json=body)
                except requests.RequestException:
                    time.sleep(0.2)
                    continue
                if response.status_code not in (502, 503, 504):
                    break
                time.sleep(0.2)
            with lock:
                answers.setdefault(key, []).append((response.status_code, response.json().get("id")))

    clients = [threading.Thread(target=register_with_retries) for _ in range(4)]
    for client in clients:
        client.start()
    rng = random.Random(11)
    try:
        for victim in ("members-1", "dues-1", "members-2", "dues-1", "members-1"):
            time.sleep(rng.uniform(2.0, 4.0))
            replicated.kill(victim)
            time.sleep(1.0)
            service, replica = victim.rsplit("-", 1)
            replicated.start(service, int(replica))
        time.sleep(2.0)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=180)
    replicated.wait_until_healthy()
    statuses = {status for replies in answers.values() for status, _ in replies}
    assert statuses == {201}, f"answers other than 201: {statuses}"
    created = [member_id for replies in answers.values() for _, member_id in replies]
    assert len(created) > 40, "the load registered too few members to prove anything"
    members = converged(replicated, created)
    assert set(created) <= set(members), "a registration answered 201 was lost"
    accounts = owes_from(replicated)
    assert [m for m in created if accounts.get(m) != members[m][1]] == []
