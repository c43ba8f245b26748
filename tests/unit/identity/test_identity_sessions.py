"""Sign-in, refresh-token rotation and replay, logout, and throttling."""
import datetime as dt

import pytest
from sqlalchemy import select

from services.identity import commands, sessions
from services.identity.sessions import refresh_tokens, token_hash
from shared.errors import InvalidInput, TooManyRequests, Unauthorized

from identity_helpers import NOW, PASSWORD


@pytest.fixture
def sign_in(db, settings):
    def sign_in(username="wang.fang", password=PASSWORD, address="10.0.0.1", now=NOW, settings=settings):
        return commands.sign_in(db, settings, username=username, password=password, client_address=address,
                                now=now)
    return sign_in


@pytest.fixture
def refresh(db, settings):
    return lambda token, now=NOW: commands.refresh(db, settings, refresh_token=token, now=now)


def token_rows(db):
    with db.connect() as conn:
        return conn.execute(select(refresh_tokens).order_by(refresh_tokens.c.issued_at)).all()


def test_sign_in_returns_the_account_and_a_refresh_token_stored_only_hashed(sign_in, db, staff):
    session = sign_in()
    assert session["account"]["username"] == staff
    assert session["account"]["roles"] == [{"role": "org_admin", "org_id": "org-1"}]
    assert session["refresh_expires_in"] == 14 * 24 * 3600
    [row] = token_rows(db)
    assert row.token_hash == token_hash(session["refresh_token"]) != session["refresh_token"]
    assert row.expires_at == NOW + dt.timedelta(days=14) and row.used_at is None


def test_unknown_user_wrong_password_and_disabled_account_get_the_same_error(sign_in, run, staff):
    with pytest.raises(Unauthorized) as wrong:
        sign_in(password="not the password")
    with pytest.raises(Unauthorized) as unknown:
        sign_in(username="no.such.user")
    run(commands.disable_account, staff, reason="left")
    with pytest.raises(Unauthorized) as disabled:
        sign_in()
    assert wrong.value.args == unknown.value.args == disabled.value.args == ("wrong username or password", {})


def test_refresh_rotates_the_token_and_rereads_the_account(sign_in, refresh, run, db, staff):
    first = sign_in()["refresh_token"]
    run(commands.grant_role, staff, role="auditor", org_id=None)
    later = NOW + dt.timedelta(minutes=20)
    second = refresh(first, now=later)
    assert second["refresh_token"] != first
    assert {"role": "auditor", "org_id": None} in second["account"]["roles"]
    third = refresh(second["refresh_token"], now=later)
    rows = token_rows(db)
    assert len(rows) == 3 and len({r.family_id for r in rows}) == 1
    assert [r.used_at is not None for r in rows] == [True, True, False]
    assert third["refresh_token"]


def test_a_replayed_token_revokes_the_whole_family(sign_in, refresh, db, staff):
    stolen = sign_in()["refresh_token"]
    current = refresh(stolen)["refresh_token"]
    other_session = sign_in()["refresh_token"]
    with pytest.raises(Unauthorized):
        refresh(stolen)
    with pytest.raises(Unauthorized):
        refresh(current)  # the legitimate holder must sign in again
    assert refresh(other_session)["refresh_token"]  # another sign-in is another family


def test_of_two_concurrent_refreshes_only_one_wins(sign_in, refresh, monkeypatch, db, staff):
    token = sign_in()["refresh_token"]
    with db.connect() as conn:
        seen_unused = sessions.find(conn, token)  # what the second request read before the first committed
    won = refresh(token)
    monkeypatch.setattr(sessions, "find", lambda conn, t: seen_unused)
    with pytest.raises(Unauthorized):
        refresh(token)
    monkeypatch.undo()
    with pytest.raises(Unauthorized):  # the loser's replay ended the family
        refresh(won["refresh_token"])


@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 43])
def test_unknown_tokens_are_refused(refresh, staff, token):
    with pytest.raises(Unauthorized):
        refresh(token)


def test_an_expired_token_is_refused(sign_in, refresh, db, settings, staff):
    token = sign_in()["refresh_token"]
    with pytest.raises(Unauthorized):
        refresh(token, now=NOW + dt.timedelta(seconds=settings.refresh_token_seconds + 1))


