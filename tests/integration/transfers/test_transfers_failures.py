"""Failures in the middle of a transfer saga, on a real broker and database:
the members service killed while it completes a transfer (the completion's
transaction open, the reported_in message unacked), and killed after the
report-in was committed but before the outbox could reach the broker. Either way a fresh start finishes the
saga with no step done twice, and the member belongs to exactly one branch
at every moment (watched throughout, in both services' read models)."""
import threading
import time
from unittest import mock

import eventlet
import pytest
from sqlalchemy import select

from services.members.transfers import commands as transfer_commands
from services.members.projections import members as members_table
from services.members.transfers.saga import COMPLETION_CONSUMER
from services.orgs.member_replica import member_roster
from shared.bus import PublishFailed
from shared.tables import inbox
from transfers_it_helpers import (event_counts, found_committees, full_member, request_body, transfer_state,
                                  wait_for)

ONCE = {"transfers.requested": 1, "transfers.approved": 1, "transfers.letter_issued": 1, "transfers.accepted": 1,
        "transfers.reported_in": 1, "transfers.completed": 1}
MEMBER_ONCE = {"members.member_registered": 1, "members.transfer_opened": 1, "members.transfer_completed": 1}

pytestmark = pytest.mark.integration


class BranchWatch:
    """Polls where the member belongs, in the members read model and in orgs'
    roster, every few milliseconds for the whole test."""

    def __init__(self, members_db, orgs_db, member_id):
        self.members_db, self.orgs_db, self.member_id = members_db, orgs_db, member_id
        self.seen: list[tuple] = []
        self._stop = False
        self._thread = eventlet.spawn(self._run)

    def _run(self):
        while not self._stop:
            with self.members_db.connect() as conn:
                own = conn.execute(select(members_table.c.org_id).where(
                    members_table.c.id == self.member_id)).scalars().all()
            with self.orgs_db.connect() as conn:
                roster = conn.execute(select(member_roster.c.org_id).where(
                    member_roster.c.member_id == self.member_id)).scalars().all()
            self.seen.append((tuple(own), tuple(roster)))
            eventlet.sleep(0.005)

    def stop(self):
        self._stop = True
        self._thread.wait()

    def assert_one_branch_flipping_once(self, sending, receiving):
        assert len(self.seen) > 50, "the watch ran throughout"
        for own, roster in self.seen:
            assert len(own) == 1 and own[0] in (sending, receiving), own
            assert len(roster) <= 1 and set(roster) <= {sending, receiving}, roster
        for column in (0, 1):
            path = [row[column][0] for row in self.seen if row[column]]
            flips = sum(1 for a, b in zip(path, path[1:]) if a != b)
            assert path[0] == sending and path[-1] == receiving and flips == 1, path


def prepare(orgs, members, members_db, orgs_db, seq):
    tree = found_committees(orgs, members, committees=2, branches=1)
    (sending,), (receiving,) = tree.values()
    member_id = members.register_member(full_member(seq, sending["id"]))["id"]
    wait_for(lambda: _in_roster(orgs_db, member_id), what="orgs' roster to know the member")
    watch = BranchWatch(members_db, orgs_db, member_id)
    transfer_id = members.request_transfer(request_body(member_id, receiving["id"]))["id"]
    for action in ("approve", "issue-letter", "accept"):
        members.transfer_step(transfer_id, action, {})
    return sending["id"], receiving["id"], member_id, transfer_id, watch


def _in_roster(orgs_db, member_id):
    with orgs_db.connect() as conn:
        return conn.execute(select(member_roster.c.org_id).where(member_roster.c.member_id == member_id)).first()


def finish_and_check(members, members_db, orgs_db, sending, receiving, member_id, transfer_id, watch):
    wait_for(lambda: transfer_state(members_db, transfer_id) == "completed", timeout=60,
             what="the saga to complete after the restart")
    wait_for(lambda: _in_roster(orgs_db, member_id) == (receiving,), timeout=30, what="orgs' roster to follow")
    time.sleep(0.5)  # any duplicate would have landed by now
    watch.stop()
    assert event_counts(members_db, transfer_id) == ONCE
    assert event_counts(members_db, member_id) == MEMBER_ONCE
    assert members.get_member(member_id)["org_id"] == receiving
    watch.assert_one_branch_flipping_once(sending, receiving)
    with members_db.connect() as conn:  # the reported_in event was handled, once, by the fresh service
        handled = conn.execute(select(inbox.c.event_id).where(inbox.c.consumer == COMPLETION_CONSUMER)).all()
    assert len(handled) == 1


def test_members_killed_while_completing_a_transfer(orgs, members, containers, start_members, members_db,
                                                    orgs_db):
    sending, receiving, member_id, transfer_id, watch = prepare(orgs, members, members_db, orgs_db, seq=11)
    entered, original = threading.Event(), transfer_commands.complete_reported_in

    def stuck(uow, *args, **kwargs):
        entered.set()  # the inbox record is written, the completion's transaction is open
        eventlet.sleep(3600)

    with mock.patch.object(transfer_commands, "complete_reported_in", side_effect=stuck):
        assert members.transfer_step(transfer_id, "report-in", {})["state"] == "reported_in"
        wait_for(entered.is_set, what="the completion step to start")
        containers["members"].kill()
    assert transfer_commands.complete_reported_in is original
    assert transfer_state(members_db, transfer_id) == "reported_in"
    assert event_counts(members_db, member_id)["members.transfer_opened"] == 1

    start_members()  # a fresh service on the same vhost and database
    finish_and_check(members, members_db, orgs_db, sending, receiving, member_id, transfer_id, watch)


def test_members_killed_before_the_report_in_left_the_outbox(orgs, members, containers, start_members,
                                                           members_db, orgs_db):
    """The report-in commits while the outbox relay cannot reach the broker
    (its publishing fails as in an outage), and the service dies before it
    ever could: the event is not lost, the fresh service relays and
    completes it."""
    sending, receiving, member_id, transfer_id, watch = prepare(orgs, members, members_db, orgs_db, seq=12)
    kernel = next(d for d in containers["members"].dependencies if d.attr_name == "kernel")
    outage = PublishFailed("broker unreachable (simulated outage)")
    with mock.patch.object(kernel.relay, "publish_pending", side_effect=outage):
        assert members.transfer_step(transfer_id, "report-in", {})["state"] == "reported_in"
        time.sleep(0.5)  # the relay tries (and fails) after the commit
        assert kernel.relay.backlog() >= 1, "the reported_in event waits in the outbox"
        containers["members"].kill()
    assert transfer_state(members_db, transfer_id) == "reported_in"
    start_members()
    finish_and_check(members, members_db, orgs_db, sending, receiving, member_id, transfer_id, watch)
    assert kernel.relay.backlog() == 0
