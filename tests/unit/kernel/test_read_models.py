"""Declared read models (shared/readmodel.py): rebuilt from the events when
their version changes, equal to what live feeding produces."""
import io

from sqlalchemy import select

from shared.readmodel import ProgressBar, read_model_versions, rebuild

from .read_model_scenario import EXPECTED_V2, Service, balances_model, check_rebuild_equals_fresh_feeding, history


def test_a_version_bump_rebuilds_the_table_from_the_events_as_live_feeding_would(tmp_path):
    check_rebuild_equals_fresh_feeding(f"sqlite:///{tmp_path / 'old.db'}", f"sqlite:///{tmp_path / 'fresh.db'}")


def test_the_database_records_the_version_and_how_many_events_built_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'unit.db'}"
    Service(url, balances_model(1)).stop()
    service = Service(url, balances_model(1))
    history(service)
    service.stop()
    service = Service(url, balances_model(2))
    with service.db.connect() as conn:
        row = conn.execute(select(read_model_versions)).one()
    assert (row.name, row.version, row.events_replayed) == ("balances", 2, 10)
    service.stop()


def test_a_rebuild_on_demand_replays_every_event_and_shows_progress(tmp_path):
    service = Service(f"sqlite:///{tmp_path / 'unit.db'}", balances_model(2))
    history(service)
    with service.db.begin() as conn:  # a read model damaged by hand
        conn.execute(service.model.tables[0].delete())
    out = io.StringIO()
    out.isatty = lambda: True
    replayed = rebuild(service.db, service.store, service.model,
                       progress=ProgressBar("rebuilding balances", 10, stream=out))
    assert replayed == 10 and service.rows() == EXPECTED_V2
    assert "10/10" in out.getvalue() and "10 events in" in out.getvalue()
    service.stop()
