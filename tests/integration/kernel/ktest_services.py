"""Two tiny services that exercise the kernel on a real broker and database:
``ktest`` publishes ``ktest.thing_named`` events, ``kconsumer`` projects them."""
import eventlet
from marshmallow import fields
from sqlalchemy import Column, Integer, MetaData, String, Table, select
from sqlalchemy.dialects.postgresql import insert

from shared.aggregate import Aggregate, when
from shared.catalog import catalog
from shared.event import Event
from shared.inbox import advance_version
from shared.nameko_adapter import EventSourcing, domain_rpc, event_consumer



class ThingNamed(Event):
    """A test thing was given a name."""
    event_type = "ktest.thing_named"
    name = fields.String(required=True)


if not catalog.knows(ThingNamed.event_type):  # imported as __main__ and as a module
    catalog.register(ThingNamed)


class Thing(Aggregate):
    aggregate_type = "thing"

    def name_it(self, name):
        self.record(ThingNamed(name=name))

    @when(ThingNamed)
    def when_thing_named(self, payload):
        self.name = payload["name"]


class ProducerService:
    name = "ktest"
    kernel = EventSourcing("ktest", sweep_interval=0.2)

    @domain_rpc
    def name_thing(self, thing_id, name, pause=0.0):
        with self.kernel.unit_of_work() as uow:
            thing = uow.find(Thing, thing_id) or Thing(thing_id)
            eventlet.sleep(pause)  # a slow command, so that concurrent ones overlap
            thing.name_it(name)
            uow.save(thing)
            return thing.version


effects = MetaData()
seen = Table("things_seen", effects,
             Column("thing_id", String(64), primary_key=True),
             Column("name", String(100), nullable=False),
             Column("effects", Integer, nullable=False))

CONSUMER = "kconsumer.on_thing_named"


def apply_thing_named(conn, envelope):
    if not advance_version(conn, "things_seen", envelope.aggregate_id, envelope.aggregate_version):
        return
    statement = insert(seen).values(thing_id=envelope.aggregate_id, name=envelope.payload["name"],
                                    effects=1)
    conn.execute(statement.on_conflict_do_update(
        index_elements=["thing_id"],
        set_={"name": statement.excluded.name, "effects": seen.c.effects + 1}))


class ConsumerService:
    name = "kconsumer"
    kernel = EventSourcing("kconsumer", metadatas=[effects])

    @event_consumer("ktest", "ktest.thing_named")
    def on_thing_named(self, envelope):
        if envelope.payload["name"] == "explode":
            raise RuntimeError("this handler always fails on 'explode'")
        self.kernel.handle_once(CONSUMER, envelope, apply_thing_named)


def read_seen(db, thing_id):
    with db.connect() as conn:
        return conn.execute(select(seen).where(seen.c.thing_id == thing_id)).first()
