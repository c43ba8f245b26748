"""Sign-in throttling: failed sign-ins are counted per username and per
client address in ``signin_failures``, in the service's database so that
every replica sees the same counts. Over the limit within the window, a
sign-in is refused before its password is checked, with the number of
seconds until the window has room again."""
import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import Column, Integer, String, Table, delete, select

from shared.errors import TooManyRequests
from shared.tables import UTCDateTime

from .tables import metadata


signin_failures = Table(
    "signin_failures", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(120), nullable=False, index=True),  # "user:<username>" or "addr:<address>"
    Column("failed_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True)
class Limits:
    max_failures_per_user: int = 5
    max_failures_per_address: int = 30
    window_seconds: int = 900


def user_key(username: str) -> str:
    return "user:" + username[:100]


def address_key(address: str) -> str:
    return "addr:" + address[:100]


def _keys(limits: Limits, username: str, address: str | None):
    yield user_key(username), limits.max_failures_per_user
    if address:
        yield address_key(address), limits.max_failures_per_address


def _retry_after(conn, key: str, limit: int, window: dt.timedelta, now: dt.datetime) -> int:
    """0 if ``key`` may try again, else the seconds until enough of its
    failures have left the window."""
    times = conn.execute(select(signin_failures.c.failed_at).where(
        signin_failures.c.key == key, signin_failures.c.failed_at > now - window)
        .order_by(signin_failures.c.failed_at)).scalars().all()
    if len(times) < limit:
        return 0
    frees_at = times[len(times) - limit] + window
    return max(1, math.ceil((frees_at - now).total_seconds()))


def check(conn, limits: Limits, username: str, address: str | None, now: dt.datetime):
    """TooManyRequests if the username or the address has failed too often."""
    window = dt.timedelta(seconds=limits.window_seconds)
    wait = max(_retry_after(conn, key, limit, window, now) for key, limit in _keys(limits, username, address))
    if wait:
        raise TooManyRequests("too many failed sign-ins; try again later", {"retry_after": wait})


def record_failure(conn, limits: Limits, username: str, address: str | None, now: dt.datetime):
    window = dt.timedelta(seconds=limits.window_seconds)
    for key, _ in _keys(limits, username, address):
        conn.execute(delete(signin_failures).where(signin_failures.c.key == key,
                                                   signin_failures.c.failed_at <= now - window))
        conn.execute(signin_failures.insert().values(key=key, failed_at=now))


def clear(conn, username: str):
    """A successful sign-in forgets the username's failures (not the address's)."""
    conn.execute(delete(signin_failures).where(signin_failures.c.key == user_key(username)))
