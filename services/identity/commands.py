"""Command handlers. Account commands run in the caller's unit of work (one
transaction: events, read model and credentials together). Sign-in, refresh
and logout write no events: they take the database and commit what they
must keep (a failed attempt, a revoked family) before they refuse.

Arguments are the validated fields of shared.contracts.identity; ``now`` is
an aware UTC datetime. The RPC entrypoints and the ``ejia`` CLI both call
``create_account``."""
import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field

from shared.errors import Conflict, NotFound, Unauthorized

from . import credentials, projections, sessions, throttle
from .domain import Account, check_username
from .queries import account_dict

log = logging.getLogger(__name__)


WRONG_CREDENTIALS = "wrong username or password"
BAD_REFRESH_TOKEN = "the refresh token is invalid, expired or revoked; sign in again"


@dataclass(frozen=True)
class Settings:
    """The service's config keys, with their defaults."""
    refresh_token_seconds: int = sessions.DEFAULT_REFRESH_SECONDS
    limits: throttle.Limits = field(default_factory=throttle.Limits)

    @classmethod
    def from_config(cls, config) -> "Settings":
        defaults = throttle.Limits()

        def number(key, default):
            value = int(config.get(key) or default)
            if value < 1:
                raise ValueError(f"config {key} must be a positive number of seconds or attempts")
            return value

        return cls(number("REFRESH_TOKEN_SECONDS", sessions.DEFAULT_REFRESH_SECONDS), throttle.Limits(
            max_failures_per_user=number("SIGNIN_MAX_FAILURES_PER_USER", defaults.max_failures_per_user),
            max_failures_per_address=number("SIGNIN_MAX_FAILURES_PER_ADDRESS", defaults.max_failures_per_address),
            window_seconds=number("SIGNIN_WINDOW_SECONDS", defaults.window_seconds)))


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# ---- accounts ---------------------------------------------------------------

def _load(uow, username: str) -> Account:
    row = projections.account_by_username(uow.conn, username)
    account = uow.find(Account, row.id) if row is not None else None
    if account is None or not account.created:
        raise NotFound(f"account {username} does not exist", {"username": username})
    return account


def create_account(uow, *, username: str, display_name: str, password: str, kind: str,
                   member_id: str | None = None, roles=()) -> str:
    """Create an account with its password and first roles; its id."""
    check_username(username)
    credentials.check_password(password)
    if projections.account_by_username(uow.conn, username) is not None:
        raise Conflict(f"the username {username!r} is taken", {"username": username})
    account = Account.create(new_id(), username=username, display_name=display_name, kind=kind,
                             member_id=member_id, roles=roles)
    uow.save(account)
    credentials.set_password(uow.conn, account.id, password)
    return account.id


def grant_role(uow, username: str, *, role: str, org_id: str | None = None):
    account = _load(uow, username)
    account.grant_role(role, org_id)
    uow.save(account)


def revoke_role(uow, username: str, *, role: str, org_id: str | None = None):
    account = _load(uow, username)
    account.revoke_role(role, org_id)
    uow.save(account)


def change_password(uow, username: str, *, new_password: str, now: dt.datetime | None = None):
    """Set a new password and end the account's sessions."""
    credentials.check_password(new_password, "new_password")
    account = _load(uow, username)
    account.change_password()
    uow.save(account)
    credentials.set_password(uow.conn, account.id, new_password, "new_password")
    sessions.revoke_account(uow.conn, account.id, now or utcnow())


def disable_account(uow, username: str, *, reason: str, now: dt.datetime | None = None):
    """Stop the account signing in and end its sessions."""
    account = _load(uow, username)
    account.disable(reason)
    uow.save(account)
    sessions.revoke_account(uow.conn, account.id, now or utcnow())


# ---- sessions -----------------------------------------------------------------

def _session(conn, row, token: str, settings: Settings) -> dict:
    return {"account": account_dict(row), "refresh_token": token,
            "refresh_expires_in": settings.refresh_token_seconds}


def sign_in(db, settings: Settings, *, username: str, password: str, client_address: str | None = None,
            now: dt.datetime | None = None) -> dict:
    """The account and a new refresh token (a new family). A wrong password,
    an unknown username and a disabled account get the same Unauthorized;
    over the failure limit, TooManyRequests comes before the password is
    checked."""
    now = now or utcnow()
    username = username.strip().lower()
    with db.begin() as conn:
        throttle.check(conn, settings.limits, username, client_address, now)
        row = projections.account_by_username(conn, username)
        correct = credentials.verify(conn, row.id if row is not None else None, password)
        if correct and not row.disabled:
            throttle.clear(conn, username)
            token = sessions.issue(conn, row.id, now, settings.refresh_token_seconds)
            return _session(conn, row, token, settings)
        throttle.record_failure(conn, settings.limits, username, client_address, now)
    raise Unauthorized(WRONG_CREDENTIALS)


def refresh(db, settings: Settings, *, refresh_token: str, now: dt.datetime | None = None) -> dict:
    """Trade a refresh token for the next one in its family, with the account
    as it is now. A used token revokes the family; an expired, revoked or
    unknown one, or a disabled account, is refused."""
    now = now or utcnow()
    with db.begin() as conn:
        row = sessions.find(conn, refresh_token)
        if row is not None and row.revoked_at is None and row.expires_at > now:
            account = projections.account_by_id(conn, row.account_id)
            if sessions.claim(conn, refresh_token, now) and account is not None and not account.disabled:
                token = sessions.issue(conn, row.account_id, now, settings.refresh_token_seconds, row.family_id)
                return _session(conn, account, token, settings)
            # a replay (or the loser of a concurrent refresh), or a disabled account
            sessions.revoke_family(conn, row.family_id, now)
            log.warning("identity: refresh token reuse or disabled account; session family %s revoked",
                        row.family_id)
    raise Unauthorized(BAD_REFRESH_TOKEN)


def logout(db, *, refresh_token: str, now: dt.datetime | None = None) -> dict:
    """End the token's session (its family); ``revoked`` is False when there
    was nothing left to end."""
    with db.begin() as conn:
        row = sessions.find(conn, refresh_token)
        revoked = row is not None and sessions.revoke_family(conn, row.family_id, now or utcnow()) > 0
    return {"revoked": revoked}
