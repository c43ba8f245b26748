"""The gateway's scope index with fixed answers, for unit tests that call
gateway entrypoints with faked services (a uniquely named module)."""
from services.gateway.scope import TransferSides


DISTRICT_ROOT = "d0"
"""The root of every lineage ``FixedScope`` answers."""


class FixedScope:
    """The gateway's ``ScopeIndex`` with fixed answers: every organisation
    sits directly under the district committee ``d0`` (its lineage is
    ``(org_id, "d0")``; ``d0``'s own is ``("d0",)``), every member is in
    branch ``b1``, every founding request was made to ``o1`` (and every import is for it), and every
    transfer moves ``m1`` from ``b1`` to ``b2``. It never calls a proxy."""

    def __init__(self):
        self.applied = []

    def apply(self, event):
        self.applied.append(event)

    def lineage(self, org_id, orgs):
        return (org_id,) if org_id == DISTRICT_ROOT else (org_id, DISTRICT_ROOT)

    def parent_lineage(self, org_id, orgs):
        return self.lineage(org_id, orgs)[1:]

    def member_org(self, member_id, members):
        return "b1"

    def founding_parent(self, request_id, orgs):
        return "o1"

    def import_job_org(self, job_id, members):
        return "o1"

    def transfer(self, transfer_id, members):
        return TransferSides("m1", "b1", "b2")
