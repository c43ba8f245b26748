import pytest
from argon2 import PasswordHasher

from services.identity import commands, credentials, projections, tables

from identity_helpers import PASSWORD
from unit.unit_kernel import kernel_fixtures


FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    """Cheap argon2 parameters, so that the throttling tests run in a blink
    (``real_hashing`` puts the service's defaults back)."""
    monkeypatch.setattr(credentials, "hasher", FAST_HASHER)
    monkeypatch.setattr(credentials, "_dummy_hash", None)


@pytest.fixture
def real_hashing(monkeypatch):
    monkeypatch.setattr(credentials, "hasher", PasswordHasher())
    monkeypatch.setattr(credentials, "_dummy_hash", None)


db, store, uow, run, read = kernel_fixtures("identity", [tables.metadata], [projections.project])


@pytest.fixture
def settings():
    return commands.Settings()


@pytest.fixture
def staff(run):
    """A staff account ``wang.fang`` (org_admin of org-1) with PASSWORD."""
    run(commands.create_account, username="wang.fang", display_name="Wang Fang", password=PASSWORD,
        kind="staff", roles=[{"role": "org_admin", "org_id": "org-1"}])
    return "wang.fang"
