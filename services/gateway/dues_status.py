"""The dues part of ``GET /me``, kept between the account's changes.

A member's dues status (``dues.status``: this month's amount, paid up to,
outstanding) changes only when something happens to their account, which
the dues service announces (``dues.*``, the account's id being the
member's), or when a month begins. Members open /me far more often than
that, so each gateway replica keeps the answer it last read:

- an entry is for one member in one month, and read again after ``TTL``
  seconds however quiet the account is (a lost event cannot last);
- every ``dues.*`` event of the account drops it (a ``dues_policy`` event,
  about a whole branch, drops them all);
- the gateway's own dues writes drop it at once, so a member who just paid
  sees it on the next /me whichever way the event travels.
"""
import datetime as dt
import time

from nameko.extensions import DependencyProvider

TTL = 300.0
MAX_ENTRIES = 200_000


class DuesStatusCache:
    def __init__(self, clock=time.monotonic, today=dt.date.today):
        self.clock, self.today = clock, today
        self.entries: dict[str, tuple] = {}  # member id -> (month, read at, status)
        self.changes: dict[str, int] = {}  # member id -> how many times it was dropped
        self.epoch = 0  # how many times everything was dropped

    def version(self, member_id: str) -> tuple:
        """Taken before reading the status: ``put`` keeps the answer only if
        nothing dropped it in between (an answer read before a payment
        must not outlive the payment's event)."""
        return self.epoch, self.changes.get(member_id, 0)

    def get(self, member_id: str):
        """The status kept for ``member_id`` this month, or None."""
        entry = self.entries.get(member_id)
        if entry is None:
            return None
        month, read_at, status = entry
        if month != self._month() or self.clock() - read_at > TTL:
            self.entries.pop(member_id, None)
            return None
        return status

    def put(self, member_id: str, status: dict, version: tuple):
        if version != self.version(member_id):
            return
        if len(self.entries) >= MAX_ENTRIES:
            self.entries.clear()
            self.changes.clear()
            self.epoch += 1
            return
        self.entries[member_id] = (self._month(), self.clock(), status)

    def forget(self, member_id: str | None):
        self.entries.pop(member_id, None)
        if member_id is not None:
            self.changes[member_id] = self.changes.get(member_id, 0) + 1

    def apply(self, event: dict):
        """A ``dues.*`` event as it is on the bus."""
        if event.get("aggregate_type") == "dues_account":
            self.forget(event.get("aggregate_id"))
        else:
            self.entries.clear()
            self.changes.clear()
            self.epoch += 1

    def _month(self):
        today = self.today()
        return today.year, today.month


class DuesStatus(DependencyProvider):
    """One cache per gateway process, shared by its workers."""

    def setup(self):
        self.cache = DuesStatusCache()

    def get_dependency(self, worker_ctx):
        return self.cache
