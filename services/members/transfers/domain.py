"""The Transfer aggregate: the workflow of a transfer of organisational
relationship (docs/domain.md §3), a state machine. Pure: dates, rule sets, the
member and the organisations (as the members service knows them from orgs'
events) are passed in.

    requested --approve--> approved --issue-letter--> letter_issued
        --accept--> accepted --report-in--> reported_in --complete--> completed
    requested --return-for-correction--> returned --resubmit--> requested
    letter_issued --(valid_until passed)--> letter_expired --reissue-letter--> letter_issued
    accepted --(report-in window passed)--> report_overdue --report-in--> reported_in
    any open state before reported_in --withdraw--> withdrawn, --reject (reason)--> rejected
    any open state --(receiving branch dissolved, member gone)--> cancelled

The member's side (one open transfer, the branch flipping at completion) is
``transfers.member.TransferringMember``; the command handlers save both in
one transaction. Every event carries the transfer's state after it:
``_emit`` fills it in, ``_apply`` reads it back."""
import datetime as dt

from shared.aggregate import Aggregate, when
from shared.catalog.transfers import (
    LetterExpired, LetterIssued, LetterReissued, ReportOverdue, TransferAccepted, TransferApproved,
    TransferCancelled, TransferCompleted, TransferRejected, TransferReportedIn, TransferRequested,
    TransferResubmitted, TransferReturned, TransferWithdrawn)
from shared.vocabulary import FINAL_TRANSFER_STATES
from shared.dates import not_future
from shared.errors import Conflict, InvalidInput, RuleViolation

from ..checks import OrgView, not_before
from ..status import PARTY_STAGES
from .checks import check_group, check_receiving, check_receiving_branch
from .rules import TransferRules

BEFORE_LETTER = ("requested", "returned", "approved")
"""States in which the sending side decides (a rejection is the sending side's)."""
CLOSABLE = ("requested", "returned", "approved", "letter_issued", "letter_expired", "accepted", "report_overdue")
"""Open states a transfer can be withdrawn or rejected from (not once the member is placed)."""
DAY = dt.timedelta(days=1)


def _required_reason(reason: str | None, action: str) -> str:
    if not (reason or "").strip():
        raise InvalidInput(f"{action} must give its reason", {"reason": "required"})
    return reason.strip()


