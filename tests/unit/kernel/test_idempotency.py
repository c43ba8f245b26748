"""Idempotent commands (shared/idempotency.py): one effect and one answer
per idempotency key, a different request under a used key refused."""
import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shared.errors import Conflict
from shared import idempotency
from shared.idempotency import once, request_digest
from shared.store import UnitOfWork
from shared.tables import command_keys, events

from .conftest import Account

REQUEST = {"holder": "王芳", "balance": "10.00"}


@pytest.fixture
def open_once(db, store):
    """``once`` over a command that opens a new account and answers its id."""
    def run_once(key, request=REQUEST, command="unit.open_account"):
        def open_account(uow):
            account = Account(str(uuid.uuid4()))
            account.open(request["holder"], Decimal(request["balance"]), dt.date(2024, 1, 1))
            uow.save(account)
            return account.id
        return once(lambda: UnitOfWork(db, store), db.connect, command, key, request, open_account, "s3cret")
    return run_once


def accounts(db):
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(events)).scalar_one()


def test_without_a_key_every_call_runs(db, open_once):
    assert open_once(None) != open_once(None)
    assert accounts(db) == 2


def test_a_retry_under_the_same_key_answers_the_first_id_and_does_nothing(db, open_once):
    first = open_once("client-1:k1")
    assert open_once("client-1:k1") == first == open_once("client-1:k1")
    assert accounts(db) == 1


def test_the_same_key_for_a_different_request_is_a_conflict_naming_the_key(db, open_once):
    open_once("client-1:k1")
    with pytest.raises(Conflict) as refused:
        open_once("client-1:k1", {**REQUEST, "balance": "20.00"})
    assert refused.value.fields == {"idempotency_key": "client-1:k1"}
    assert "different request" in refused.value.message
    assert accounts(db) == 1


def test_keys_are_per_command(db, open_once):
    assert open_once("k", command="unit.open_account") != open_once("k", command="unit.open_savings")
    assert accounts(db) == 2


def test_a_twin_that_committed_first_gives_its_answer_instead_of_the_conflict(db, store, open_once, monkeypatch):
    """A redelivered call and its original run at once: the twin commits
    between this run's look-up and its write, and this run's write then
    conflicts with the twin's (the ID number is registered)."""
    twin = open_once("client-1:k1")
    looked_up = []

    def recorded_after_the_first_look(conn, command, key, digest):
        looked_up.append(key)
        return None if len(looked_up) == 1 else real_recorded(conn, command, key, digest)

    def conflicts_with_the_twin(uow):
        raise Conflict("a member with this ID number is already registered", {"id_number": "taken"})

    real_recorded = idempotency.recorded
    monkeypatch.setattr(idempotency, "recorded", recorded_after_the_first_look)
    assert once(lambda: UnitOfWork(db, store), db.connect, "unit.open_account", "client-1:k1", REQUEST,
                conflicts_with_the_twin, "s3cret") == twin
    with pytest.raises(Conflict, match="already registered"):  # without a twin, the conflict is the answer
        once(lambda: UnitOfWork(db, store), db.connect, "unit.open_account", "client-1:k2", REQUEST,
             conflicts_with_the_twin, "s3cret")


def test_the_recorded_digest_is_keyed_and_never_the_request(db, open_once):
    open_once("client-1:k1")
    with db.connect() as conn:
        digest = conn.execute(select(command_keys.c.request_hash)).scalar_one()
    assert digest == request_digest(REQUEST, "s3cret") != request_digest(REQUEST)
    assert "王芳" not in digest and len(digest) == 64
