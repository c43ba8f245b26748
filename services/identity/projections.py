"""The identity read model ``ACCOUNTS`` (shared/readmodel.py), fed inline in
the transaction that appends each event: ``accounts`` (one row per account,
its grants as a JSON list) and ``account_roles`` (the same grants, one row
each, so that accounts are found by organisation). Credentials, sessions and
the sign-in throttle are not derived from events and are not part of it."""
from sqlalchemy import JSON, Boolean, Column, Integer, String, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from shared.catalog.identity import AccountCreated, AccountDisabled, PasswordChanged, RoleGranted, RoleRevoked
from shared.envelope import Envelope
from shared.errors import Conflict
from shared.readmodel import ReadModel
from shared.tables import UTCDateTime

from .tables import metadata


accounts = Table(
    "accounts", metadata,
    Column("id", String(64), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("member_id", String(64), index=True),
    Column("disabled", Boolean, nullable=False),
    Column("roles", JSON, nullable=False),  # [{"role", "org_id"}], in the order granted
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

account_roles = Table(
    "account_roles", metadata,
    Column("account_id", String(64), primary_key=True),
    Column("role", String(30), primary_key=True),
    Column("org_id", String(64), primary_key=True),  # "" for a grant without an organisation
    Column("position", Integer, nullable=False),
    Column("org", String(64), index=True),  # the organisation, or NULL
)


def _account_created(conn, e: Envelope):
    p = e.payload
    try:
        # No savepoint: the unit of work rolls the whole command back.
        conn.execute(insert(accounts).values(
            id=e.aggregate_id, username=p["username"], display_name=p["display_name"], kind=p["kind"],
            member_id=p["member_id"], disabled=False, roles=[], version=e.aggregate_version,
            created_at=e.occurred_at))
    except IntegrityError:
        raise Conflict(f"the username {p['username']!r} is taken", {"username": p["username"]}) from None


def _roles(conn, account_id: str) -> list[dict]:
    return list(conn.execute(select(accounts.c.roles).where(accounts.c.id == account_id)).scalar_one())


def _role_granted(conn, e):
    role, org_id = e.payload["role"], e.payload["org_id"]
    roles = _roles(conn, e.aggregate_id) + [{"role": role, "org_id": org_id}]
    conn.execute(insert(account_roles).values(account_id=e.aggregate_id, role=role, org_id=org_id or "",
                                              org=org_id, position=e.aggregate_version))
    _update(conn, e, roles=roles)


def _role_revoked(conn, e):
    role, org_id = e.payload["role"], e.payload["org_id"]
    roles = [g for g in _roles(conn, e.aggregate_id) if (g["role"], g["org_id"]) != (role, org_id)]
    conn.execute(delete(account_roles).where(account_roles.c.account_id == e.aggregate_id,
                                             account_roles.c.role == role,
                                             account_roles.c.org_id == (org_id or "")))
    _update(conn, e, roles=roles)


def _account_disabled(conn, e):
    _update(conn, e, disabled=True)


def _update(conn, e, **values):
    conn.execute(update(accounts).where(accounts.c.id == e.aggregate_id)
                 .values(version=e.aggregate_version, **values))


ACCOUNTS = ReadModel("accounts", tables=(accounts, account_roles), version=1, handlers={
    AccountCreated: _account_created,
    RoleGranted: _role_granted,
    RoleRevoked: _role_revoked,
    PasswordChanged: _update,
    AccountDisabled: _account_disabled,
})

project = ACCOUNTS.apply
READ_MODELS = (ACCOUNTS,)


# ---- reads the commands need ------------------------------------------------

def account_by_username(conn, username: str):
    return conn.execute(select(accounts).where(accounts.c.username == username)).first()


def account_by_id(conn, account_id: str):
    return conn.execute(select(accounts).where(accounts.c.id == account_id)).first()
