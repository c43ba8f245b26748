"""The development pipeline (党员发展, docs/domain.md §2), mixins of ``Member``:

    applicant -> activist -> candidate -> probationary -> full

Each step is one method named like its step in
``shared.contracts.members.PIPELINE_STEPS`` (``record-talk`` ->
``record_talk``), judged by ``rules``: the set in force on the step's own
date. Every check the regulations allow software to make is made here and
refused with a ``RuleViolation`` naming the rule. Pure.

This module: applicant -> activist -> candidate; ``admission.py``: candidate
-> probationary -> full (sponsors, review, training, vote, approval,
probation)."""
from shared.aggregate import when
from shared.catalog.members import (
    ActivistDesignated, AssessmentRecorded, CandidateApproved, ContactsAssigned, TalkRecorded)
from shared.dates import not_future
from shared.errors import Conflict, InvalidInput, RuleViolation

from .checks import MemberView, distinct, not_before
from shared.dates import add_months, working_days
from .rules import MemberRules


class PipelineSteps:
    """What every step does first (``_at``) and last (``_step``)."""

    def _at(self, step: str, *stages: str, statuses=("active",)):
        if self.stage not in stages:
            raise RuleViolation("members.pipeline.stage",
                                f"{step} needs a member at stage {' or '.join(stages)}; this one is "
                                f"{self.stage}", {"stage": self.stage})
        if self.status not in statuses:
            raise RuleViolation("members.pipeline.active_status",
                                f"{step} needs an active member; this one is {self.status}",
                                {"status": self.status})

    def _step(self, event_cls, rules, decided_by=None, note=None, **facts):
        self._emit(event_cls, decided_by=decided_by, note=note, rules_version=rules.version, **facts)


