"""The development pipeline from candidate to full member (docs/domain.md §2): two
sponsors, political review and training before the admission vote, the
parent's approval within its window, probation and its end (confirmation,
one extension, or cancellation). A mixin of ``Member``; see pipeline.py.
Pure."""
import datetime as dt

from shared.aggregate import when
from shared.catalog.members import (
    AdmissionApproved, AdmissionVoted, ConfirmedFull, PoliticalReviewRecorded, ProbationCancelled,
    ProbationExtended, SponsorsAssigned, TrainingRecorded)
from shared.dates import add_months, not_future
from shared.errors import Conflict, InvalidInput, RuleViolation

from .checks import MemberView, distinct, not_before
from .pipeline import PipelineSteps
from .rules import MemberRules


def _more_than(count: int, share, of: int) -> bool:
    """``count`` > ``share`` x ``of``, exactly (share is a Fraction)."""
    return count * share.denominator > of * share.numerator


def check_vote(rules: MemberRules, eligible_voters: int, present_voters: int, yes: int, no: int, abstain: int):
    """A branch general meeting's vote: quorum, then majority of all eligible."""
    if eligible_voters < 1 or present_voters > eligible_voters or yes + no + abstain > present_voters:
        raise InvalidInput("the vote counts do not add up: yes + no + abstain <= present <= eligible",
                           {"present_voters": present_voters, "eligible_voters": eligible_voters})
    if not _more_than(present_voters, rules.vote_quorum, eligible_voters):
        raise RuleViolation("members.pipeline.vote_quorum",
                            f"no quorum: more than {rules.vote_quorum} of the {eligible_voters} eligible "
                            f"members must be present; {present_voters} were",
                            {"present_voters": present_voters, "eligible_voters": eligible_voters})
    if not _more_than(yes, rules.vote_majority, eligible_voters):
        raise RuleViolation("members.pipeline.vote_majority",
                            f"not passed: yes votes must be more than {rules.vote_majority} of all "
                            f"{eligible_voters} eligible members; {yes} voted yes",
                            {"yes": yes, "eligible_voters": eligible_voters})


def check_approval_window(rules: MemberRules, meeting_date: dt.date, approved_on: dt.date, special: bool) -> dt.date:
    not_before(approved_on, meeting_date, "the branch meeting", "approved_on")
    months = rules.approval_window_months_special if special else rules.approval_window_months
    due = add_months(meeting_date, months)
    if approved_on > due:
        hint = "" if special else f"; {rules.approval_window_months_special} in special cases (special=true)"
        raise RuleViolation("members.pipeline.approval_window",
                            f"the parent approves within {months} months of the branch meeting "
                            f"(by {due.isoformat()}){hint}",
                            {"approved_on": approved_on.isoformat(), "due_on": due.isoformat()})
    return due


def count_voters(on_record: frozenset, meeting_date: dt.date, eligible_voters: int | None,
                 present_voters: int | None, attendee_ids: list[str] | None) -> dict:
    """The meeting's eligible and present voters, from the member records
    where the branch has full members on record (``on_record``: their ids on
    the meeting date): a declared count that differs is refused naming both.
    With none on record the declared count stands, marked ``declared``.
    Attendees listed by id must be eligible, and are the present count."""
    if on_record:
        if eligible_voters is not None and eligible_voters != len(on_record):
            raise RuleViolation("members.vote.eligible_count",
                                f"{eligible_voters} eligible voters declared, but the member records have "
                                f"{len(on_record)} full members in good standing in the branch on "
                                f"{meeting_date.isoformat()}",
                                {"eligible_voters": eligible_voters, "on_record": len(on_record)})
        eligible, counted_from = len(on_record), "records"
    elif eligible_voters is None:
        message = "the branch has no full members on record: give eligible_voters"
        raise InvalidInput(message, {"eligible_voters": message})
    else:
        eligible, counted_from = eligible_voters, "declared"
    if attendee_ids is None:
        if present_voters is None:
            message = "give present_voters, or the attendees as attendee_ids"
            raise InvalidInput(message, {"present_voters": message})
        return {"eligible_voters": eligible, "present_voters": present_voters, "counted_from": counted_from,
                "attendee_ids": None}
    distinct(attendee_ids, "attendee_ids")
    outside = [member_id for member_id in attendee_ids if on_record and member_id not in on_record]
    if outside:
        raise RuleViolation("members.vote.attendee",
                            f"member {outside[0]} is not a full member in good standing of the branch on "
                            f"{meeting_date.isoformat()}: only those vote", {"attendee_ids": outside[0]})
    if present_voters is not None and present_voters != len(attendee_ids):
        raise RuleViolation("members.vote.present_count",
                            f"{present_voters} present voters declared, but {len(attendee_ids)} attendees listed",
                            {"present_voters": present_voters, "attendees": len(attendee_ids)})
    return {"eligible_voters": eligible, "present_voters": len(attendee_ids), "counted_from": counted_from,
            "attendee_ids": list(attendee_ids)}


