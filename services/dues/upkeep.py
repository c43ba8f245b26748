"""Upkeep of the read models: facts about them (``dues_meta``), and the
reassessment of every schedule when the rule data changed (a revision
deployed): months from its date on are reassessed, earlier ones come out as
before."""
from sqlalchemy import select

from shared.codec import utcnow

from .projections import dues_accounts, dues_meta, fold_account, upsert, write_account


def meta(conn, key: str) -> str | None:
    return conn.execute(select(dues_meta.c.value).where(dues_meta.c.key == key)).scalar()


def set_meta(conn, key: str, value: str):
    upsert(conn, dues_meta, {"key": key, "value": value}, ("key",))


def refresh_schedules(db, fingerprint: str) -> int:
    """Recompute every schedule if the rule data changed since they were
    computed; returns how many accounts were refolded."""
    with db.connect() as conn:
        if meta(conn, "rules_fingerprint") == fingerprint:
            return 0
        member_ids = conn.execute(select(dues_accounts.c.member_id)).scalars().all()
    for member_id in member_ids:
        with db.begin() as conn:
            lock = select(dues_accounts.c.member_id).where(dues_accounts.c.member_id == member_id)
            conn.execute(lock if db.is_sqlite else lock.with_for_update())  # no command writes it meanwhile
            account = fold_account(conn, member_id)
            if account is not None:
                write_account(conn, account, account.version)
    with db.begin() as conn:
        set_meta(conn, "rules_fingerprint", fingerprint)
        set_meta(conn, "rules_refreshed_at", utcnow().isoformat())
    return len(member_ids)
