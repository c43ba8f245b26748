"""100 transfers run concurrently between random branches of three
committees, and some members asked to move twice at the same moment (one of
the two requests wins, the other is refused with a Conflict): in the end
every member belongs to exactly one branch, in the members service and in
orgs' roster, and every transfer is final or clearly pending (accepted,
waiting for the member to report in: the member's one open transfer)."""
import random
from collections import Counter

import eventlet
import pytest
from eventlet.queue import Queue
from nameko.exceptions import UnknownService
from sqlalchemy import func, select

from services.members.projections import members as members_table
from services.members.transfers.projections import transfers as transfers_table
from services.orgs.member_replica import member_roster
from shared.contracts.transfers import FINAL_TRANSFER_STATES
from shared.errors import Conflict
from shared.tables import events
from transfers_it_helpers import found_committees, full_member, request_body, rpc_proxy, wait_for

MEMBERS = 100
DOUBLE_REQUESTS = 15
CONCURRENCY = 20
OUTCOMES = ("completed",) * 7 + ("withdrawn", "rejected", "accepted")
"""How a transfer ends: mostly completed; some withdrawn by the member, some
rejected by the receiving side, some left waiting for the report-in."""
STEPS = {"completed": ("approve", "issue-letter", "accept", "report-in"),
         "withdrawn": ("approve", "withdraw"),
         "rejected": ("approve", "issue-letter", "reject"),
         "accepted": ("approve", "issue-letter", "accept")}
BODIES = {"reject": {"reason": "接收单位不符合条件"}, "withdraw": {"reason": "工作变动取消"}}

pytestmark = pytest.mark.integration


@pytest.fixture
def proxies(containers, transfers_config):
    """A pool of RPC proxies, one per concurrent caller."""
    pool, started = Queue(), []
    for _ in range(CONCURRENCY):
        proxy = rpc_proxy("members", transfers_config, timeout=60)
        started.append(proxy)
        pool.put(proxy.start())
    yield pool
    for proxy in started:
        proxy.stop()


def test_a_hundred_concurrent_transfers_leave_every_member_in_exactly_one_branch(
        orgs, members, proxies, members_db, orgs_db):
    rng = random.Random(20240301)
    tree = found_committees(orgs, members, committees=3, branches=2)
    branches = [b["id"] for bs in tree.values() for b in bs]

    def call(fn, attempts=3):
        """``fn`` on a pooled proxy. A call the broker returned undelivered
        (NO_ROUTE: the RPC queue's binding missing for a moment while its
        consumer reconnects under this load) had no effect: it is sent again,
        as the gateway's caller would after its 503."""
        proxy = proxies.get()
        try:
            for attempt in range(attempts):
                try:
                    return fn(proxy)
                except UnknownService:
                    if attempt == attempts - 1:
                        raise
                    eventlet.sleep(0.5)
        finally:
            proxies.put(proxy)

    pool = eventlet.GreenPool(CONCURRENCY)
    homes = {i: branches[i % len(branches)] for i in range(MEMBERS)}
    member_ids = dict(zip(homes, pool.imap(lambda i: call(
        lambda m: m.register_member(full_member(100 + i, homes[i]))["id"]), homes)))
    plans = []
    for i, member_id in member_ids.items():
        targets = [b for b in branches if b != homes[i]]
        plans.append({"member_id": member_id, "home": homes[i], "targets": rng.sample(targets, 2),
                      "double": i < DOUBLE_REQUESTS, "outcome": rng.choice(OUTCOMES)})

    def run(plan):
        def request(m):
            bodies = [request_body(plan["member_id"], to) for to in plan["targets"][:1 + plan["double"]]]
            calls = [m.request_transfer.call_async(body) for body in bodies]  # at the same moment
            won, refused = [], 0
            for pending in calls:
                try:
                    won.append(pending.result())
                except Conflict:
                    refused += 1
            return won, refused

        won, refused = call(request)
        plan["refused"] = refused
        assert len(won) == 1, (won, refused)
        plan["transfer_id"], plan["to"] = won[0]["id"], won[0]["to_org_id"]
        for action in STEPS[plan["outcome"]]:
            call(lambda m: m.transfer_step(plan["transfer_id"], action, BODIES.get(action, {})))
        return plan

    plans = list(pool.imap(run, plans))
    assert sum(p["refused"] for p in plans) == DOUBLE_REQUESTS, "every second request at once is refused"

    expected = {p["transfer_id"]: p["outcome"] for p in plans}

    def states():
        with members_db.connect() as conn:
            return dict(conn.execute(select(transfers_table.c.id, transfers_table.c.state)).all())

    wait_for(lambda: states() == expected, timeout=90, what="every saga to settle")
    assert all(s in FINAL_TRANSFER_STATES or s == "accepted" for s in states().values())

    home_now = {p["member_id"]: p["to"] if p["outcome"] == "completed" else p["home"] for p in plans}
    with members_db.connect() as conn:
        rows = conn.execute(select(members_table.c.id, members_table.c.org_id)).all()
        moves = dict(conn.execute(select(events.c.aggregate_id, func.count()).where(
            events.c.event_type == "members.transfer_completed").group_by(events.c.aggregate_id)).all())
        per_transfer = conn.execute(select(events.c.aggregate_id, events.c.event_type, func.count()).where(
            events.c.aggregate_type == "transfer").group_by(events.c.aggregate_id, events.c.event_type)).all()
        opened = Counter(conn.execute(select(events.c.aggregate_id).where(
            events.c.event_type == "members.transfer_opened")).scalars())
    assert len(rows) == MEMBERS and dict(rows) == home_now, "each member in exactly one branch, the right one"
    assert moves == {p["member_id"]: 1 for p in plans if p["outcome"] == "completed"}, "moved once, or never"
    assert all(count == 1 for _, _, count in per_transfer), "no step recorded twice"
    assert opened == Counter({p["member_id"]: 1 for p in plans}), "one transfer opened per member"

    listed = Counter()
    for branch in branches:
        page = members.list_members(branch, limit=200)
        listed.update(m["id"] for m in page["items"])
    assert listed == Counter(member_ids.values()), "every member listed in exactly one branch"

    for plan in plans:
        if plan["outcome"] == "accepted":  # clearly pending: the member's one open transfer
            with pytest.raises(Conflict):
                members.request_transfer(request_body(plan["member_id"], plan["targets"][1]))

    def roster():
        with orgs_db.connect() as conn:
            return dict(conn.execute(select(member_roster.c.member_id, member_roster.c.org_id)).all())

    wait_for(lambda: roster() == home_now, timeout=60, what="orgs' roster to agree")