def test_the_lifetime_comes_from_config(sign_in, db, staff):
    settings = commands.Settings.from_config({"REFRESH_TOKEN_SECONDS": "60"})  # env values arrive as strings
    assert settings.limits == commands.throttle.Limits(5, 30, 900)
    session = sign_in(settings=settings)
    assert session["refresh_expires_in"] == 60
    assert commands.refresh(db, settings, refresh_token=session["refresh_token"],
                            now=NOW + dt.timedelta(seconds=59))["refresh_token"]
    later = commands.refresh(db, settings, refresh_token=sign_in(settings=settings)["refresh_token"], now=NOW)
    with pytest.raises(Unauthorized):
        commands.refresh(db, settings, refresh_token=later["refresh_token"], now=NOW + dt.timedelta(seconds=61))


def test_logout_revokes_the_family_and_is_idempotent(sign_in, refresh, db, staff):
    token = sign_in()["refresh_token"]
    rotated = refresh(token)["refresh_token"]
    assert commands.logout(db, refresh_token=rotated, now=NOW) == {"revoked": True}
    assert commands.logout(db, refresh_token=rotated, now=NOW) == {"revoked": False}
    assert commands.logout(db, refresh_token="unknown", now=NOW) == {"revoked": False}
    with pytest.raises(Unauthorized):
        refresh(rotated)


def test_disabling_or_a_new_password_ends_the_sessions(sign_in, refresh, run, db, staff):
    token = sign_in()["refresh_token"]
    run(commands.change_password, staff, new_password="a brand new secret")
    with pytest.raises(Unauthorized):
        refresh(token)
    token = sign_in(password="a brand new secret")["refresh_token"]
    run(commands.disable_account, staff, reason="left")
    with pytest.raises(Unauthorized):
        refresh(token)


def test_a_disabled_account_cannot_refresh_even_with_a_live_token(sign_in, refresh, db, store, staff):
    from services.identity.projections import accounts
    token = sign_in()["refresh_token"]
    with db.begin() as conn:  # the read model says disabled, the sessions were not ended
        conn.execute(accounts.update().values(disabled=True))
    with pytest.raises(Unauthorized):
        refresh(token)
    assert all(r.revoked_at is not None for r in token_rows(db))


# ---- throttling -----------------------------------------------------------

def test_twenty_wrong_passwords_are_throttled(sign_in, staff):
    outcomes = []
    for i in range(20):
        try:
            sign_in(password=f"guess number {i}", now=NOW + dt.timedelta(seconds=i))
        except Unauthorized:
            outcomes.append("unauthorized")
        except TooManyRequests as exc:
            outcomes.append("throttled")
            retry_after = exc.fields["retry_after"]
    assert outcomes == ["unauthorized"] * 5 + ["throttled"] * 15
    # the first failure (at NOW) leaves the 900 s window at NOW + 900 s; the last try was at NOW + 19 s
    assert retry_after == 900 - 19
    assert isinstance(retry_after, int)


def test_the_correct_password_is_refused_during_lock_out_and_works_after(sign_in, staff):
    for i in range(5):
        with pytest.raises(Unauthorized):
            sign_in(password="wrong password")
    with pytest.raises(TooManyRequests) as err:
        sign_in()
    assert err.value.message == "too many failed sign-ins; try again later"
    assert err.value.fields == {"retry_after": 900}
    assert sign_in(now=NOW + dt.timedelta(seconds=901))["refresh_token"]


def test_a_success_clears_the_usernames_counter(sign_in, staff):
    for _ in range(4):
        with pytest.raises(Unauthorized):
            sign_in(password="wrong password")
    sign_in()
    for _ in range(4):
        with pytest.raises(Unauthorized):
            sign_in(password="wrong password")
    assert sign_in()["account"]["username"] == staff


def test_unknown_usernames_are_throttled_like_known_ones(sign_in):
    for _ in range(5):
        with pytest.raises(Unauthorized):
            sign_in(username="no.such.user")
    with pytest.raises(TooManyRequests):
        sign_in(username="no.such.user")


def test_one_address_trying_many_usernames_is_throttled(sign_in, staff, settings):
    settings = commands.Settings.from_config({"SIGNIN_MAX_FAILURES_PER_ADDRESS": 3})
    for name in ("a.one", "b.two", "c.three"):
        with pytest.raises(Unauthorized):
            sign_in(username=name, settings=settings)
    with pytest.raises(TooManyRequests):
        sign_in(settings=settings)  # right password, but from that address
    assert sign_in(address="10.0.0.2", settings=settings)["refresh_token"]


def test_sign_in_usernames_are_not_case_sensitive(sign_in, staff):
    assert sign_in(username=" Wang.Fang ")["account"]["username"] == staff


def test_settings_refuse_nonsense(staff):
    with pytest.raises(ValueError):
        commands.Settings.from_config({"SIGNIN_WINDOW_SECONDS": -5})
    with pytest.raises(InvalidInput):
        commands.create_account(None, username="ok.name", display_name="x", password="short", kind="staff")
