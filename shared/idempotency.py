"""Commands that run once per idempotency key.

A client that got no answer (a timeout, a dropped connection, a replica
killed between its commit and its reply) sends the command again; so does
the broker, redelivering an RPC request whose worker died. Either way the
second run must answer as the first did, not refuse the caller's own write
as a conflict ("a member with this ID number is already registered").

The gateway sends every POST's ``Idempotency-Key`` (the client's, or one of
its own per HTTP request) with the call; a service's creating command runs
under ``once``. The key is recorded with a digest of the request and the id
of what the command created, in the command's own transaction: the record
exists exactly when the effect does. A retry with the same key and request
gets that id back (and the service answers from it, as the read model shows
it now, masked for whoever asks); the same key with a different request is
a 409 that says so. Keys are scoped by command, so one HTTP request may
drive several commands under one key.
"""
import hashlib
import hmac

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .codec import canonical, utcnow
from .errors import Conflict, DomainError
from .tables import command_keys

MAX_KEY_LENGTH = 200


def request_digest(request, secret: str | None = None) -> str:
    """SHA-256 of the canonical request, keyed (HMAC) with the service's
    secret where it has one: a request holds personal data, and a bare hash
    of it could be tested against guesses by whoever reads the table."""
    text = canonical(request).encode("utf-8")
    if secret:
        return hmac.new(secret.encode("utf-8"), text, hashlib.sha256).hexdigest()
    return hashlib.sha256(text).hexdigest()


def recorded(conn, command: str, key: str, digest: str) -> str | None:
    """The id the first run under ``key`` answered with; None if there was none."""
    row = conn.execute(select(command_keys.c.request_hash, command_keys.c.result_id).where(
        command_keys.c.command == command, command_keys.c.key == key)).first()
    if row is None:
        return None
    if row.request_hash != digest:
        raise Conflict("this Idempotency-Key was already used for a different request; "
                       "send a new key for a new request", {"idempotency_key": key})
    return row.result_id


def once(unit_of_work, connect, command: str, key: str | None, request, run, secret: str | None = None) -> str:
    """``run(uow)`` (which returns the id of what it made) at most once per
    ``key``; every retry returns the first run's id."""
    if key is None:
        with unit_of_work() as uow:
            return run(uow)
    digest = request_digest(request, secret)
    with connect() as conn:
        first = recorded(conn, command, key, digest)
    if first is not None:
        return first
    try:
        with unit_of_work() as uow:
            result = str(run(uow))
            uow.conn.execute(command_keys.insert().values(command=command, key=key, request_hash=digest,
                                                          result_id=result, created_at=utcnow()))
            return result
    except (DomainError, IntegrityError) as exc:
        # A twin under the same key committed first (its write made ours
        # conflict, or its key row beat ours): the answer is the twin's.
        with connect() as conn:
            first = recorded(conn, command, key, digest)
        if first is not None:
            return first
        if isinstance(exc, IntegrityError):
            raise Conflict("a concurrent request changed the same records; try again", {}) from None
        raise
