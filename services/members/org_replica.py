"""Organisations as the members service knows them from orgs' events
(``orgs.org_created``, ``orgs.branch_founded``, ``orgs.org_renamed``,
``orgs.org_dissolved``), for the registration rule: a member belongs to an
active branch or joint branch, optionally in a party group inside it."""
from sqlalchemy import Column, String, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from shared.catalog.orgs import BranchFounded, OrgCreated, OrgDissolved, OrgRenamed
from shared.envelope import Envelope
from shared.errors import NotFound
from shared.inbox import advance_version
from shared.readmodel import ReadModel

from .checks import OrgView
from .tables import metadata

known_orgs = Table(
    "known_orgs", metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(20)),  # None until the org's creating event arrives
    Column("parent_id", String(64), index=True),
    Column("name", String(200)),
    Column("status", String(20), nullable=False),
)



def _insert(conn, table):
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def _upsert_org(conn, org_id: str, insert_values: dict, update_values: dict):
    statement = _insert(conn, known_orgs).values(id=org_id, **insert_values)
    if update_values:
        statement = statement.on_conflict_do_update(index_elements=["id"], set_=update_values)
    else:
        statement = statement.on_conflict_do_nothing()
    conn.execute(statement)


def apply_org_event(conn, e: Envelope):
    """Keep ``known_orgs`` from one orgs event. Name and status each keep the
    aggregate version they were last set from (advance_version), so events
    delivered out of order (competing consumers) never regress them; the
    creating event always fills in kind and parent."""
    p, org_id, version = e.payload, e.aggregate_id, e.aggregate_version
    newer_name = e.event_type in ("orgs.org_created", "orgs.branch_founded", "orgs.org_renamed") and \
        advance_version(conn, "members.known_orgs.name", org_id, version)
    newer_status = e.event_type in ("orgs.org_created", "orgs.branch_founded", "orgs.org_dissolved") and \
        advance_version(conn, "members.known_orgs.status", org_id, version)
    status = "dissolved" if e.event_type == "orgs.org_dissolved" else "active"
    changes = {}
    if newer_name:
        changes["name"] = p["name"]
    if newer_status:
        changes["status"] = status
    if e.event_type in ("orgs.org_created", "orgs.branch_founded"):
        static = {"kind": p["kind"], "parent_id": p["parent_id"]}
        _upsert_org(conn, org_id, {**static, "name": p["name"], "status": status, **changes}, {**static, **changes})
    elif changes:
        _upsert_org(conn, org_id, {"status": "active", **changes}, changes)




KNOWN_ORGS = ReadModel("known_orgs", [known_orgs], source="orgs", handlers={
    cls: apply_org_event for cls in (OrgCreated, BranchFounded, OrgRenamed, OrgDissolved)})

def subtree_ids(org_id=None, roots=None):
    """The ids of an organisation (``org_id``, or the bound parameter of
    that name; or of each of ``roots``) and of every organisation below,
    as a recursive CTE: one query whatever the tree's depth. ``UNION`` (not
    ``ALL``) stops a cycle in bad data."""
    top = known_orgs.c.id.in_(list(roots)) if roots is not None else \
        known_orgs.c.id == (bindparam("org_id") if org_id is None else org_id)
    tree = select(known_orgs.c.id).where(top).cte("subtree", recursive=True)
    return tree.union(select(known_orgs.c.id).join(tree, known_orgs.c.parent_id == tree.c.id))


_KINDS: dict = {}
"""(database, org id) -> kind, for organisations whose row is known: a kind never changes."""
MAX_CACHED = 100_000


def org_kind(conn, org_id: str) -> str:
    """The organisation's kind (read once per process); NotFound for one
    this service does not know (yet)."""
    key = (str(conn.engine.url), org_id)
    if key not in _KINDS:
        kind = conn.execute(select(known_orgs.c.kind).where(known_orgs.c.id == org_id)).scalar()
        if kind is None:
            raise NotFound(f"organisation {org_id} is not known to the members service", {"org_id": org_id})
        if len(_KINDS) >= MAX_CACHED:
            _KINDS.clear()
        _KINDS[key] = kind
    return _KINDS[key]


_ORG = select(known_orgs).where(known_orgs.c.id == bindparam("org_id"))
_LOCKED_ORG = _ORG.with_for_update()


def org_view(conn, org_id: str, lock: bool = False) -> OrgView | None:
    """``lock`` holds the row until commit (a registration and the event that
    dissolves the branch serialise)."""
    row = conn.execute(_LOCKED_ORG if lock else _ORG, {"org_id": org_id}).first()
    return None if row is None else OrgView(row.id, row.kind, row.status, row.parent_id, row.name)
