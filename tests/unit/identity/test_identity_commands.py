"""Account commands and queries against a SQLite event store and read model."""
import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from services.identity import commands, queries
from services.identity.credentials import credentials
from services.identity.projections import accounts
from shared.errors import Conflict, InvalidInput, NotFound, Unauthorized
from shared.tables import events, outbox

from identity_helpers import PASSWORD


def count(db, table):
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def all_text(db, *tables) -> str:
    with db.connect() as conn:
        return "\n".join(repr(tuple(row)) for table in tables for row in conn.execute(select(table)))


def test_create_account_writes_events_read_model_and_a_hashed_password(real_hashing, run, read, db, staff):
    account = read(queries.get_account, staff)
    assert account["roles"] == [{"role": "org_admin", "org_id": "org-1"}]
    assert (account["kind"], account["member_id"], account["disabled"], account["version"]) == \
        ("staff", None, False, 2)
    assert set(account) == {"id", "username", "display_name", "kind", "member_id", "roles", "disabled",
                            "version", "created_at"}
    with db.connect() as conn:
        stored = conn.execute(select(credentials.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$") and PASSWORD not in stored  # the defaults
    assert count(db, events) == count(db, outbox) == 2


def test_neither_the_password_nor_its_hash_is_in_an_event_or_the_read_model(run, db, staff):
    run(commands.change_password, staff, new_password="another long secret")
    with db.connect() as conn:
        hashes = conn.execute(select(credentials.c.password_hash)).scalars().all()
    published = all_text(db, events, outbox, accounts)
    for secret in [PASSWORD, "another long secret", *hashes, "$argon2"]:
        assert secret not in published


def test_usernames_are_unique(run, staff, db):
    before = count(db, events)
    with pytest.raises(Conflict) as err:
        run(commands.create_account, username=staff, display_name="Someone Else", password=PASSWORD, kind="staff")
    assert err.value.fields == {"username": staff}
    assert count(db, events) == before and count(db, credentials) == 1


@pytest.mark.parametrize("password", ["short", "x" * 129, ""])
def test_passwords_have_8_to_128_characters(run, db, password):
    with pytest.raises(InvalidInput) as err:
        run(commands.create_account, username="li.ming", display_name="Li Ming", password=password, kind="staff")
    assert "password" in err.value.fields and (not password or password not in str(err.value.args))
    assert count(db, events) == 0


def test_roles_are_granted_and_revoked(run, read, staff):
    run(commands.grant_role, staff, role="auditor", org_id=None)
    run(commands.grant_role, staff, role="auditor", org_id=None)  # held: no event
    assert read(queries.get_account, staff)["version"] == 3
    run(commands.revoke_role, staff, role="org_admin", org_id="org-1")
    account = read(queries.get_account, staff)
    assert (account["roles"], account["version"]) == ([{"role": "auditor", "org_id": None}], 4)
    with pytest.raises(NotFound):
        run(commands.revoke_role, staff, role="org_admin", org_id="org-1")
    with pytest.raises(NotFound) as err:
        run(commands.grant_role, "no.one", role="auditor")
    assert err.value.fields == {"username": "no.one"}


def test_accounts_are_listed_by_username_and_filtered_by_organisation(run, read, staff):
    run(commands.create_account, username="m.0001", display_name="Zhao Lei", password=PASSWORD,
        kind="member", member_id="m-1")
    run(commands.create_account, username="auditor.2", display_name="Chen Jing", password=PASSWORD,
        kind="staff", roles=[{"role": "auditor", "org_id": "org-2"}])
    everyone = read(queries.list_accounts, limit=2, offset=0)
    assert ([a["username"] for a in everyone["items"]], everyone["total"]) == (["auditor.2", "m.0001"], 3)
    assert read(queries.list_accounts, limit=50, offset=2)["items"][0]["username"] == staff
    in_org_1 = read(queries.list_accounts, limit=50, offset=0, org_id="org-1")
    assert [a["username"] for a in in_org_1["items"]] == [staff] and in_org_1["total"] == 1
    member = read(queries.get_account, "m.0001")
    assert (member["kind"], member["member_id"], member["roles"]) == \
        ("member", "m-1", [{"role": "member", "org_id": None}])


def test_a_disabled_account_stays_disabled(run, read, staff):
    run(commands.disable_account, staff, reason="left the district")
    run(commands.disable_account, staff, reason="again")
    account = read(queries.get_account, staff)
    assert (account["disabled"], account["version"]) == (True, 3)
    with pytest.raises(Conflict):
        run(commands.grant_role, staff, role="auditor")


def test_a_hash_with_old_parameters_is_replaced_at_sign_in(run, db, staff, monkeypatch):
    with db.connect() as conn:
        old = conn.execute(select(credentials.c.password_hash)).scalar_one()
    monkeypatch.setattr(commands.credentials, "hasher", PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
    commands.sign_in(db, commands.Settings(), username=staff, password=PASSWORD)
    with db.connect() as conn:
        new = conn.execute(select(credentials.c.password_hash)).scalar_one()
    assert new != old and "m=2048,t=2" in new


def test_an_unknown_username_is_verified_against_a_dummy_hash(db, staff, monkeypatch):
    verified = []
    real = commands.credentials.hasher

    class Spy:
        def __getattr__(self, name):
            return getattr(real, name)

        def verify(self, password_hash, password):
            verified.append(password_hash)
            return real.verify(password_hash, password)

    monkeypatch.setattr(commands.credentials, "hasher", Spy())
    for username in (staff, "no.such.user"):
        with pytest.raises(Unauthorized):
            commands.sign_in(db, commands.Settings(), username=username, password="wrong password")
    assert len(verified) == 2 and verified[1] == commands.credentials.dummy_hash() != verified[0]
