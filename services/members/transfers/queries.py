"""Queries over the ``transfers`` read model (and the event store, for a
transfer's timeline). They return plain dicts shaped like the response
schemas in shared.contracts.transfers; ``today`` says whether a letter has
expired (the sweep records it, this shows it the same day)."""
import datetime as dt

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from shared import codec
from shared.contracts.transfers import FINAL_TRANSFER_STATES, PENDING_TRANSFER_STATES
from shared.errors import Conflict, NotFound
from shared.vocabulary import BRANCH_KINDS

from ..org_replica import known_orgs, org_kind, subtree_ids
from ..projections import members
from .projections import transfers

_from, _to = aliased(known_orgs), aliased(known_orgs)
DUES = ("paid_up_to", "outstanding", "settled", "source")


def page(items: list, total: int, limit: int, offset: int) -> dict:
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def _query():
    return (select(transfers, _from.c.name.label("from_org_name"), _to.c.name.label("to_org_name"))
            .join(_from, _from.c.id == transfers.c.from_org_id, isouter=True)
            .join(_to, _to.c.id == transfers.c.to_org_id, isouter=True))


def transfer_dict(row, today: dt.date) -> dict:
    t = dict(row._mapping)
    letter = None
    if t["letter_number"] is not None:
        letter = {"number": t["letter_number"], "serial": t["letter_serial"], "issuer_id": t["letter_issuer_id"],
                  "reference": t["letter_reference"], "issued_on": t["issued_on"],
                  "valid_until": t["valid_until"], "rules_version": t["letter_rules_version"],
                  "expired": t["state"] == "letter_expired" or (t["state"] == "letter_issued"
                                                                and today > t["valid_until"]),
                  "dues": {name: t[f"dues_{name}"] for name in DUES}}
    for column in ("letter_number", "letter_serial", "letter_issuer_id", "letter_reference", "issued_on", "valid_until", "letter_rules_version",
                   "from_parent_id", "to_parent_id", "from_group_id", "updated_at", *(f"dues_{n}" for n in DUES)):
        t.pop(column)
    t["letter"] = letter
    t["final"] = t["state"] in FINAL_TRANSFER_STATES
    return t


def _timeline(conn, store, transfer_id: str) -> list[dict]:
    return [{"event_type": e.event_type, "version": e.aggregate_version, "occurred_at": e.occurred_at.isoformat(),
             "actor": e.actor, "state": e.payload["state"], "payload": codec.to_jsonable(e.payload)}
            for e in store.load_stream(conn, transfer_id)]


def get_transfer(conn, store, transfer_id: str, today: dt.date) -> dict:
    """The transfer with its timeline: its events, oldest first."""
    row = conn.execute(_query().where(transfers.c.id == transfer_id)).first()
    if row is None:
        raise NotFound(f"transfer {transfer_id} does not exist", {"id": transfer_id})
    return {**transfer_dict(row, today), "timeline": _timeline(conn, store, transfer_id)}


def letter_document(conn, transfer_id: str, today: dt.date) -> dict:
    """What the printed letter shows, as issued (``LetterDocumentOut``): the
    serial, both organisations and the issuer by name, the member, the
    validity and the dues on it. Conflict if no letter was issued."""
    row = conn.execute(_query().where(transfers.c.id == transfer_id)).first()
    if row is None:
        raise NotFound(f"transfer {transfer_id} does not exist", {"id": transfer_id})
    if row.letter_number is None:
        raise Conflict(f"transfer {transfer_id} is {row.state}: no letter was issued", {"state": row.state})
    member = conn.execute(select(members.c.name, members.c.gender, members.c.ethnicity, members.c.stage)
                          .where(members.c.id == row.member_id)).first()
    issuer = conn.execute(select(known_orgs.c.name).where(known_orgs.c.id == row.letter_issuer_id)).scalar()
    t = transfer_dict(row, today)
    return {"transfer_id": row.id, "state": row.state, **t["letter"], "issuer_name": issuer,
            "from_org_name": row.from_org_name, "to_org_name": row.to_org_name, "scope": row.scope,
            "grounds": row.grounds, "member": {"id": row.member_id, "name": member.name if member else row.member_name,
                                               "gender": member.gender if member else None,
                                               "ethnicity": member.ethnicity if member else None,
                                               "stage": member.stage if member else None}}


