"""What users of the bus care about: nothing lost, nothing doubled, a bad
message never blocks the good ones. Real RabbitMQ and PostgreSQL."""
import time
import uuid

import eventlet
from nameko.standalone.rpc import ServiceRpcProxy

from shared.errors import Conflict
from shared.store import UnitOfWork

from .conftest import (drain_dead_letters, provider, publish_raw, rabbitmqctl, thing_event,
                       wait_for)
from .ktest_services import CONSUMER, Thing, read_seen


def test_an_event_is_published_and_projected_once(running, kernel_config):
    thing_id = str(uuid.uuid4())
    with ServiceRpcProxy("ktest", kernel_config) as ktest:
        assert ktest.name_thing(thing_id, "第一支部") == 1
    db = provider(running["kconsumer"]).db
    row = wait_for(lambda: read_seen(db, thing_id), what="the consumer's projection")
    assert (row.name, row.effects) == ("第一支部", 1)
    assert provider(running["ktest"]).relay.backlog() == 0


def test_event_committed_while_broker_is_down_is_published_when_it_is_back(running):
    producer = provider(running["ktest"])
    consumer_db = provider(running["kconsumer"]).db
    thing_id = str(uuid.uuid4())
    rabbitmqctl("stop_app")
    try:
        thing = Thing(thing_id)
        thing.name_it("committed during the outage")
        with UnitOfWork(producer.db, producer.store, on_commit=producer.kick_relay) as uow:
            uow.save(thing)
        time.sleep(1.5)  # several relay sweeps fail while the broker is away
        assert producer.relay.backlog() == 1
    finally:
        rabbitmqctl("start_app")
        rabbitmqctl("await_startup")
    row = wait_for(lambda: read_seen(consumer_db, thing_id), timeout=90,
                   what="the event to be relayed and consumed after the broker came back")
    assert row.effects == 1
    assert producer.relay.backlog() == 0


def test_a_redelivered_event_has_one_effect(running, kernel_config):
    thing_id = str(uuid.uuid4())
    event = thing_event(thing_id, 1, "once")
    publish_raw(kernel_config["AMQP_URI"], [event, event, event])
    db = provider(running["kconsumer"]).db
    wait_for(lambda: read_seen(db, thing_id), what="the first delivery")
    time.sleep(1.0)  # let the duplicates arrive too
    assert read_seen(db, thing_id).effects == 1


def test_an_out_of_order_event_does_not_regress_the_projection(running, kernel_config):
    thing_id = str(uuid.uuid4())
    publish_raw(kernel_config["AMQP_URI"], [thing_event(thing_id, 2, "newer")])
    db = provider(running["kconsumer"]).db
    wait_for(lambda: read_seen(db, thing_id), what="version 2")
    publish_raw(kernel_config["AMQP_URI"], [thing_event(thing_id, 1, "older")])
    time.sleep(1.0)
    row = read_seen(db, thing_id)
    assert (row.name, row.effects) == ("newer", 1)


def test_poison_messages_are_dead_lettered_and_the_next_message_is_handled(running, kernel_config):
    uri = kernel_config["AMQP_URI"]
    good_id = str(uuid.uuid4())
    unknown_version = {**thing_event(str(uuid.uuid4()), 1, "x"), "event_version": 99}
    bad_payload = thing_event(str(uuid.uuid4()), 1, "x")
    bad_payload["payload"] = {"name": 12345}
    publish_raw(uri, ['{"not": "an envelope"}', "not json at all {", unknown_version, bad_payload,
                      thing_event(str(uuid.uuid4()), 1, "explode"),
                      thing_event(good_id, 1, "still handled")])
    db = provider(running["kconsumer"]).db
    assert wait_for(lambda: read_seen(db, good_id), what="the good message").name == "still handled"
    parked = drain_dead_letters(uri, CONSUMER, expected=5)
    reasons = sorted(m.headers["x-ejia-dead-letter-reason"] for m in parked)
    assert len(parked) == 5, reasons
    assert sum("invalid event" in r for r in reasons) == 3
    assert any("failed 3 times: RuntimeError" in r for r in reasons)


def test_concurrent_conflicting_commands_leave_a_contiguous_stream(running, kernel_config):
    thing_id = str(uuid.uuid4())
    with ServiceRpcProxy("ktest", kernel_config) as ktest:
        ktest.name_thing(thing_id, "v1")

    def attempt(i):
        with ServiceRpcProxy("ktest", kernel_config) as ktest:
            try:
                return ktest.name_thing(thing_id, f"name {i}", pause=1.0)
            except Conflict:
                return "conflict"

    pool = eventlet.GreenPool(20)
    outcomes = list(pool.imap(attempt, range(20)))
    winners = sorted(o for o in outcomes if o != "conflict")
    # Commands that read the same version: one wins, the others are refused
    # (a command that starts after a win reads the new version, on a loaded
    # machine, and may win the next one): never two writes of one version.
    assert winners == list(range(2, 2 + len(winners))), outcomes
    assert outcomes.count("conflict") == 20 - len(winners) >= 15, outcomes
    producer = provider(running["ktest"])
    with producer.db.connect() as conn:
        versions = [e.aggregate_version for e in producer.store.load_stream(conn, thing_id)]
    assert versions == list(range(1, 2 + len(winners)))
