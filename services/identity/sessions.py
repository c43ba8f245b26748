"""Refresh tokens: opaque random strings, kept only as their SHA-256, each
usable once. Refreshing marks the token used and issues the next one in the
same family (one family per sign-in); presenting a used token again (a
replay: it was stolen, or the client lost a race) revokes the whole family."""
import datetime as dt
import hashlib
import secrets
import uuid

from sqlalchemy import Column, String, Table, select, update

from shared.tables import UTCDateTime

from .tables import metadata


refresh_tokens = Table(
    "refresh_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("family_id", String(64), nullable=False, index=True),
    Column("account_id", String(64), nullable=False, index=True),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
)

DEFAULT_REFRESH_SECONDS = 14 * 24 * 3600


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(conn, account_id: str, now: dt.datetime, lifetime: int, family_id: str | None = None) -> str:
    """A new refresh token (the only time it exists in clear)."""
    token = secrets.token_urlsafe(32)
    conn.execute(refresh_tokens.insert().values(
        token_hash=token_hash(token), family_id=family_id or str(uuid.uuid4()), account_id=account_id,
        issued_at=now, expires_at=now + dt.timedelta(seconds=lifetime)))
    return token


def find(conn, token: str):
    return conn.execute(select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash(token))).first()


def claim(conn, token: str, now: dt.datetime) -> bool:
    """Mark an unused, unrevoked token used; False if another request got there
    first (of two concurrent refreshes, exactly one claims the token)."""
    return conn.execute(update(refresh_tokens).where(
        refresh_tokens.c.token_hash == token_hash(token), refresh_tokens.c.used_at.is_(None),
        refresh_tokens.c.revoked_at.is_(None)).values(used_at=now)).rowcount == 1


def revoke_family(conn, family_id: str, now: dt.datetime) -> int:
    return conn.execute(update(refresh_tokens).where(
        refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)).rowcount


def revoke_account(conn, account_id: str, now: dt.datetime) -> int:
    """End every session of the account (password changed, account disabled)."""
    return conn.execute(update(refresh_tokens).where(
        refresh_tokens.c.account_id == account_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)).rowcount
