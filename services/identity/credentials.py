"""Passwords: an argon2id hash per account in ``credentials``, written in the
command's transaction. A password or its hash is never put in an event, a
log line or an exception message."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Column, String, Table, Text, select, update

from shared.vocabulary import MAX_PASSWORD, MIN_PASSWORD
from shared.errors import InvalidInput

from .tables import metadata


credentials = Table(
    "credentials", metadata,
    Column("account_id", String(64), primary_key=True),
    Column("password_hash", Text, nullable=False),
)

hasher = PasswordHasher()
_dummy_hash = None


def _inline(fn, *args):
    return fn(*args)


offload = _inline
"""How a hash is computed: argon2 takes ~0.2 s of CPU by design, and in an
eventlet process it would stop every other green thread for that long, so
service.py sets this to ``eventlet.tpool.execute`` (argon2-cffi releases
the GIL). Commands and the CLI call it in line."""


def _hash(password: str) -> str:
    return offload(hasher.hash, password)


def dummy_hash() -> str:
    """A hash of no one's password, verified for an unknown username so that
    it takes as long as a wrong password does."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hasher.hash("not anyone's password: ejia identity timing")
    return _dummy_hash


def check_password(password, field: str = "password") -> str:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters",
                           {field: f"{MIN_PASSWORD} to {MAX_PASSWORD} characters"})
    return password


def set_password(conn, account_id: str, password: str, field: str = "password"):
    password_hash = _hash(check_password(password, field))
    done = conn.execute(update(credentials).where(credentials.c.account_id == account_id)
                        .values(password_hash=password_hash)).rowcount
    if not done:
        conn.execute(credentials.insert().values(account_id=account_id, password_hash=password_hash))


def verify(conn, account_id: str | None, password: str) -> bool:
    """Whether ``password`` is the account's; with no account (or no
    password set), a dummy hash is verified and the answer is False. A hash
    made with older parameters is replaced on success."""
    stored = None
    if account_id is not None:
        stored = conn.execute(select(credentials.c.password_hash)
                              .where(credentials.c.account_id == account_id)).scalar()
    try:
        offload(hasher.verify, stored or dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    if stored is None:
        return False
    if hasher.check_needs_rehash(stored):
        conn.execute(update(credentials).where(credentials.c.account_id == account_id)
                     .values(password_hash=_hash(password)))
    return True
