import pytest
from marshmallow import fields

from shared.aggregate import Aggregate, when
from shared.catalog import EventCatalog
from shared.event import Event
from shared.database import Database
from shared.store import EventStore


class AccountOpened(Event):
    """v2 added the opening balance and date; accounts opened before then
    opened empty on the bank's first day."""
    event_type = "unit.account_opened"
    event_version = 2
    holder = fields.String(required=True)
    balance = fields.Decimal(required=True, as_string=True, places=2)
    opened_on = fields.Date(required=True)

    @staticmethod
    def upcast_v1_v2(payload):
        return {**payload, "balance": "0.00", "opened_on": "2014-01-01"}


class DepositMade(Event):
    event_type = "unit.deposit_made"
    amount = fields.Decimal(required=True, as_string=True, places=2)


def make_catalog():
    catalog = EventCatalog()
    catalog.register(AccountOpened)
    catalog.register(DepositMade)
    return catalog


class Account(Aggregate):
    aggregate_type = "account"

    def open(self, holder, balance, opened_on):
        self.record(AccountOpened(holder=holder, balance=balance, opened_on=opened_on))

    def deposit(self, amount):
        self.record(DepositMade(amount=amount))

    @when(AccountOpened)
    def when_account_opened(self, payload):
        self.holder = payload["holder"]
        self.balance = payload["balance"]

    @when(DepositMade)
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
