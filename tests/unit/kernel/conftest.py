import pytest
from marshmallow import Schema, fields

from shared.aggregate import Aggregate
from shared.catalog import EventCatalog
from shared.database import Database
from shared.store import EventStore


def make_catalog():
    catalog = EventCatalog()

    @catalog.event("unit.account_opened", 1)
    class AccountOpenedV1(Schema):
        holder = fields.String(required=True)

    @catalog.event("unit.account_opened", 2)
    class AccountOpened(Schema):
        holder = fields.String(required=True)
        balance = fields.Decimal(required=True, as_string=True, places=2)
        opened_on = fields.Date(required=True)

    @catalog.upcaster("unit.account_opened", 1)
    def _v1_to_v2(payload):
        return {**payload, "balance": "0.00", "opened_on": "2014-01-01"}

    @catalog.event("unit.deposit_made", 1)
    class DepositMade(Schema):
        amount = fields.Decimal(required=True, as_string=True, places=2)

    return catalog


class Account(Aggregate):
    aggregate_type = "account"

    def open(self, holder, balance, opened_on):
        self.record("unit.account_opened", holder=holder, balance=balance, opened_on=opened_on)

    def deposit(self, amount):
        self.record("unit.deposit_made", amount=amount)

    def when_account_opened(self, payload):
        self.holder = payload["holder"]
        self.balance = payload["balance"]

    def when_deposit_made(self, payload):
        self.balance += payload["amount"]


@pytest.fixture
def catalog():
    return make_catalog()


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'unit.db'}")
    yield database
    database.dispose()


@pytest.fixture
def store(catalog):
    return EventStore("unit", catalog)