def _paged(conn, where, limit, offset, today) -> dict:
    total = conn.execute(select(func.count()).select_from(transfers).where(*where)).scalar_one()
    rows = conn.execute(_query().where(*where).order_by(transfers.c.requested_on.desc(), transfers.c.id)
                        .limit(limit).offset(offset)).all()
    return page([transfer_dict(row, today) for row in rows], total, limit, offset)


def list_org_transfers(conn, org_id: str, *, today: dt.date, state: str | None = None, side: str | None = None,
                       limit: int = 50, offset: int = 0, scope: str = "subtree") -> dict:
    """Transfers out of (``sending``) or into (``receiving``) the organisation's
    scope, or both, newest request first: with ``scope`` subtree (the
    default) every branch below it (one recursive query, whatever the depth);
    with org, a committee sees those of the branches directly under it."""
    kind = org_kind(conn, org_id)
    if scope == "subtree" and kind not in BRANCH_KINDS:
        tree = select(subtree_ids(org_id).c.id)
        sending, receiving = transfers.c.from_org_id.in_(tree), transfers.c.to_org_id.in_(tree)
    else:
        sending = or_(transfers.c.from_org_id == org_id, transfers.c.from_parent_id == org_id)
        receiving = or_(transfers.c.to_org_id == org_id, transfers.c.to_parent_id == org_id)
    where = [{"sending": sending, "receiving": receiving}.get(side, or_(sending, receiving))]
    if state is not None:
        where.append(transfers.c.state == state)
    return _paged(conn, where, limit, offset, today)


def list_member_transfers(conn, member_id: str, *, today: dt.date, limit: int = 50, offset: int = 0) -> dict:
    if conn.execute(select(members.c.id).where(members.c.id == member_id)).first() is None:
        raise NotFound(f"member {member_id} does not exist", {"id": member_id})
    return _paged(conn, [transfers.c.member_id == member_id], limit, offset, today)


# ---- what the saga and the sweep read -------------------------------------------------

def sweep_candidates(conn, today: dt.date) -> list:
    """Rows the sweep may have to act on (transfers.saga.sweep_actions decides):
    issued letters past their validity, accepted transfers past their
    report-in window, reported-in transfers not yet completed."""
    return conn.execute(select(transfers.c.id, transfers.c.state, transfers.c.valid_until,
                               transfers.c.report_due_on).where(or_(
                                   (transfers.c.state == "letter_issued") & (transfers.c.valid_until < today),
                                   (transfers.c.state == "accepted") & (transfers.c.report_due_on < today),
                                   transfers.c.state == "reported_in")).order_by(transfers.c.id)).all()


def pending_into(conn, org_id: str) -> list[str]:
    """Open transfers whose receiving branch is ``org_id``."""
    return conn.execute(select(transfers.c.id).where(
        transfers.c.to_org_id == org_id, transfers.c.state.in_(PENDING_TRANSFER_STATES))
        .order_by(transfers.c.id)).scalars().all()


def pending_into_dissolved(conn) -> list[str]:
    """Open transfers whose receiving branch has been dissolved (the sweep
    cancels them, should the consumer of the dissolution have missed one)."""
    return conn.execute(select(transfers.c.id).join(known_orgs, known_orgs.c.id == transfers.c.to_org_id).where(
        known_orgs.c.status == "dissolved", transfers.c.state.in_(PENDING_TRANSFER_STATES))
        .order_by(transfers.c.id)).scalars().all()
