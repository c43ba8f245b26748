"""Read models fed by another service's events (shared/readmodel.py ``feed``):
one way in, through the inbox, under the name the declaration gives."""
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select

from shared.database import Database
from shared.envelope import Envelope
from shared.inbox import Inbox
from shared.readmodel import ReadModel, ensure, feed, read_model_versions, rebuild
from shared.store import EventStore
from shared.catalog import catalog
from shared.catalog.orgs import OrgCreated, OrgRenamed
from shared.tables import inbox

metadata = MetaData()
names = Table("names", metadata, Column("org_id", String(64), primary_key=True), Column("name", String(200)),
              Column("version", Integer))


def _name(conn, e):
    conn.execute(names.insert().prefix_with("OR REPLACE"), {"org_id": e.aggregate_id, "name": e.payload["name"],
                                                           "version": e.aggregate_version})


NAMES = ReadModel("org_names", [names], source="orgs", handlers={OrgCreated: _name, OrgRenamed: _name})


def created(org_id="o-1", name="Lake Committee", version=1):
    return Envelope("orgs.org_created", 1, "organisation", org_id, version,
                    {"name": name, "kind": "committee", "parent_id": None, "created_on": "2026-12-01"})


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'fed.db'}")
    ensure(database, EventStore("unit", catalog), [NAMES])
    yield database
    database.dispose()


def test_a_fed_read_model_is_made_empty_at_start_up_and_its_version_recorded(db):
    with db.connect() as conn:
        assert conn.execute(select(names)).all() == []
        assert conn.execute(select(read_model_versions.c.name, read_model_versions.c.version)).all() == \
            [("org_names", 1)]


def test_each_event_is_applied_once_under_the_declared_consumer_name(db):
    event = created()
    assert feed(Inbox(db), "members", NAMES, event) is True
    assert feed(Inbox(db), "members", NAMES, event) is False  # redelivered: no second effect
    with db.connect() as conn:
        assert conn.execute(select(names.c.name)).scalars().all() == ["Lake Committee"]
        assert conn.execute(select(inbox.c.consumer)).scalars().all() == ["members.org_names"]


def test_an_event_without_a_handler_is_skipped_and_one_from_elsewhere_refused(db):
    dissolved = Envelope("orgs.org_dissolved", 1, "organisation", "o-1", 2, {"dissolved_on": "2026-12-01"})
    assert feed(Inbox(db), "members", NAMES, dissolved) is False
    with db.connect() as conn:
        assert conn.execute(select(inbox)).all() == []
    with pytest.raises(ValueError, match="org_names is not fed by members.member_registered"):
        feed(Inbox(db), "members", NAMES, Envelope("members.member_registered", 1, "member", "m-1", 1, {}))


def test_a_fed_read_model_cannot_be_rebuilt_from_this_service_s_own_store(db):
    with pytest.raises(NotImplementedError, match="needs a replay of orgs's events"):
        rebuild(db, EventStore("unit", catalog), NAMES)


def test_the_platform_s_fed_read_models_name_their_consumers_from_the_declaration():
    from services.members.org_replica import KNOWN_ORGS
    from services.orgs.member_replica import ROSTER
    assert (KNOWN_ORGS.consumer_name("members"), KNOWN_ORGS.source) == ("members.known_orgs", "orgs")
    assert (ROSTER.consumer_name("orgs"), ROSTER.source) == ("orgs.member_roster", "members")
    member_types = {cls.event_type for cls in catalog if cls.event_type.startswith("members.")
                    and "org_id" in cls.payload_fields}
    assert set(ROSTER.by_type) == member_types  # every event that says where the member is


guarded_names = Table("guarded_names", metadata, Column("org_id", String(64), primary_key=True),
                      Column("name", String(200)), Column("version", Integer))


def _guarded_name(conn, e):
    """The row's version is the guard: an event at or below it changes nothing."""
    conn.execute(guarded_names.insert().prefix_with("OR IGNORE"), {"org_id": e.aggregate_id, "name": None,
                                                                  "version": 0})
    conn.execute(guarded_names.update().where(guarded_names.c.org_id == e.aggregate_id,
                                              guarded_names.c.version < e.aggregate_version),
                 {"name": e.payload["name"], "version": e.aggregate_version})


GUARDED = ReadModel("guarded_names", [guarded_names], source="orgs", guarded=True,
                    handlers={OrgCreated: _guarded_name, OrgRenamed: _guarded_name})


def test_a_guarded_read_model_is_fed_without_the_inbox_and_its_guard_keeps_redeliveries_out(db):
    ensure(db, EventStore("unit", catalog), [GUARDED])
    renamed = Envelope("orgs.org_renamed", 1, "organisation", "o-1", 2, {"name": "Lake Works Committee",
                                                                          "renamed_on": "2026-12-02"})
    for event in (created(), renamed, created()):  # the creation redelivered after the rename
        assert feed(Inbox(db), "members", GUARDED, event) is True
    with db.connect() as conn:
        assert conn.execute(select(guarded_names.c.name, guarded_names.c.version)).all() == \
            [("Lake Works Committee", 2)]
        assert conn.execute(select(inbox)).all() == []
