"""Read models of the members service, all on ``metadata``:

- ``members`` (here): one row per member, kept by ``project``, which the
  event store calls inline in the transaction that appends each event;
- ``personal_data`` (personal.py): ID number and phone, written by the
  command handlers in that same transaction (never in an event, the outbox
  or a log);
- ``known_orgs`` (org_replica.py): organisations as orgs' events describe
  them, kept through the idempotent inbox.

And the reads command handlers need for their rules. Queries for callers are
in queries.py."""
from sqlalchemy import JSON, Column, Date, Index, Integer, String, Table, select, update

from shared import codec
from shared.catalog.members import (
    ActivistDesignated, AdmissionApproved, AdmissionVoted, AssessmentRecorded, CandidateApproved,
    ConfirmedFull, ContactsAssigned, LegacyExceptionRecorded, MemberRegistered, PoliticalReviewRecorded, ProbationCancelled,
    ProbationExtended, ProfileUpdated, SponsorsAssigned, StatusChanged, TalkRecorded, TrainingRecorded)
from shared.catalog.transfers import MemberTransferClosed, MemberTransferCompleted, MemberTransferOpened
from shared.envelope import Envelope
from shared.readmodel import ReadModel

from .checks import MemberView
from .tables import metadata


members = Table(
    "members", metadata,
    Column("id", String(64), primary_key=True),
    Column("org_id", String(64), nullable=False, index=True),
    Column("group_id", String(64)),
    Column("stage", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("name", String(100), nullable=False),
    Column("gender", String(10), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("ethnicity", String(30), nullable=False),
    Column("education", String(50), nullable=False),
    Column("employer", String(100), nullable=False),
    Column("registered_on", Date, nullable=False),
    Column("applied_on", Date),
    Column("activist_on", Date),
    Column("candidate_on", Date),
    Column("admitted_on", Date),
    Column("full_on", Date),
    Column("probation_ends_on", Date),
    Column("talk_due_on", Date),
    Column("talked_on", Date),
    Column("candidate_eligible_on", Date),
    Column("next_assessment_due_on", Date),
    Column("approval_due_on", Date),
    Column("status_since", Date),
    # Facts shown as they were recorded (JSON, dates as ISO strings).
    Column("status_detail", JSON),
    Column("talk", JSON),
    Column("contacts", JSON, nullable=False),
    Column("assessments", JSON, nullable=False),
    Column("candidate_decision", JSON),
    Column("sponsors", JSON, nullable=False),
    Column("warnings", JSON, nullable=False),
    Column("political_review", JSON),
    Column("training", JSON, nullable=False),
    Column("admission_vote", JSON),
    Column("full_vote", JSON),
    Column("extension", JSON),
    Column("cancellation", JSON),
    Column("legacy_exception", JSON),
    Column("version", Integer, nullable=False),
    # A branch's list in its order (queries.list_members): its page is read
    # off this index, its total counted from it, without touching the rows.
    Index("ix_members_org_name", "org_id", "name", "id"),
)

# ---- the projector of members' own events -----------------------------------------

def _jsonable(value):
    return codec.to_jsonable(value)


def _facts(payload, *names) -> dict:
    return _jsonable({name: payload[name] for name in names})


STEP_FACTS = ("decided_by", "note")
VOTE_FACTS = ("meeting_date", "eligible_voters", "present_voters", "yes", "no", "abstain", "counted_from",
              "attendee_ids")


_REGISTERED_COLUMNS = ("org_id", "group_id", "stage", "status", "name", "gender", "birth_date", "ethnicity",
                       "education", "employer", "registered_on", "applied_on", "activist_on", "candidate_on",
                       "admitted_on", "full_on", "probation_ends_on", "talk_due_on", "candidate_eligible_on",
                       "next_assessment_due_on")
_INSERT_MEMBER = members.insert()  # one statement, compiled once: the values go as parameters


def registered_row(e: Envelope) -> dict:
    p = e.payload
    return {"id": e.aggregate_id, **{column: p[column] for column in _REGISTERED_COLUMNS},
            "status_detail": None, "contacts": [], "assessments": [], "sponsors": [], "warnings": [],
            "training": [], "version": e.aggregate_version}  # legacy_exception: SQL NULL (a JSON None is "null")


def _registered(conn, e: Envelope):
    conn.execute(_INSERT_MEMBER, registered_row(e))


def _profile_updated(conn, e):
    p = e.payload
    return {column: p[column] for column in ("name", "gender", "birth_date", "ethnicity", "education", "employer")}


def _status_changed(conn, e):
    p = e.payload
    row = member_row(conn, e.aggregate_id)
    detail = dict(row.status_detail or {})
    detail.update(previous_status=p["previous_status"], reason=p["reason"], grounds=p["grounds"])
    if p["status"] == "lost_contact":
        detail["lost_contact_since"] = p["changed_on"]
    elif p["status"] == "suspended":
        detail["suspended_on"] = p["changed_on"]
    elif p["status"] == "active":
        detail.update(lost_contact_since=None, suspended_on=None)
    return {"status_since": p["changed_on"], "status_detail": _jsonable(detail)}


def _talk(conn, e):
    p = e.payload
    return {"talked_on": p["talked_on"], "talk": _facts(p, "talked_on", "talked_by", "due_on", "late", *STEP_FACTS)}


def _activist(conn, e):
    p = e.payload
    return {"activist_on": p["activist_on"], "candidate_eligible_on": p["candidate_eligible_on"],
            "next_assessment_due_on": p["next_assessment_due_on"]}


def _contacts(conn, e):
    return {"contacts": _jsonable(e.payload["contacts"])}


def _assessment(conn, e):
    p = e.payload
    row = member_row(conn, e.aggregate_id)
    return {"assessments": [*row.assessments, _facts(p, "assessed_on", "result", "note", "decided_by")],
            "next_assessment_due_on": p["next_assessment_due_on"]}


def _candidate(conn, e):
    p = e.payload
    return {"candidate_on": p["candidate_on"], "candidate_eligible_on": None,
            "candidate_decision": _facts(p, "public_notice_from", "public_notice_to", "public_notice_working_days",
                                         "filed_on", "parent_approved_on", *STEP_FACTS)}


def _sponsors(conn, e):
    return {"sponsors": _jsonable(e.payload["sponsors"]), "warnings": _jsonable(e.payload["warnings"])}


def _review(conn, e):
    return {"political_review": _facts(e.payload, "reviewed_on", "passed", *STEP_FACTS)}


def _training(conn, e):
    row = member_row(conn, e.aggregate_id)
    return {"training": [*row.training, _facts(e.payload, "completed_on", "days", "class_hours", "course")]}


def _voted(conn, e):
    p = e.payload
    return {"approval_due_on": p["approval_due_on"],
            "admission_vote": _facts(p, *VOTE_FACTS, "approval_due_on", "approval_due_on_special", *STEP_FACTS)}


def _admitted(conn, e):
    p = e.payload
    row = member_row(conn, e.aggregate_id)
    vote = {**row.admission_vote, **_facts(p, "approved_on", "special")}
    return {"admitted_on": p["admitted_on"], "probation_ends_on": p["probation_ends_on"], "approval_due_on": None,
            "next_assessment_due_on": None, "admission_vote": vote}


def _confirmed(conn, e):
    p = e.payload
    return {"full_on": p["full_on"], "full_vote": _facts(p, *VOTE_FACTS, "approved_on", "special", *STEP_FACTS)}


def _legacy_exception(conn, e):
    return {"legacy_exception": _facts(e.payload, "reason", "reference", "breaches", "recorded_on")}


def _extended(conn, e):
    p = e.payload
    return {"probation_ends_on": p["probation_ends_on"],
            "extension": _facts(p, "decided_on", "months", "reason", "approved_on", "previous_ends_on", *STEP_FACTS)}


def _cancelled(conn, e):
    p = e.payload
    return {"status_since": p["decided_on"], "cancellation": _facts(p, "decided_on", "reason", *STEP_FACTS)}


CHANGES = {
    ProfileUpdated: _profile_updated,
    StatusChanged: _status_changed,
    TalkRecorded: _talk,
    ActivistDesignated: _activist,
    ContactsAssigned: _contacts,
    AssessmentRecorded: _assessment,
    CandidateApproved: _candidate,
    SponsorsAssigned: _sponsors,
    PoliticalReviewRecorded: _review,
    TrainingRecorded: _training,
    AdmissionVoted: _voted,
    AdmissionApproved: _admitted,
    ConfirmedFull: _confirmed,
    ProbationExtended: _extended,
    ProbationCancelled: _cancelled,
    LegacyExceptionRecorded: _legacy_exception,
    # Transfers (transfer_*.py): the branch changes only by transfer_completed, from the state it carries.
    MemberTransferOpened: lambda conn, e: {},
    MemberTransferClosed: lambda conn, e: {},
    MemberTransferCompleted: lambda conn, e: {},
}


def _changed(changes):
    """Every member event carries the state after it; ``changes`` adds its own facts."""
    def handler(conn, envelope: Envelope):
        p = envelope.payload
        conn.execute(update(members).where(members.c.id == envelope.aggregate_id).values(
            org_id=p["org_id"], group_id=p["group_id"], stage=p["stage"], status=p["status"],
            version=envelope.aggregate_version, **changes(conn, envelope)))
    return handler


# v2: the (org_id, name, id) index of a branch's list; v3: legacy_exception, votes' counted_from
MEMBERS = ReadModel("members", tables=(members,), version=3, handlers={
    MemberRegistered: _registered, **{cls: _changed(changes) for cls, changes in CHANGES.items()}},
    inserts={MemberRegistered: lambda e: [(members, registered_row(e))]})

project = MEMBERS  # the store's projector: applies events, or gives the rows of a registration


# ---- reads the command handlers' rules need ----------------------------------------------

def member_row(conn, member_id: str):
    return conn.execute(select(members).where(members.c.id == member_id)).first()


def member_view(conn, member_id: str) -> MemberView | None:
    row = member_row(conn, member_id)
    return None if row is None else MemberView(row.id, row.name, row.org_id, row.stage, row.status)


NOT_VOTING = ("suspended", "left", "expelled", "deceased")
"""Statuses without a vote at a branch meeting (a suspended member's rights are suspended)."""


def voters_on(conn, org_id: str, day) -> frozenset:
    """The ids of the branch's full members in good standing on ``day`` by
    the records: full by then, and not suspended, gone or dead by then (a
    status taken after ``day`` did not hold on it). Placement is today's:
    a member transferred in after ``day`` counts (transfers are rare beside
    meetings; the members' placement history is not kept)."""
    rows = conn.execute(select(members.c.id).where(
        members.c.org_id == org_id, members.c.stage == "full", members.c.full_on <= day,
        ~(members.c.status.in_(NOT_VOTING) & (members.c.status_since <= day))))
    return frozenset(rows.scalars())
