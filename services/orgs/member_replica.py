"""Who belongs where, as the members service's own events tell it.

Every ``members.*`` event carries the member's state after it (org_id,
group_id, stage, status), so one upsert per event, guarded by the member's
stream version, keeps this read model right whatever order events arrive
in. Rules that count members (founding needs full members, dissolving needs
none left) read it; until a unit has any member records, they fall back to
the counts declared in requests."""
from sqlalchemy import Column, Integer, String, Table, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from shared.catalog import catalog
from shared.catalog.members import MemberState
from shared.vocabulary import FINAL_STATUSES, IN_GOOD_STANDING
from shared.envelope import Envelope
from shared.readmodel import ReadModel

from .tables import metadata

member_roster = Table(
    "member_roster", metadata,
    Column("member_id", String(64), primary_key=True),
    Column("org_id", String(64), nullable=False, index=True),
    Column("group_id", String(64), index=True),
    Column("stage", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("version", Integer, nullable=False),
)

_UPSERT = {}  # dialect name -> the statement, compiled once


def _upsert(dialect_name: str):
    """The member's row as of the event, unless the row already shows a
    later (or the same) version: the row's own version is the guard, so a
    redelivered or overtaken event changes nothing, in one statement."""
    if dialect_name not in _UPSERT:
        statement = (postgresql if dialect_name == "postgresql" else sqlite).insert(member_roster)
        _UPSERT[dialect_name] = statement.on_conflict_do_update(
            index_elements=["member_id"],
            set_={column: statement.excluded[column] for column in ("org_id", "group_id", "stage", "status",
                                                                     "version")},
            where=member_roster.c.version < statement.excluded.version)
    return _UPSERT[dialect_name]


def apply_member_event(conn, envelope: Envelope):
    p = envelope.payload
    conn.execute(_upsert(conn.dialect.name), {
        "member_id": envelope.aggregate_id, "org_id": p["org_id"], "group_id": p.get("group_id"),
        "stage": p["stage"], "status": p["status"], "version": envelope.aggregate_version})


ROSTER = ReadModel("member_roster", [member_roster], source="members", guarded=True, handlers={
    cls: apply_member_event for cls in catalog if issubclass(cls, MemberState)})
"""Every members event carries the member's state after it (MemberState)."""


def _belonging(org_id: str):
    return or_(member_roster.c.org_id == org_id, member_roster.c.group_id == org_id)


def _known(conn, org_id: str) -> bool:
    return conn.execute(select(member_roster.c.member_id).where(_belonging(org_id)).limit(1)).first() is not None


def full_member_count(conn, org_id: str) -> int | None:
    """Full members in good standing of ``org_id``; None while it has no member records."""
    if not _known(conn, org_id):
        return None
    return conn.execute(select(func.count()).where(
        _belonging(org_id), member_roster.c.stage == "full",
        member_roster.c.status == IN_GOOD_STANDING)).scalar_one()


def member_count(conn, org_id: str) -> int | None:
    """Members (any stage) who still belong to ``org_id``; None while it has no records."""
    if not _known(conn, org_id):
        return None
    return conn.execute(select(func.count()).where(
        _belonging(org_id), member_roster.c.status.not_in(FINAL_STATUSES))).scalar_one()


def full_members_among(conn, member_ids: list[str]) -> int:
    """How many of ``member_ids`` are full members in good standing (unknown ids are not)."""
    return conn.execute(select(func.count()).where(
        member_roster.c.member_id.in_(member_ids), member_roster.c.stage == "full",
        member_roster.c.status == IN_GOOD_STANDING)).scalar_one()


def counts_by_org(conn, org_ids: list[str]) -> dict[str, dict]:
    """{org_id: {"full": n, "probationary": n}} of members who still belong,
    for those of ``org_ids`` (branches or groups) that have member records."""
    counts: dict[str, dict] = {}
    if not org_ids:
        return counts
    for column in (member_roster.c.org_id, member_roster.c.group_id):
        rows = conn.execute(
            select(column, member_roster.c.stage, member_roster.c.status, func.count())
            .where(column.in_(org_ids))
            .group_by(column, member_roster.c.stage, member_roster.c.status)).all()
        for org_id, stage, status, n in rows:
            entry = counts.setdefault(org_id, {"full": 0, "probationary": 0})
            if status not in FINAL_STATUSES and stage in entry:
                entry[stage] += n
    return counts
