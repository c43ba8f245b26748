"""The read-model rebuild on PostgreSQL: the same story as the unit test
(tests/unit/kernel/read_model_scenario.py), on real databases."""
import threading

import pytest

from unit.kernel.read_model_scenario import Service, balances_model, check_rebuild_equals_fresh_feeding, history

pytestmark = pytest.mark.integration


def test_a_version_bump_rebuilds_the_table_from_the_events_as_live_feeding_would(pg_database_factory):
    check_rebuild_equals_fresh_feeding(pg_database_factory(), pg_database_factory())


def test_replicas_starting_together_rebuild_once(pg_database_factory):
    url = pg_database_factory()
    service = Service(url, balances_model(1))
    history(service)
    service.stop()
    started, errors = [], []

    def start():
        try:
            started.append(Service(url, balances_model(2)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(len(s.rebuilt) for s in started) == [0, 0, 1]
    assert started[0].rows() == started[1].rows() == started[2].rows()
    for s in started:
        s.stop()