class Pipeline(PipelineSteps):
    """applicant -> activist -> candidate."""

    # ---- applicant ----------------------------------------------------------
    def record_talk(self, rules: MemberRules, *, today, talked_on, talked_by, decided_by=None, note=None):
        self._at("record-talk", "applicant")
        if self.talked_on is not None:
            raise Conflict(f"the talk with this applicant was recorded on {self.talked_on.isoformat()}",
                           {"talked_on": self.talked_on.isoformat()})
        not_future(talked_on, today, "talked_on")
        not_before(talked_on, self.applied_on, "the application", "talked_on")
        due = self.talk_due_on
        self._step(TalkRecorded, rules, decided_by, note, talked_on=talked_on, talked_by=talked_by,
                   due_on=due, late=due is not None and talked_on > due)

    @when(TalkRecorded)
    def when_talk_recorded(self, payload):
        self.talked_on = payload["talked_on"]

    def designate_activist(self, rules: MemberRules, *, today, activist_on, filed_on=None, decided_by=None,
                           note=None):
        self._at("designate-activist", "applicant")
        not_future(activist_on, today, "activist_on")
        not_before(activist_on, self.applied_on, "the application", "activist_on")
        if filed_on is not None:
            not_future(filed_on, today, "filed_on")
            not_before(filed_on, activist_on, "the designation", "filed_on")
        self._step(ActivistDesignated, rules, decided_by, note, stage="activist",
                   activist_on=activist_on, filed_on=filed_on,
                   candidate_eligible_on=add_months(activist_on, rules.activist_min_months),
                   next_assessment_due_on=add_months(activist_on, rules.assessment_interval_months))

    @when(ActivistDesignated)
    def when_activist_designated(self, payload):
        self.activist_on = payload["activist_on"]

    # ---- activist -----------------------------------------------------------
    def assign_contacts(self, rules: MemberRules, *, today, assigned_on, contacts: list[MemberView],
                        decided_by=None, note=None):
        self._at("assign-contacts", "activist", "candidate")
        not_future(assigned_on, today, "assigned_on")
        not_before(assigned_on, self.activist_on, "the activist designation", "assigned_on")
        distinct([c.id for c in contacts], "contact_ids")
        if not rules.contacts_min <= len(contacts) <= rules.contacts_max:
            raise RuleViolation("members.pipeline.contact_count",
                                f"an activist has {rules.contacts_min} to {rules.contacts_max} contacts; "
                                f"{len(contacts)} given", {"contact_ids": len(contacts)})
        for contact in contacts:
            if contact.id == self.id or not contact.in_good_standing:
                raise RuleViolation("members.pipeline.contact_full_member",
                                    f"a contact must be another full member in good standing; "
                                    f"{contact.id} is {contact.stage}, {contact.status}",
                                    {"contact_ids": contact.id})
        self._step(ContactsAssigned, rules, decided_by, note, assigned_on=assigned_on,
                   contacts=[{"member_id": c.id, "name": c.name} for c in contacts])

    @when(ContactsAssigned)
    def when_contacts_assigned(self, payload):
        self.contacts = list(payload["contacts"])

    def record_assessment(self, rules: MemberRules, *, today, assessed_on, result, decided_by=None, note=None):
        self._at("record-assessment", "activist", "candidate")
        not_future(assessed_on, today, "assessed_on")
        not_before(assessed_on, self.last_assessed_on or self.activist_on or self.candidate_on,
                   "the previous assessment or the designation", "assessed_on")
        self._step(AssessmentRecorded, rules, decided_by, note, assessed_on=assessed_on,
                   result=result,
                   next_assessment_due_on=add_months(assessed_on, rules.assessment_interval_months))

    @when(AssessmentRecorded)
    def when_assessment_recorded(self, payload):
        self.last_assessed_on = payload["assessed_on"]

    def approve_candidate(self, rules: MemberRules, *, today, candidate_on, public_notice_from=None,
                          public_notice_to=None, filed_on=None, parent_approved_on=None, decided_by=None,
                          note=None):
        self._at("approve-candidate", "activist")
        not_future(candidate_on, today, "candidate_on")
        not_before(candidate_on, self.activist_on, "the activist designation", "candidate_on")
        eligible_on = add_months(self.activist_on, rules.activist_min_months)
        if candidate_on < eligible_on:
            raise RuleViolation("members.pipeline.activist_period",
                                f"a candidate must have been an activist for at least "
                                f"{rules.activist_min_months} months: eligible from {eligible_on.isoformat()}",
                                {"candidate_on": candidate_on.isoformat(), "eligible_on": eligible_on.isoformat()})
        notice_days = self._check_public_notice(rules, today, public_notice_from, public_notice_to)
        for field, day in (("filed_on", filed_on), ("parent_approved_on", parent_approved_on)):
            if day is not None:
                not_future(day, today, field)
                not_before(day, candidate_on, "the branch committee's decision", field)
        if rules.candidate_parent_approval and parent_approved_on is None:
            raise RuleViolation("members.pipeline.candidate_parent_approval",
                                f"under the {rules.version} rules the parent committee approves a candidate: "
                                "give parent_approved_on", {"parent_approved_on": "required"})
        self._step(CandidateApproved, rules, decided_by, note, stage="candidate",
                   candidate_on=candidate_on, public_notice_from=public_notice_from,
                   public_notice_to=public_notice_to, public_notice_working_days=notice_days,
                   filed_on=filed_on, parent_approved_on=parent_approved_on)

    def _check_public_notice(self, rules, today, start, end) -> int | None:
        if start is None or end is None:
            if rules.public_notice_working_days:
                raise RuleViolation("members.pipeline.public_notice",
                                    f"under the {rules.version} rules a candidate is publicly noticed for at "
                                    f"least {rules.public_notice_working_days} working days: give "
                                    "public_notice_from and public_notice_to", {"public_notice_from": "required"})
            return None
        if end < start:
            raise InvalidInput("public_notice_to is before public_notice_from", {"public_notice_to": end.isoformat()})
        not_future(end, today, "public_notice_to")
        not_before(start, self.activist_on, "the activist designation", "public_notice_from")
        days = working_days(start, end)
        if rules.public_notice_working_days and days < rules.public_notice_working_days:
            raise RuleViolation("members.pipeline.public_notice",
                                f"the public notice lasts at least {rules.public_notice_working_days} working "
                                f"days; {days} given", {"public_notice_to": end.isoformat(), "working_days": days})
        return days

    @when(CandidateApproved)
    def when_candidate_approved(self, payload):
        self.candidate_on = payload["candidate_on"]