class Transfer(Aggregate):
    aggregate_type = "transfer"

    def __init__(self, aggregate_id):
        super().__init__(aggregate_id)
        self.state = None
        self.member_id = self.from_org_id = self.to_org_id = self.from_parent_id = None
        self.to_group_id = self.placed_group_id = None
        self.scope = self.grounds = self.reason = None
        self.requested_on = self.accepted_on = self.reported_on = None
        self.last_on = None
        self.letter: dict | None = None
        self.report_due_on = None

    @property
    def created(self) -> bool:
        return self.state is not None

    @property
    def final(self) -> bool:
        return self.state in FINAL_TRANSFER_STATES

    def _apply(self, event_type, payload):
        if event_type.startswith("transfers."):
            self.member_id, self.state = payload["member_id"], payload["state"]
            self.from_org_id, self.to_org_id = payload["from_org_id"], payload["to_org_id"]
        super()._apply(event_type, payload)

    def _emit(self, event_cls, state: str, **facts):
        return self.record(event_cls(member_id=self.member_id, from_org_id=self.from_org_id,
                                     to_org_id=self.to_org_id, state=state, **facts))

    # ---- checks -----------------------------------------------------------------
    def require_state(self, states, action: str):
        states = (states,) if isinstance(states, str) else tuple(states)
        if self.state not in states:
            raise Conflict(f"transfer {self.id} is {self.state}; it can be {action} only when "
                           f"{' or '.join(states)}", {"state": self.state})

    def _dated(self, on: dt.date, today: dt.date, field: str) -> dt.date:
        not_future(on, today, field)
        not_before(on, self.last_on, "the transfer's previous step", field)
        return on

    # ---- requested ------------------------------------------------------------------
    @classmethod
    def request(cls, transfer_id, *, today: dt.date, member, from_org: OrgView | None, from_parent_id,
                to_org: OrgView | None, to_group: OrgView | None, to_parent: OrgView | None, to_org_id: str,
                to_group_id: str | None, scope: str, grounds: str, reason: str | None, requested_on: dt.date) -> "Transfer":
        """``member``: the member aggregate (its branch is the sending one)."""
        not_future(requested_on, today, "requested_on")
        if member.stage not in PARTY_STAGES or member.status != "active":
            raise RuleViolation("members.transfer.party_member",
                                f"only an active probationary or full member is transferred; this member is "
                                f"{member.stage}, {member.status}", {"member_id": member.id})
        if from_org is None or from_org.status != "active":
            raise RuleViolation("members.transfer.sending_branch",
                                f"the member's branch {member.org_id} is not active", {"member_id": member.id})
        if to_org_id == member.org_id:
            raise InvalidInput("the member already belongs to this branch", {"to_org_id": to_org_id})
        check_receiving(to_org, to_group, to_parent, to_org_id, to_group_id)
        transfer = cls(transfer_id)
        transfer.record(TransferRequested(member_id=member.id, from_org_id=member.org_id,
                                          to_org_id=to_org.id, state="requested", member_name=member.name,
                                          from_group_id=member.group_id, from_parent_id=from_parent_id,
                                          to_parent_id=to_parent.id, to_group_id=to_group_id, scope=scope,
                                          grounds=grounds, reason=reason or None, requested_on=requested_on))
        return transfer

    @classmethod
    def move_founder(cls, transfer_id, *, member, from_parent_id, branch_id: str, branch_parent_id: str,
                     founded_on: dt.date, founding_request_id: str) -> "Transfer":
        """A founding member moves into the branch founded from their record:
        the founding request, decided by the parent and confirmed, stands for
        the request, the letter and the receipt. Requested and completed at
        once (the caller moves the member in the same transaction)."""
        transfer = cls(transfer_id)
        transfer.record(TransferRequested(member_id=member.id, from_org_id=member.org_id, to_org_id=branch_id,
                                          state="requested", member_name=member.name,
                                          from_group_id=member.group_id, from_parent_id=from_parent_id,
                                          to_parent_id=branch_parent_id, to_group_id=None, scope="in_city",
                                          grounds="branch_founding",
                                          reason=f"founding request {founding_request_id}", requested_on=founded_on))
        transfer._emit(TransferCompleted, "completed", completed_on=founded_on, placed_group_id=None,
                       decided_by=None, note=None)
        return transfer

    @when(TransferRequested)
    def when_requested(self, p):
        self.to_group_id, self.scope, self.grounds = p["to_group_id"], p["scope"], p["grounds"]
        self.reason, self.from_parent_id = p["reason"], p["from_parent_id"]
        self.requested_on = self.last_on = p["requested_on"]

    def approve(self, *, today, approved_on, decided_by=None, note=None):
        self.require_state("requested", "approved")
        self._emit(TransferApproved, "approved", approved_on=self._dated(approved_on, today, "approved_on"),
                   decided_by=decided_by, note=note)

    @when(TransferApproved)
    def when_approved(self, p):
        self.last_on = p["approved_on"]

    def return_for_correction(self, *, today, returned_on, reason, decided_by=None, note=None):
        reason = _required_reason(reason, "returning a request for correction")
        self.require_state("requested", "returned for correction")
        self._emit(TransferReturned, "returned", reason=reason,
                   returned_on=self._dated(returned_on, today, "returned_on"), decided_by=decided_by, note=note)

    @when(TransferReturned)
    def when_returned(self, p):
        self.last_on = p["returned_on"]

    def resubmit(self, *, today, resubmitted_on, to_org: OrgView | None, to_group: OrgView | None,
                 to_parent: OrgView | None, to_org_id: str, to_group_id, scope, grounds, reason,
                 decided_by=None, note=None):
        """The corrected request; the caller passes the values after the
        correction (unchanged ones as they were)."""
        self.require_state("returned", "resubmitted")
        on = self._dated(resubmitted_on, today, "resubmitted_on")
        if to_org_id == self.from_org_id:
            raise InvalidInput("the member already belongs to this branch", {"to_org_id": to_org_id})
        check_receiving(to_org, to_group, to_parent, to_org_id, to_group_id)
        self.to_org_id = to_org.id
        self._emit(TransferResubmitted, "requested", to_parent_id=to_parent.id, to_group_id=to_group_id,
                   scope=scope, grounds=grounds, reason=reason or None, resubmitted_on=on,
                   decided_by=decided_by, note=note)

    @when(TransferResubmitted)
    def when_resubmitted(self, p):
        self.to_group_id, self.scope, self.grounds = p["to_group_id"], p["scope"], p["grounds"]
        self.reason = p["reason"]
        self.last_on = p["resubmitted_on"]

    # ---- closing without moving ---------------------------------------------------------
    def withdraw(self, *, today, withdrawn_on, reason=None, decided_by=None, note=None):
        self.require_state(CLOSABLE, "withdrawn")
        self._emit(TransferWithdrawn, "withdrawn", reason=(reason or "").strip() or None,
                   withdrawn_on=self._dated(withdrawn_on, today, "withdrawn_on"), decided_by=decided_by, note=note)

    @when(TransferWithdrawn)
    def when_withdrawn(self, p):
        self.last_on = p["withdrawn_on"]

    def reject(self, *, today, rejected_on, reason, decided_by=None, note=None):
        reason = _required_reason(reason, "a rejection")
        self.require_state(CLOSABLE, "rejected")
        side = "sending" if self.state in BEFORE_LETTER else "receiving"
        self._emit(TransferRejected, "rejected", reason=reason, side=side,
                   rejected_on=self._dated(rejected_on, today, "rejected_on"), decided_by=decided_by, note=note)

    @when(TransferRejected)
    def when_rejected(self, p):
        self.last_on = p["rejected_on"]

    def cancel(self, *, cancelled_on, reason: str):
        """The platform's compensation: no step can follow (the receiving branch
        is gone, the member can no longer move). False if already final."""
        if self.final:
            return False
        self._emit(TransferCancelled, "cancelled", reason=_required_reason(reason, "a cancellation"),
                   cancelled_on=max(cancelled_on, self.last_on))
        return True

    @when(TransferCancelled)
    def when_cancelled(self, p):
        self.last_on = p["cancelled_on"]

    # ---- the letter -----------------------------------------------------------------------
    def _letter_facts(self, rules: TransferRules, today, issued_on, valid_until, reference, dues, decided_by, note):
        on = self._dated(issued_on, today, "issued_on")
        valid_until = valid_until or rules.default_valid_until(on, self.scope)
        earliest, latest = rules.earliest_valid_until(on), rules.latest_valid_until(on)
        if not earliest <= valid_until <= latest:
            raise RuleViolation("members.transfer.letter_validity",
                                f"a letter issued on {on.isoformat()} is valid until a day from "
                                f"{earliest.isoformat()} to {latest.isoformat()} (at most "
                                f"{rules.letter_max_months} months); {valid_until.isoformat()} is not",
                                {"valid_until": valid_until.isoformat()})
        if dues["dues_settled"] is False and not rules.letter_with_arrears:
            raise RuleViolation("members.transfer.dues_outstanding",
                                f"the member owes {dues['dues_outstanding']} yuan of dues (paid up to "
                                f"{dues['dues_paid_up_to'] or 'none'}); under the {rules.version} rules a letter "
                                "is issued once they are settled or waived",
                                {"dues_outstanding": dues["dues_outstanding"],
                                 "dues_paid_up_to": dues["dues_paid_up_to"]})
        number = (self.letter or {}).get("number", 0) + 1
        return {"number": number, "reference": reference or None, "issued_on": on, "valid_until": valid_until,
                "rules_version": rules.version, **dues, "decided_by": decided_by, "note": note}

    @property
    def letter_issuer(self) -> str:
        """Whose numbering the letter's serial is in: the committee above the sending branch."""
        return self.from_parent_id or self.from_org_id

    def issue_letter(self, rules: TransferRules, *, today, issued_on, valid_until=None, reference=None,
                     dues: dict, serial=None, decided_by=None, note=None):
        """``dues``: from ``dues_on_letter``; ``serial``: a callable giving the
        next serial of ``letter_issuer`` for the year (asked only once the
        letter may be issued)."""
        self.require_state("approved", "given a letter")
        facts = self._letter_facts(rules, today, issued_on, valid_until, reference, dues, decided_by, note)
        self._emit(LetterIssued, "letter_issued", **facts, **self._serial(serial, facts["issued_on"]))

    def _serial(self, serial, issued_on) -> dict:
        return {"serial": serial(self.letter_issuer, issued_on.year) if serial else None,
                "issuer_id": self.letter_issuer}

    def reissue_letter(self, rules: TransferRules, *, today, issued_on, valid_until=None, reference=None,
                       dues: dict, serial=None, decided_by=None, note=None):
        """A new letter for an expired one (recording the expiry first if the
        sweep has not yet)."""
        if self.state == "letter_issued" and self.letter_expired_on(issued_on):
            self.expire_letter(issued_on)
        if self.state == "letter_issued":
            raise Conflict(f"the letter of transfer {self.id} is valid until "
                           f"{self.letter['valid_until'].isoformat()}; only an expired letter is reissued",
                           {"state": self.state})
        self.require_state("letter_expired", "given a new letter")
        facts = self._letter_facts(rules, today, issued_on, valid_until, reference, dues, decided_by, note)
        self._emit(LetterReissued, "letter_issued", **facts, **self._serial(serial, facts["issued_on"]))

    @when(LetterIssued, LetterReissued)
    def when_letter_issued(self, p):
        self.letter = {k: p[k] for k in ("number", "issued_on", "valid_until")}
        self.last_on = p["issued_on"]

    @when(LetterExpired, ReportOverdue)
    def when_state_only(self, p):
        """These change the transfer's state alone, which ``_apply`` reads from every event."""

    def letter_expired_on(self, day: dt.date) -> bool:
        """The letter is no longer valid on ``day`` (it is valid through ``valid_until``)."""
        return self.letter is not None and day > self.letter["valid_until"]

    def expire_letter(self, today: dt.date) -> bool:
        """The sweep: an issued letter past its ``valid_until`` expires. False
        (nothing recorded) if there is nothing to expire."""
        if self.state != "letter_issued" or not self.letter_expired_on(today):
            return False
        self._emit(LetterExpired, "letter_expired", number=self.letter["number"],
                   valid_until=self.letter["valid_until"], expired_on=self.letter["valid_until"] + DAY)
        return True

    # ---- the receiving side -----------------------------------------------------------------
    def accept(self, rules: TransferRules, *, today, accepted_on, to_org: OrgView | None, decided_by=None,
               note=None):
        if self.state == "letter_expired" or (self.state == "letter_issued" and self.letter_expired_on(accepted_on)):
            raise RuleViolation("members.transfer.letter_expired",
                                f"the letter expired after {self.letter['valid_until'].isoformat()}; "
                                "it must be reissued before it can be accepted",
                                {"valid_until": self.letter["valid_until"].isoformat()})
        self.require_state("letter_issued", "accepted")
        on = self._dated(accepted_on, today, "accepted_on")
        if to_org is None or to_org.status != "active":
            raise RuleViolation("members.transfer.receiving_branch",
                                f"the receiving branch {self.to_org_id} is not active", {"to_org_id": self.to_org_id})
        self._emit(TransferAccepted, "accepted", accepted_on=on, report_due_on=rules.report_due_on(on),
                   rules_version=rules.version, decided_by=decided_by, note=note)

    @when(TransferAccepted)
    def when_accepted(self, p):
        self.accepted_on = self.last_on = p["accepted_on"]
        self.report_due_on = p["report_due_on"]

    def flag_report_overdue(self, today: dt.date) -> bool:
        """The sweep: an alert once the report-in window has passed. False if
        there is nothing to flag (not accepted, already flagged, not due)."""
        if self.state != "accepted" or today <= self.report_due_on:
            return False
        self._emit(ReportOverdue, "report_overdue", report_due_on=self.report_due_on,
                   flagged_on=today)
        return True

    def report_in(self, *, today, reported_on, to_org: OrgView | None, group: OrgView | None, group_id=None,
                  decided_by=None, note=None):
        """``group``: the party group placed in (``group_id``, else the one
        requested), as known; None for the branch itself."""
        self.require_state(("accepted", "report_overdue"), "reported in")
        on = self._dated(reported_on, today, "reported_on")
        placed = group_id or self.to_group_id
        check_receiving_branch(to_org, self.to_org_id)
        if placed:
            check_group(to_org, group, placed, "group_id")
        self._emit(TransferReportedIn, "reported_in", reported_on=on, placed_group_id=placed,
                   decided_by=decided_by, note=note)

    @when(TransferReportedIn)
    def when_reported_in(self, p):
        self.reported_on = self.last_on = p["reported_on"]
        self.placed_group_id = p["placed_group_id"]

    def complete(self, *, completed_on: dt.date, placed_group_id, decided_by=None, note=None):
        """The receipt is returned; the caller moves the member in the same
        transaction. ``completed_on`` is never before the report-in."""
        self.require_state("reported_in", "completed")
        self._emit(TransferCompleted, "completed", completed_on=max(completed_on, self.last_on),
                   placed_group_id=placed_group_id, decided_by=decided_by, note=note)

    @when(TransferCompleted)
    def when_completed(self, p):
        self.last_on = p["completed_on"]
        self.placed_group_id = p["placed_group_id"]