def _vote_facts(meeting_date, voters: dict, yes, no, abstain) -> dict:
    return {"meeting_date": meeting_date, **voters, "yes": yes, "no": no, "abstain": abstain}


class Admission(PipelineSteps):
    """candidate -> probationary -> full."""

    # ---- candidate ----------------------------------------------------------
    def assign_sponsors(self, rules: MemberRules, *, today, assigned_on, sponsors: list[MemberView],
                        decided_by=None, note=None):
        self._at("assign-sponsors", "activist", "candidate")
        self._no_vote_yet("assign-sponsors")
        not_future(assigned_on, today, "assigned_on")
        not_before(assigned_on, self.activist_on, "the activist designation", "assigned_on")
        distinct([s.id for s in sponsors], "sponsor_ids")
        if len(sponsors) != rules.sponsors_required:
            raise RuleViolation("members.pipeline.sponsor_count",
                                f"a candidate has {rules.sponsors_required} sponsors; {len(sponsors)} given",
                                {"sponsor_ids": len(sponsors)})
        for sponsor in sponsors:
            if sponsor.id == self.id or not sponsor.in_good_standing:
                raise RuleViolation("members.pipeline.sponsor_full_member",
                                    f"a sponsor must be another full member in good standing (not "
                                    f"probationary, not suspended); {sponsor.id} is {sponsor.stage}, "
                                    f"{sponsor.status}", {"sponsor_ids": sponsor.id})
        warnings = [{"rule": "members.pipeline.sponsor_same_branch",
                     "message": f"sponsor {s.id} is of another branch; sponsors are normally of the same branch"}
                    for s in sponsors if s.org_id != self.org_id]
        self._step(SponsorsAssigned, rules, decided_by, note, assigned_on=assigned_on,
                   sponsors=[{"member_id": s.id, "name": s.name, "org_id": s.org_id,
                              "same_branch": s.org_id == self.org_id} for s in sponsors],
                   warnings=warnings)

    @when(SponsorsAssigned)
    def when_sponsors_assigned(self, payload):
        self.sponsors = list(payload["sponsors"])

    def _no_vote_yet(self, step):
        if self.vote is not None:
            raise Conflict(f"the admission vote was held on {self.vote['meeting_date'].isoformat()}; "
                           f"{step} is no longer possible", {"meeting_date": self.vote["meeting_date"].isoformat()})

    def record_political_review(self, rules: MemberRules, *, today, reviewed_on, passed, decided_by=None, note=None):
        """A review may be recorded again before the vote; the latest counts."""
        self._at("record-political-review", "candidate")
        self._no_vote_yet("record-political-review")
        not_future(reviewed_on, today, "reviewed_on")
        not_before(reviewed_on, self.activist_on, "the activist designation", "reviewed_on")
        self._step(PoliticalReviewRecorded, rules, decided_by, note, reviewed_on=reviewed_on,
                   passed=passed)

    @when(PoliticalReviewRecorded)
    def when_political_review_recorded(self, payload):
        self.review = {"reviewed_on": payload["reviewed_on"], "passed": payload["passed"]}

    def record_training(self, rules: MemberRules, *, today, completed_on, days=0, class_hours=0, course=None,
                        decided_by=None, note=None):
        self._at("record-training", "candidate")
        self._no_vote_yet("record-training")
        not_future(completed_on, today, "completed_on")
        not_before(completed_on, self.activist_on, "the activist designation", "completed_on")
        if days < 0 or class_hours < 0 or days + class_hours == 0:
            raise InvalidInput("give the days or class hours of training", {"days": days, "class_hours": class_hours})
        self._step(TrainingRecorded, rules, decided_by, note, completed_on=completed_on, days=days,
                   class_hours=class_hours, course=course,
                   total_days=sum(t["days"] for t in self.training) + days,
                   total_class_hours=sum(t["class_hours"] for t in self.training) + class_hours)

    @when(TrainingRecorded)
    def when_training_recorded(self, payload):
        self.training.append({k: payload[k] for k in ("completed_on", "days", "class_hours")})

    def admission_vote(self, rules: MemberRules, *, today, meeting_date, yes, no, abstain, on_record=frozenset(),
                       eligible_voters=None, present_voters=None, attendee_ids=None, decided_by=None, note=None):
        """Recorded only if it passes: a vote without quorum or majority is
        refused. ``on_record``: the branch's voters on the meeting date, by
        the member records (``count_voters``)."""
        self._at("admission-vote", "candidate")
        self._no_vote_yet("admission-vote")
        not_future(meeting_date, today, "meeting_date")
        not_before(meeting_date, self.candidate_on, "becoming a candidate", "meeting_date")
        if len(self.sponsors) < rules.sponsors_required:
            raise RuleViolation("members.pipeline.sponsors_required",
                                f"{rules.sponsors_required} sponsors must be assigned before the admission vote",
                                {"sponsors": len(self.sponsors)})
        if self.review is None or not self.review["passed"] or self.review["reviewed_on"] > meeting_date:
            raise RuleViolation("members.pipeline.political_review",
                                "a passed political review must be recorded before the admission vote",
                                {"political_review": "passed review before the meeting required"})
        trained = [t for t in self.training if t["completed_on"] <= meeting_date]
        days, hours = sum(t["days"] for t in trained), sum(t["class_hours"] for t in trained)
        if days < rules.training_min_days and hours < rules.training_min_class_hours:
            raise RuleViolation("members.pipeline.training",
                                f"training of at least {rules.training_min_days} days or "
                                f"{rules.training_min_class_hours} class hours must be completed before the "
                                f"admission vote; {days} days and {hours} hours recorded",
                                {"days": days, "class_hours": hours})
        voters = count_voters(on_record, meeting_date, eligible_voters, present_voters, attendee_ids)
        check_vote(rules, voters["eligible_voters"], voters["present_voters"], yes, no, abstain)
        self._step(AdmissionVoted, rules, decided_by, note, **_vote_facts(meeting_date, voters, yes, no, abstain),
                   approval_due_on=add_months(meeting_date, rules.approval_window_months),
                   approval_due_on_special=add_months(meeting_date, rules.approval_window_months_special))

    @when(AdmissionVoted)
    def when_admission_voted(self, payload):
        self.vote = {"meeting_date": payload["meeting_date"]}

    def approve_admission(self, rules: MemberRules, *, today, approved_on, special=False, decided_by=None,
                          note=None):
        self._at("approve-admission", "candidate")
        if self.vote is None:
            raise RuleViolation("members.pipeline.vote_required",
                                "the branch general meeting's admission vote must be recorded first",
                                {"admission_vote": "required"})
        not_future(approved_on, today, "approved_on")
        meeting_date = self.vote["meeting_date"]
        check_approval_window(rules, meeting_date, approved_on, special)
        self._step(AdmissionApproved, rules, decided_by, note, stage="probationary",
                   approved_on=approved_on, special=special, admitted_on=meeting_date,
                   probation_ends_on=add_months(meeting_date, rules.probation_months))

    @when(AdmissionApproved)
    def when_admission_approved(self, payload):
        self.admitted_on, self.probation_ends_on = payload["admitted_on"], payload["probation_ends_on"]

    # ---- probationary -------------------------------------------------------
    def _probation_over(self, day: dt.date, field: str):
        if day < self.probation_ends_on:
            raise RuleViolation("members.pipeline.probation_end",
                                f"probation ends on {self.probation_ends_on.isoformat()}; this is decided "
                                "on or after that day", {field: day.isoformat(),
                                                         "probation_ends_on": self.probation_ends_on.isoformat()})

    def confirm_full(self, rules: MemberRules, *, today, meeting_date, yes, no, abstain, approved_on,
                     on_record=frozenset(), eligible_voters=None, present_voters=None, attendee_ids=None,
                     special=False, decided_by=None, note=None):
        self._at("confirm-full", "probationary")
        not_future(meeting_date, today, "meeting_date")
        not_future(approved_on, today, "approved_on")
        self._probation_over(meeting_date, "meeting_date")
        voters = count_voters(on_record, meeting_date, eligible_voters, present_voters, attendee_ids)
        check_vote(rules, voters["eligible_voters"], voters["present_voters"], yes, no, abstain)
        check_approval_window(rules, meeting_date, approved_on, special)
        self._step(ConfirmedFull, rules, decided_by, note, stage="full",
                   **_vote_facts(meeting_date, voters, yes, no, abstain),
                   approved_on=approved_on, special=special, full_on=self.probation_ends_on)

    @when(ConfirmedFull)
    def when_confirmed_full(self, payload):
        self.full_on = payload["full_on"]

    def extend_probation(self, rules: MemberRules, *, today, decided_on, months, reason, approved_on=None,
                         decided_by=None, note=None):
        self._at("extend-probation", "probationary")
        if self.extensions >= rules.extensions_allowed:
            raise RuleViolation("members.pipeline.extension_once",
                                f"probation can be extended {rules.extensions_allowed} time(s) only",
                                {"extensions": self.extensions})
        if not rules.extension_min_months <= months <= rules.extension_max_months:
            raise RuleViolation("members.pipeline.extension_months",
                                f"probation is extended by {rules.extension_min_months} to "
                                f"{rules.extension_max_months} months; {months} given", {"months": months})
        not_future(decided_on, today, "decided_on")
        self._probation_over(decided_on, "decided_on")
        if approved_on is not None:
            not_future(approved_on, today, "approved_on")
            not_before(approved_on, decided_on, "the decision", "approved_on")
        self._step(ProbationExtended, rules, decided_by, note, decided_on=decided_on, months=months,
                   reason=reason, approved_on=approved_on, previous_ends_on=self.probation_ends_on,
                   probation_ends_on=add_months(self.probation_ends_on, months))

    @when(ProbationExtended)
    def when_probation_extended(self, payload):
        self.probation_ends_on = payload["probation_ends_on"]
        self.extensions += 1

    def cancel_probation(self, rules: MemberRules, *, today, decided_on, reason, decided_by=None, note=None):
        """The person is no longer a member: status left, stage stays probationary."""
        self._at("cancel-probation", "probationary", statuses=("active", "lost_contact"))
        not_future(decided_on, today, "decided_on")
        not_before(decided_on, self.admitted_on, "the admission", "decided_on")
        self._step(ProbationCancelled, rules, decided_by, note, status="left",
                   decided_on=decided_on, reason=reason)

    @when(ProbationCancelled)
    def when_probation_cancelled(self, payload):
        self.status_since = payload["decided_on"]
