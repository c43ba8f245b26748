"""``ejia accounts create``: the password from stdin or a prompt, never an argument."""
import io
import json

import pytest
from sqlalchemy import func, select

from services import cli
from services.identity import commands, queries, tables
from services.identity.credentials import credentials
from shared.database import Database
from shared.tables import events, outbox


class Tty(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture(autouse=True)
def no_db_url(monkeypatch):
    monkeypatch.delenv("EJIA_IDENTITY_DB_URL", raising=False)


def ejia(tmp_path, *args, stdin="correct horse battery\n", prompt=None):
    out, err = io.StringIO(), io.StringIO()
    source = stdin if isinstance(stdin, io.StringIO) else io.StringIO(stdin)
    code = cli.main(["accounts", "create", *args, "--data-dir", str(tmp_path)], stdin=source, stdout=out,
                    stderr=err, prompt=prompt or (lambda text: pytest.fail("prompted without a terminal")))
    return code, out.getvalue(), err.getvalue()


def identity_db(tmp_path):
    return Database(f"sqlite:///{tmp_path / 'identity.db'}", tables.metadata)


def test_creates_an_account_with_the_password_from_stdin(tmp_path):
    code, out, err = ejia(tmp_path, "--username", "admin", "--role", "district_admin", "--display-name", "Admin")
    assert (code, err) == (0, "")
    printed = json.loads(out)
    assert (printed["username"], printed["display_name"], printed["roles"]) == \
        ("admin", "Admin", [{"role": "district_admin", "org_id": None}])
    assert "correct horse battery" not in out and "argon2" not in out
    db = identity_db(tmp_path)
    try:
        with db.connect() as conn:
            assert conn.execute(select(func.count()).select_from(outbox)).scalar_one() == 2  # the relay publishes
            assert conn.execute(select(events.c.actor)).scalars().first().startswith("cli:")
            assert conn.execute(select(func.count()).select_from(credentials)).scalar_one() == 1
        session = commands.sign_in(db, commands.Settings(), username="admin", password="correct horse battery")
        assert session["account"]["username"] == "admin"
    finally:
        db.dispose()


def test_asks_twice_on_a_terminal(tmp_path):
    answers = iter(["a long passphrase", "a long passphrase"])
    code, out, _ = ejia(tmp_path, "--username", "li.ming", "--role", "org_admin", "--org", "org-1",
                        stdin=Tty(), prompt=lambda text: next(answers))
    assert code == 0 and json.loads(out)["roles"] == [{"role": "org_admin", "org_id": "org-1"}]
    answers = iter(["a long passphrase", "a different one"])
    code, _, err = ejia(tmp_path, "--username", "li.ming2", "--role", "auditor", stdin=Tty(),
                        prompt=lambda text: next(answers))
    assert code == 2 and "differ" in err


def test_a_member_account(tmp_path):
    code, out, _ = ejia(tmp_path, "--username", "m.0001", "--role", "member", "--member", "m-1")
    assert code == 0 and (json.loads(out)["kind"], json.loads(out)["member_id"]) == ("member", "m-1")
    code, _, err = ejia(tmp_path, "--username", "m.0002", "--role", "member")
    assert code == 2 and "--member" in err


@pytest.mark.parametrize("args", [["--password", "hunter2hunter2"], ["--password=hunter2hunter2"]])
def test_refuses_a_password_argument(tmp_path, args):
    code, out, err = ejia(tmp_path, "--username", "admin", "--role", "district_admin", *args)
    assert code == 2 and "never taken from an argument" in err and "hunter2" not in err + out
    assert not (tmp_path / "identity.db").exists()


@pytest.mark.parametrize("args, stdin, message", [
    (["--username", "admin", "--role", "root"], "correct horse battery\n", "invalid choice"),
    (["--username", "Admin!", "--role", "auditor"], "correct horse battery\n", "username"),
    (["--username", "admin", "--role", "org_admin"], "correct horse battery\n", "org_id"),
    (["--username", "admin", "--role", "auditor"], "short\n", "password"),
    (["--username", "admin", "--role", "auditor"], "", "no password on stdin"),
    (["--role", "auditor"], "correct horse battery\n", "--username"),
])
def test_bad_input_exits_2_with_a_clear_message(tmp_path, args, stdin, message):
    code, out, err = ejia(tmp_path, *args, stdin=stdin)
    assert (code, out) == (2, "") and message in err


def test_a_taken_username_exits_2(tmp_path):
    assert ejia(tmp_path, "--username", "admin", "--role", "district_admin")[0] == 0
    code, _, err = ejia(tmp_path, "--username", "admin", "--role", "auditor")
    assert code == 2 and "taken" in err
    db = identity_db(tmp_path)
    try:
        with db.connect() as conn:
            assert queries.get_account(conn, "admin")["roles"] == [{"role": "district_admin", "org_id": None}]
    finally:
        db.dispose()


def test_the_database_url_comes_from_the_environment(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    monkeypatch.setenv("EJIA_IDENTITY_DB_URL", url)
    assert cli.database_url(str(tmp_path / "unused")) == url
    assert ejia(tmp_path, "--username", "admin", "--role", "integration")[0] == 0
    assert (tmp_path / "elsewhere.db").exists() and not (tmp_path / "identity.db").exists()


def rebuild(tmp_path, *args):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["rebuild", *args, "--data-dir", str(tmp_path)], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_rebuild_restores_a_read_model_from_the_events(tmp_path):
    for username in ("admin", "li.ming"):
        assert ejia(tmp_path, "--username", username, "--role", "district_admin")[0] == 0
    db = identity_db(tmp_path)
    try:
        with db.connect() as conn:
            before = queries.get_account(conn, "li.ming")
        with db.begin() as conn:  # a read model lost by hand
            conn.execute(commands.projections.account_roles.delete())
            conn.execute(commands.projections.accounts.delete())
        code, out, err = rebuild(tmp_path, "identity", "accounts")
        assert code == 0 and json.loads(out) == {"service": "identity", "read_model": "accounts", "version": 1,
                                                 "events_replayed": 4}
        with db.connect() as conn:
            assert queries.get_account(conn, "li.ming") == before
        session = commands.sign_in(db, commands.Settings(), username="admin", password="correct horse battery")
        assert session["account"]["roles"] == [{"role": "district_admin", "org_id": None}]
    finally:
        db.dispose()


def test_rebuild_names_the_read_models_a_service_declares(tmp_path):
    code, out, err = rebuild(tmp_path, "identity", "acounts")
    assert (code, out) == (2, "")
    assert "identity declares no read model 'acounts' (it declares: accounts)" in err
    code, _, err = rebuild(tmp_path, "payroll", "accounts")
    assert code == 2 and "invalid choice" in err
