"""The gateway's read model for the policy: which organisation a request
concerns, and that organisation's lineage (itself and its ancestors), so
that "is this in the caller's subtree" is a set intersection in memory, not
a chain of calls.

| fact                              | changes?                      | kept from                                  |
|-----------------------------------|-------------------------------|--------------------------------------------|
| an organisation's lineage         | never (no org changes parent) | ``orgs.lineage`` once per organisation     |
| a member's branch                 | on ``members.transfer_completed`` | every ``members.*`` event (its ``org_id``, by aggregate version); ``members.member_place`` |
| a founding request's parent       | never                         | ``orgs.founding_requested``                |
| a transfer's member and branches  | never                         | every ``transfers.*`` event                |

Each gateway replica keeps its own index, fed by a broadcast queue of those
events (``GatewayScopeEvents`` in service.py). An id it has not seen yet (a
record made before this replica started, or whose event is still on its
way) costs one RPC to the owning service, and the answer is kept. A member's
branch is kept with the aggregate version it was read at, so an older
answer never overwrites a newer event; it is also re-read after
``MEMBER_TTL`` seconds, so a lost event cannot keep a moved member in the
old branch's scope for long.
"""
import time
from dataclasses import dataclass

from nameko.extensions import DependencyProvider

from shared.errors import NotFound

MEMBER_TTL = 300.0
MAX_ENTRIES = 200_000  # a district has ~6,000 members and ~300 organisations


@dataclass(frozen=True)
class MemberPlace:
    org_id: str
    version: int
    seen_at: float


@dataclass(frozen=True)
class TransferSides:
    member_id: str
    from_org_id: str
    to_org_id: str


class ScopeIndex:
    """In-memory maps, each bounded by ``MAX_ENTRIES`` (cleared when full: it
    is a cache in front of the services, which remain the truth)."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.lineages: dict[str, tuple] = {}
        self.members: dict[str, MemberPlace] = {}
        self.foundings: dict[str, str] = {}
        self.import_jobs: dict[str, str] = {}  # job id -> the organisation it is for (never changes)
        self.transfers: dict[str, TransferSides] = {}

    # -- feeding it ------------------------------------------------------
    def apply(self, event: dict):
        """One event as it is on the bus (the envelope's JSON)."""
        kind, aggregate_id, payload = event.get("event_type", ""), event.get("aggregate_id"), event.get("payload") or {}
        if kind.startswith("members.") and payload.get("org_id"):
            self._place_member(aggregate_id, payload["org_id"], int(event.get("aggregate_version") or 0))
        elif kind.startswith("transfers.") and payload.get("from_org_id"):
            self._put(self.transfers, aggregate_id,
                      TransferSides(payload["member_id"], payload["from_org_id"], payload["to_org_id"]))
        elif kind == "orgs.founding_requested":
            self._put(self.foundings, aggregate_id, payload["parent_id"])

    def _place_member(self, member_id, org_id, version):
        known = self.members.get(member_id)
        if known is None or version >= known.version:
            self._put(self.members, member_id, MemberPlace(org_id, version, self.clock()))
        else:  # an older answer: keep what is known, as confirmed now
            self._put(self.members, member_id, MemberPlace(known.org_id, known.version, self.clock()))

    @staticmethod
    def _put(table: dict, key, value):
        if len(table) >= MAX_ENTRIES and key not in table:
            table.clear()
        table[key] = value

    # -- asking it -------------------------------------------------------
    def _known(self, cache: dict, key: str, read):
        """``cache[key]``, read (and kept) the first time it is asked."""
        known = cache.get(key)
        if known is None:
            known = read()
            self._put(cache, key, known)
        return known

    def lineage(self, org_id: str, orgs) -> tuple:
        """The organisation and its ancestors; ``orgs`` is the worker's orgs
        proxy, called only for an organisation not seen before."""
        return self._known(self.lineages, org_id, lambda: tuple(orgs.lineage(org_id)))

    def member_org(self, member_id: str, members) -> str:
        known = self.members.get(member_id)
        if known is None or self.clock() - known.seen_at > MEMBER_TTL:
            member = members.member_place(member_id)
            self._place_member(member_id, member["org_id"], int(member.get("version") or 0))
            known = self.members[member_id]
        return known.org_id

    def founding_parent(self, request_id: str, orgs) -> str:
        return self._known(self.foundings, request_id, lambda: orgs.get_founding_request(request_id)["parent_id"])

    def import_job_org(self, job_id: str, members) -> str:
        return self._known(self.import_jobs, job_id, lambda: members.get_import_job(job_id)["org_id"])

    def transfer(self, transfer_id: str, members) -> TransferSides:
        known = self.transfers.get(transfer_id)
        if known is None:
            found = members.get_transfer(transfer_id)
            known = TransferSides(found["member_id"], found["from_org_id"], found["to_org_id"])
            self._put(self.transfers, transfer_id, known)
        return known

    def parent_lineage(self, org_id: str, orgs) -> tuple:
        """The lineage of the organisation's parent: () for a root."""
        return self.lineage(org_id, orgs)[1:]


class Scope(DependencyProvider):
    """One ``ScopeIndex`` per gateway process, shared by its workers."""

    def setup(self):
        self.index = ScopeIndex()

    def get_dependency(self, worker_ctx):
        return self.index


__all__ = ["ScopeIndex", "Scope", "NotFound", "MEMBER_TTL"]
