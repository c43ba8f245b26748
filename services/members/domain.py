"""The member aggregate: the record (registration, profile) here; its status
machine in ``status.py`` and its development pipeline in ``pipeline.py``
(applicant to candidate) and ``admission.py`` (candidate to full member).
Pure: dates, rule sets and facts from read models (the branch, other
members) are passed in.

Every event carries the member's state after it (org_id, group_id, stage,
status): ``_emit`` fills it in, ``_apply`` reads it back.

Personal data (ID number, phone) is validated here but never recorded in an
event: the command handler stores it in the members-only table."""
import datetime as dt

from shared.aggregate import Aggregate, when
from shared.catalog.members import (
    LegacyExceptionRecorded, MemberRegistered, PERSONAL_FIELDS, PersonalDataErased, ProfileUpdated)
from shared.catalog.transfers import MemberTransferClosed, MemberTransferCompleted, MemberTransferOpened
from shared.dates import not_future
from shared.errors import Conflict, InvalidInput, RuleViolation
from shared.identifiers import id_number_birth_date, id_number_problem, normalise_id_number, stage_date_problems
from shared.vocabulary import PROFILE_FIELDS, STAGE_DATES

from .checks import OrgView, check_branch
from shared.dates import add_months
from .admission import Admission
from .history import Judging, history_breaches
from .pipeline import Pipeline
from .rules import RULES, MemberRules
from .status import StatusMachine

_KEEP = object()


def check_id_number(id_number: str, birth_date: dt.date) -> str:
    """The normalised ID number; InvalidInput if malformed or if the birth
    date coded in it is not ``birth_date`` (messages omit the value)."""
    value = normalise_id_number(id_number)
    problem = id_number_problem(value)
    if problem:
        raise InvalidInput(problem, {"id_number": problem})
    if id_number_birth_date(value) != birth_date:
        message = "the birth date in the ID number does not match birth_date"
        raise InvalidInput(message, {"id_number": message})
    return value


def check_history(judging: Judging, stage: str, birth_date: dt.date, dates: dict,
                  legacy_exception: dict | None) -> list[dict]:
    """The rules a registration's history breaks, if a legacy exception
    accepts them; RuleViolation naming the first (and listing all) if none
    does; InvalidInput for an exception asked of a history that needs none."""
    breaches = history_breaches(judging, birth_date, dates)
    if breaches and not legacy_exception:
        first = breaches[0]
        hint = "" if stage == "applicant" else \
            "; a history that breaks it is entered only with a legacy_exception giving the reason"
        raise RuleViolation(first["rule"], first["message"] + hint, {**first["facts"], "breaches": breaches})
    if legacy_exception and not breaches:
        message = "this history breaks no rule: a legacy exception is not needed"
        raise InvalidInput(message, {"legacy_exception": message})
    return breaches


