"""The ``transfers`` read model (on the saga's ``tables.metadata``): one
row per transfer, kept by ``project``, which the event store calls inline in
the transaction that appends each ``transfers.*`` event. Lists per
organisation and per member, the sweep's candidates and the member's open
transfer are read from it (transfers/queries.py)."""
from sqlalchemy import Boolean, Column, Date, Index, Integer, String, Table, Text, update

from shared.catalog.transfers import (
    LetterExpired, LetterIssued, LetterReissued, ReportOverdue, TransferAccepted, TransferApproved,
    TransferCancelled, TransferCompleted, TransferRejected, TransferReportedIn, TransferRequested,
    TransferResubmitted, TransferReturned, TransferWithdrawn)
from shared.envelope import Envelope
from shared.readmodel import ReadModel
from shared.tables import UTCDateTime

from .tables import metadata

transfers = Table(
    "transfers", metadata,
    Column("id", String(64), primary_key=True),
    Column("member_id", String(64), nullable=False, index=True),
    Column("member_name", String(100), nullable=False),
    Column("from_org_id", String(64), nullable=False, index=True),
    Column("from_parent_id", String(64), index=True),
    Column("from_group_id", String(64)),
    Column("to_org_id", String(64), nullable=False, index=True),
    Column("to_parent_id", String(64), index=True),
    Column("to_group_id", String(64)),
    Column("placed_group_id", String(64)),
    Column("scope", String(20), nullable=False),
    Column("grounds", String(30), nullable=False),
    Column("reason", Text),
    Column("state", String(20), nullable=False, index=True),
    Column("requested_on", Date, nullable=False),
    Column("approved_on", Date),
    Column("returned_reason", Text),
    Column("letter_number", Integer),
    Column("letter_serial", String(20)),
    Column("letter_issuer_id", String(64)),
    Column("letter_reference", String(100)),
    Column("issued_on", Date),
    Column("valid_until", Date),
    Column("letter_rules_version", String(20)),
    Column("dues_paid_up_to", String(7)),
    Column("dues_outstanding", String(20)),
    Column("dues_settled", Boolean),
    Column("dues_source", String(20)),
    Column("accepted_on", Date),
    Column("report_due_on", Date),
    Column("report_overdue", Boolean, nullable=False),
    Column("reported_on", Date),
    Column("completed_on", Date),
    Column("closed_on", Date),
    Column("close_reason", Text),
    Column("closed_by_side", String(20)),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
Index("ix_transfers_sweep", transfers.c.state, transfers.c.valid_until, transfers.c.report_due_on)


def _requested(e: Envelope) -> dict:
    p = e.payload
    return {column: p[column] for column in (
        "member_id", "member_name", "from_org_id", "from_parent_id", "from_group_id", "to_org_id", "to_parent_id",
        "to_group_id", "scope", "grounds", "reason", "requested_on")}


def _letter(e: Envelope) -> dict:
    p = e.payload
    return {"letter_number": p["number"], "letter_serial": p["serial"], "letter_issuer_id": p["issuer_id"],
            "letter_reference": p["reference"], "issued_on": p["issued_on"],
            "valid_until": p["valid_until"], "letter_rules_version": p["rules_version"],
            "dues_paid_up_to": p["dues_paid_up_to"], "dues_outstanding": p["dues_outstanding"],
            "dues_settled": p["dues_settled"], "dues_source": p["dues_source"]}


def _closed(date_field, side=False):
    def changes(e: Envelope) -> dict:
        p = e.payload
        return {"closed_on": p[date_field], "close_reason": p["reason"],
                **({"closed_by_side": p["side"]} if side else {})}
    return changes


CHANGES = {
    TransferApproved: lambda e: {"approved_on": e.payload["approved_on"]},
    TransferReturned: lambda e: {"returned_reason": e.payload["reason"]},
    TransferResubmitted: lambda e: {
        **{k: e.payload[k] for k in ("to_org_id", "to_parent_id", "to_group_id", "scope", "grounds", "reason")},
        "returned_reason": None},
    TransferWithdrawn: _closed("withdrawn_on"),
    TransferRejected: _closed("rejected_on", side=True),
    TransferCancelled: _closed("cancelled_on"),
    LetterIssued: _letter,
    LetterReissued: _letter,
    LetterExpired: lambda e: {},
    TransferAccepted: lambda e: {"accepted_on": e.payload["accepted_on"],
                                     "report_due_on": e.payload["report_due_on"]},
    ReportOverdue: lambda e: {"report_overdue": True},
    TransferReportedIn: lambda e: {"reported_on": e.payload["reported_on"],
                                        "placed_group_id": e.payload["placed_group_id"], "report_overdue": False},
    TransferCompleted: lambda e: {"completed_on": e.payload["completed_on"],
                                      "placed_group_id": e.payload["placed_group_id"]},
}


def _requested_row(conn, envelope: Envelope):
    conn.execute(transfers.insert().values(
        id=envelope.aggregate_id, state=envelope.payload["state"], report_overdue=False,
        version=envelope.aggregate_version, updated_at=envelope.occurred_at, **_requested(envelope)))


def _changed(changes):
    def handler(conn, envelope: Envelope):
        conn.execute(update(transfers).where(transfers.c.id == envelope.aggregate_id).values(
            state=envelope.payload["state"], version=envelope.aggregate_version, updated_at=envelope.occurred_at,
            **changes(envelope)))
    return handler


# v2: the letter's serial and issuer
TRANSFERS = ReadModel("transfers", tables=(transfers,), version=2, handlers={
    TransferRequested: _requested_row, **{cls: _changed(changes) for cls, changes in CHANGES.items()}})

project = TRANSFERS.apply
