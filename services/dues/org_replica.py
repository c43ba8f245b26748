"""The organisation tree as the orgs service's events tell it, so that a
report for a committee adds up the branches of its subtree (a path prefix,
as in orgs' own ``org_tree``).

Organisations are separate streams, so a child may arrive before its
parent: it is kept without a path until the parent arrives, and then it and
everything under it get theirs."""
from sqlalchemy import Column, String, Table, Text, select, update

from shared.envelope import Envelope
from shared.ordering import in_order

from .projections import dues_meta, metadata, upsert

dues_orgs = Table(
    "dues_orgs", metadata,
    Column("id", String(64), primary_key=True),
    Column("parent_id", String(64), index=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("path", Text, index=True),  # "/<root id>/.../<id>/"; None until the parent is known
)

CONSUMER = "dues.org_tree"
ADDED = ("orgs.org_created", "orgs.branch_founded")


def follow_org_events(conn, envelope: Envelope):
    """An orgs event as it arrives: it and any of the organisation's events
    parked behind it, in version order (a dissolution applied before the
    creation would leave the organisation out of the tree)."""
    for event in in_order(conn, CONSUMER, envelope, seed_from="dues_orgs"):
        apply_org_event(conn, event)


def apply_org_event(conn, envelope: Envelope):
    if envelope.event_type not in ADDED + ("orgs.org_renamed", "orgs.org_dissolved"):
        return
    p, org_id = envelope.payload, envelope.aggregate_id
    # One tree change at a time: placing a child and its parent in two
    # concurrent transactions would each miss the other's uncommitted row.
    upsert(conn, dues_meta, {"key": "org_tree_lock", "value": envelope.event_id}, ("key",))
    if envelope.event_type in ADDED:
        upsert(conn, dues_orgs, {"id": org_id, "parent_id": p["parent_id"], "name": p["name"],
                                 "kind": p["kind"], "status": "active", "path": None}, ("id",))
        _place(conn, org_id)
    elif envelope.event_type == "orgs.org_renamed":
        conn.execute(update(dues_orgs).where(dues_orgs.c.id == org_id).values(name=p["name"]))
    else:
        conn.execute(update(dues_orgs).where(dues_orgs.c.id == org_id).values(status="dissolved"))


def _place(conn, org_id: str):
    """Give ``org_id`` its path if its parent has one, then its waiting children."""
    pending = [org_id]
    while pending:
        current = conn.execute(select(dues_orgs).where(dues_orgs.c.id == pending.pop())).first()
        if current.parent_id is None:
            path = f"/{current.id}/"
        else:
            parent_path = conn.execute(select(dues_orgs.c.path).where(dues_orgs.c.id == current.parent_id)).scalar()
            if parent_path is None:
                continue
            path = f"{parent_path}{current.id}/"
        conn.execute(update(dues_orgs).where(dues_orgs.c.id == current.id).values(path=path))
        pending.extend(conn.execute(select(dues_orgs.c.id).where(dues_orgs.c.parent_id == current.id))
                       .scalars().all())


def org(conn, org_id: str):
    return conn.execute(select(dues_orgs).where(dues_orgs.c.id == org_id)).first()


def subtree(conn, org_id: str) -> dict[str, str] | None:
    """{org id: name} of ``org_id`` and everything under it; None if the tree does not know it."""
    root = org(conn, org_id)
    if root is None or root.path is None:
        return None
    rows = conn.execute(select(dues_orgs.c.id, dues_orgs.c.name)
                        .where(dues_orgs.c.path.startswith(root.path, autoescape=True))).all()
    return {row.id: row.name for row in rows}


def names(conn, org_ids) -> dict[str, str]:
    rows = conn.execute(select(dues_orgs.c.id, dues_orgs.c.name).where(dues_orgs.c.id.in_(list(org_ids))))
    return {row.id: row.name for row in rows}

