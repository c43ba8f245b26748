"""Queries over the identity read model; plain dicts shaped like
shared.contracts.identity.SignInAccountOut (never a password hash)."""
from sqlalchemy import func, select

from shared.errors import NotFound

from .projections import account_by_username, account_roles, accounts


def page(items: list, total: int, limit: int, offset: int) -> dict:
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def account_dict(row) -> dict:
    return {"id": row.id, "username": row.username, "display_name": row.display_name, "kind": row.kind,
            "member_id": row.member_id, "roles": [{"role": g["role"], "org_id": g["org_id"]} for g in row.roles],
            "disabled": bool(row.disabled), "version": row.version, "created_at": row.created_at}


def get_account(conn, username: str) -> dict:
    row = account_by_username(conn, username)
    if row is None:
        raise NotFound(f"account {username} does not exist", {"username": username})
    return account_dict(row)


def list_accounts(conn, limit: int, offset: int, org_id: str | None = None) -> dict:
    """Accounts by username; with ``org_id``, those holding a role on that organisation."""
    query = select(accounts)
    if org_id is not None:
        query = query.where(accounts.c.id.in_(select(account_roles.c.account_id)
                                              .where(account_roles.c.org == org_id)))
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(query.order_by(accounts.c.username).limit(limit).offset(offset)).all()
    return page([account_dict(row) for row in rows], total, limit, offset)