class Member(StatusMachine, Pipeline, Admission, Aggregate):
    aggregate_type = "member"

    def __init__(self, aggregate_id):
        super().__init__(aggregate_id)
        self.org_id = self.group_id = self.stage = self.status = None
        self.profile: dict = {}
        self.registered_on = None
        self.applied_on = self.activist_on = self.candidate_on = None
        self.admitted_on = self.full_on = self.probation_ends_on = None
        self.talk_due_on = self.talked_on = None
        self.status_since = self.lost_contact_since = self.suspended_on = None
        self.last_assessed_on = None
        self.contacts: list[dict] = []
        self.sponsors: list[dict] = []
        self.review = None
        self.training: list[dict] = []
        self.vote = None
        self.extensions = 0
        self.personal_data_erased = False

    @property
    def created(self) -> bool:
        """False for a stream of another aggregate type loaded by mistake."""
        return self.stage is not None

    @property
    def name(self) -> str:
        return self.profile.get("name", "")

    def _apply(self, event_type, payload):
        if event_type.startswith("members."):
            self.org_id, self.group_id = payload["org_id"], payload["group_id"]
            self.stage, self.status = payload["stage"], payload["status"]
        super()._apply(event_type, payload)

    @when(MemberTransferOpened, MemberTransferClosed, MemberTransferCompleted)
    def when_transfer_event(self, payload):
        """The member's side of a transfer is decided by ``transfers.member.TransferringMember``,
        which overrides these appliers. A member command only needs the state every ``members.*``
        event carries (the new branch included), which ``_apply`` has taken already."""

    def _emit(self, event_cls, *, org_id=_KEEP, group_id=_KEEP, stage=None, status=None, **facts):
        """Record an ``event_cls`` with the member's state after it."""
        return self.record(event_cls(org_id=self.org_id if org_id is _KEEP else org_id,
                                     group_id=self.group_id if group_id is _KEEP else group_id,
                                     stage=stage or self.stage, status=status or self.status, **facts))

    # ---- registration --------------------------------------------------------
    @classmethod
    def register(cls, member_id, *, rules: MemberRules | None, today: dt.date, branch: OrgView,
                 group: OrgView | None, name: str, gender: str, birth_date: dt.date, ethnicity: str,
                 education: str, employer: str, id_number: str, phone: str, stage: str,
                 applied_on=None, activist_on=None, candidate_on=None, admitted_on=None, full_on=None,
                 registered_on: dt.date | None = None, legacy_exception: dict | None = None,
                 judging: Judging = RULES.judging) -> "Member":
        """``rules``: the set in force on the date of ``stage`` (None for a
        full member), for the deadlines that follow from it. The history (the
        date of every step up to ``stage``) is checked by ``history_breaches``
        under ``judging``, the rule set of each act's date; a breach is refused
        unless ``legacy_exception`` ({reason, reference}) accepts it, which is
        recorded with the registration."""
        registered_on = registered_on or today
        not_future(registered_on, today, "registered_on")
        check_branch(branch, group)
        check_id_number(id_number, birth_date)
        if not (phone or "").strip():
            raise InvalidInput("a phone number is required", {"phone": "required"})
        dates = {"applied_on": applied_on, "activist_on": activist_on, "candidate_on": candidate_on,
                 "admitted_on": admitted_on, "full_on": full_on}
        problems = stage_date_problems(stage, dates, birth_date)
        if stage not in STAGE_DATES:
            problems["stage"] = f"unknown stage {stage!r}"
        if problems:
            raise InvalidInput("the stage dates are incomplete or out of order", problems)
        for field, day in dates.items():
            if day is not None and day > registered_on:
                raise InvalidInput(f"{field} {day.isoformat()} is after registered_on", {field: day.isoformat()})
        if stage != "full" and rules is None:
            raise InvalidInput(f"a member at stage {stage} is judged by the rules in force", {"stage": stage})
        breaches = check_history(judging, stage, birth_date, dates, legacy_exception)
        derived = {"probation_ends_on": None, "talk_due_on": None, "candidate_eligible_on": None,
                   "next_assessment_due_on": None}
        if stage == "applicant":
            derived["talk_due_on"] = add_months(applied_on, rules.talk_within_months)
        if stage == "activist":
            derived["candidate_eligible_on"] = add_months(activist_on, rules.activist_min_months)
        if stage in ("activist", "candidate"):
            derived["next_assessment_due_on"] = add_months(dates[STAGE_DATES[stage]],
                                                           rules.assessment_interval_months)
        if stage == "probationary":
            derived["probation_ends_on"] = add_months(admitted_on, rules.probation_months)
        member = cls(member_id)
        member._emit(MemberRegistered, org_id=branch.id, group_id=group.id if group else None,
                     stage=stage, status="active", name=name, gender=gender, birth_date=birth_date,
                     ethnicity=ethnicity, education=education, employer=employer,
                     registered_on=registered_on, **dates, **derived,
                     rules_version=rules.version if rules else None)
        if breaches:
            member._emit(LegacyExceptionRecorded, reason=legacy_exception["reason"],
                         reference=legacy_exception.get("reference"), breaches=breaches, recorded_on=registered_on)
        return member

    @when(MemberRegistered)
    def when_member_registered(self, payload):
        self.profile = {field: payload[field] for field in PROFILE_FIELDS}
        self.registered_on = payload["registered_on"]
        for field in ("applied_on", "activist_on", "candidate_on", "admitted_on", "full_on",
                      "probation_ends_on", "talk_due_on"):
            setattr(self, field, payload[field])

    @when(LegacyExceptionRecorded)
    def when_legacy_exception_recorded(self, payload):
        """Shown on the member and listed for the district (the read model); the aggregate's rules
        go on from the history as it was entered."""

    # ---- profile -------------------------------------------------------------
    def update_profile(self, *, today: dt.date, current_personal: dict, changes: dict,
                       group: OrgView | None = None, updated_on: dt.date | None = None) -> list[str]:
        """Apply ``changes`` (profile fields, ``id_number``, ``phone``,
        ``group_id``); ``current_personal`` holds the stored ID number and
        phone, ``group`` the party group named by a non-null ``group_id``.
        Returns the names of the fields that changed (no event if none)."""
        updated_on = updated_on or today
        not_future(updated_on, today, "updated_on")
        profile = dict(self.profile)
        changed = [f for f in PROFILE_FIELDS if f in changes and changes[f] != profile[f]]
        profile.update({f: changes[f] for f in changed})
        id_number = changes.get("id_number", current_personal.get("id_number"))
        if id_number is not None and ("id_number" in changes or "birth_date" in changed):
            id_number = check_id_number(id_number, profile["birth_date"])  # none left after an erasure
        for field in ("id_number", "phone"):
            value = id_number if field == "id_number" else changes.get("phone")
            if field in changes and value != current_personal.get(field):
                changed.append(field)
        group_id = self.group_id
        if "group_id" in changes and changes["group_id"] != self.group_id:
            group_id = changes["group_id"]
            if group_id is not None:
                check_branch(OrgView(self.org_id, "branch", "active"), group)
            changed.append("group_id")
        if changed:
            self._emit(ProfileUpdated, group_id=group_id, **profile, updated_on=updated_on,
                       changed=[f for f in changed if f not in PERSONAL_FIELDS],
                       personal_data_changed=[f for f in changed if f in PERSONAL_FIELDS])
        return changed

    @when(ProfileUpdated)
    def when_profile_updated(self, payload):
        self.profile = {field: payload[field] for field in PROFILE_FIELDS}

    # ---- erasure of personal data ----------------------------------------------
    def erase_personal_data(self, *, today: dt.date, reason: str, erased_on: dt.date | None = None):
        """Record that the ID number and phone are erased (once)."""
        erased_on = erased_on or today
        not_future(erased_on, today, "erased_on")
        if self.personal_data_erased:
            raise Conflict(f"the personal data of member {self.id} was erased already", {"id": self.id})
        self._emit(PersonalDataErased, reason=reason, erased_on=erased_on)

    @when(PersonalDataErased)
    def when_personal_data_erased(self, payload):
        self.personal_data_erased = True
