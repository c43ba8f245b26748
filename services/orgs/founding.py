"""Founding a branch, a workflow (docs/domain.md §1): requested -> approved or
rejected by the parent -> committee elected at the founding meeting ->
secretary and deputy confirmed by the parent, when the branch is founded.
Pure, like ``domain.py``."""
import datetime as dt

from shared.aggregate import Aggregate, when
from shared.catalog.orgs import (
    FoundingApproved, FoundingCommitteeElected, FoundingConfirmed, FoundingRejected, FoundingRequested)
from shared.vocabulary import BRANCH_KINDS
from shared.dates import add_months
from shared.errors import Conflict, InvalidInput

from .domain import (ParentView, check_committee, check_covered_units,
                     check_founding_members, check_parent, person, seat_list, unit_profile)
from .rules import OrgRules


class FoundingRequest(Aggregate):
    aggregate_type = "founding_request"

    def __init__(self, aggregate_id):
        super().__init__(aggregate_id)
        self.state = None
        self.proposal: dict = {}
        self.decided_on = self.meeting_date = None
        self.seats: list[dict] = []
        self.branch_id = None

    @property
    def created(self) -> bool:
        return self.state is not None

    @classmethod
    def submit(cls, request_id, *, rules: OrgRules, parent: ParentView, proposed_name: str, kind: str,
               unit: dict, covered_units: list, full_members: int, probationary_members: int,
               founding_members: list, proposed_committee: list, requested_on: dt.date,
               counted_from: str | None = "declared") -> "FoundingRequest":
        """``full_members`` is the count the rule is checked against: the
        members' own records once they count, else the declared count."""
        if kind not in BRANCH_KINDS:
            raise InvalidInput(f"a founding request is for a branch or joint branch, not a {kind}",
                               {"kind": kind})
        check_parent(kind, parent)
        check_founding_members(rules, full_members)
        check_covered_units(rules, kind, covered_units)
        listed = len(founding_members)
        if not full_members <= listed <= full_members + probationary_members:
            raise InvalidInput(f"{listed} founding members are listed: name every one of the "
                               f"{full_members} full members, and at most the "
                               f"{probationary_members} probationary members besides",
                               {"founding_members": listed})
        seats = seat_list(proposed_committee)
        check_committee(rules, kind, seats, full_members)
        request = cls(request_id)
        request.record(FoundingRequested(parent_id=parent.id, proposed_name=proposed_name, kind=kind,
                              unit=unit_profile(unit), covered_units=[unit_profile(u) for u in covered_units],
                              full_members=full_members, counted_from=counted_from,
                              probationary_members=probationary_members,
                              founding_members=[person(m) for m in founding_members], proposed_committee=seats,
                              requested_on=requested_on,
                              decision_due_on=add_months(requested_on, rules.founding_decision_months),
                              rules_version=rules.version))
        return request

    @when(FoundingRequested)
    def when_founding_requested(self, payload):
        self.state, self.proposal = "requested", dict(payload)

    @property
    def parent_id(self) -> str:
        return self.proposal["parent_id"]

    def _require(self, state: str, action: str):
        if self.state != state:
            raise Conflict(f"founding request {self.id} is {self.state}; it can only {action} "
                           f"when {state}", {"state": self.state})

    def _not_before(self, day: dt.date, earlier: dt.date, what: str, field: str):
        if day < earlier:
            raise InvalidInput(f"{field} {day} is before {what} ({earlier})", {field: day.isoformat()})

    def approve(self, decided_on: dt.date, note: str | None = None):
        self._require("requested", "be approved")
        self._not_before(decided_on, self.proposal["requested_on"], "the request", "decided_on")
        self.record(FoundingApproved(decided_on=decided_on, note=note or None))

    @when(FoundingApproved)
    def when_founding_approved(self, payload):
        self.state, self.decided_on = "approved", payload["decided_on"]

    def reject(self, decided_on: dt.date, reason: str):
        if not (reason or "").strip():
            raise InvalidInput("a rejection must give its reason", {"reason": "required"})
        self._require("requested", "be rejected")
        self._not_before(decided_on, self.proposal["requested_on"], "the request", "decided_on")
        self.record(FoundingRejected(decided_on=decided_on, reason=reason.strip()))

    @when(FoundingRejected)
    def when_founding_rejected(self, payload):
        self.state, self.decided_on = "rejected", payload["decided_on"]

    def elect_committee(self, rules: OrgRules, meeting_date: dt.date, seats: list[dict]):
        """The founding meeting elects the committee (or a lone secretary)."""
        self._require("approved", "elect its committee")
        self._not_before(meeting_date, self.decided_on, "the approval", "meeting_date")
        seats = seat_list(seats)
        check_committee(rules, self.proposal["kind"], seats, self.proposal["full_members"])
        self.record(FoundingCommitteeElected(meeting_date=meeting_date, seats=seats,
                                             rules_version=rules.version))

    @when(FoundingCommitteeElected)
    def when_founding_committee_elected(self, payload):
        self.state, self.meeting_date = "committee_elected", payload["meeting_date"]
        self.seats = payload["seats"]

    def confirm(self, confirmed_on: dt.date, branch_id: str):
        """The parent confirms secretary and deputy; the caller founds ``branch_id``."""
        self._require("committee_elected", "be confirmed")
        self._not_before(confirmed_on, self.meeting_date, "the founding meeting", "confirmed_on")
        holders = {seat["role"]: person(seat) for seat in self.seats}
        self.record(FoundingConfirmed(confirmed_on=confirmed_on, branch_id=branch_id,
                                      secretary=holders["secretary"], deputy_secretary=holders.get("deputy_secretary")))

    @when(FoundingConfirmed)
    def when_founding_confirmed(self, payload):
        self.state, self.branch_id = "confirmed", payload["branch_id"]
