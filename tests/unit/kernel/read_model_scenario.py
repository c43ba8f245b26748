"""One story for the read-model rebuild tests, on SQLite (unit) and on
PostgreSQL (integration): a ``balances`` read model of the kernel tests'
bank accounts, at version 1, and at version 2 with a column added
(``deposits``, the number of deposits), fed by the same events."""
import datetime as dt
from decimal import Decimal

from sqlalchemy import Column, Integer, MetaData, Numeric, String, Table, select, update

from shared.database import Database
from shared.readmodel import ReadModel, ensure
from shared.store import EventStore, UnitOfWork

from .conftest import Account, AccountOpened, DepositMade, make_catalog


def balances_model(version: int) -> ReadModel:
    """The read model as a service would declare it at ``version``."""
    metadata = MetaData()
    columns = [Column("account_id", String(64), primary_key=True),
               Column("holder", String(100), nullable=False),
               Column("balance", Numeric(12, 2), nullable=False)]
    if version >= 2:
        columns.append(Column("deposits", Integer, nullable=False))
    table = Table("balances", metadata, *columns)

    def opened(conn, e):
        row = {"account_id": e.aggregate_id, "holder": e.payload["holder"], "balance": e.payload["balance"]}
        conn.execute(table.insert().values(**row, **({"deposits": 0} if version >= 2 else {})))

    def deposited(conn, e):
        changes = {"balance": table.c.balance + e.payload["amount"]}
        if version >= 2:
            changes["deposits"] = table.c.deposits + 1
        conn.execute(update(table).where(table.c.account_id == e.aggregate_id).values(**changes))

    return ReadModel("balances", tables=(table,), version=version,
                     handlers={AccountOpened: opened, DepositMade: deposited})


class Service:
    """What EventSourcing does at start-up, without nameko: the database,
    the store feeding the declared read model inline, ``ensure``."""

    def __init__(self, url: str, model: ReadModel):
        self.model = model
        self.db = Database(url)
        self.store = EventStore("unit", make_catalog(), [model.apply])
        self.rebuilt = ensure(self.db, self.store, [model])

    def open(self, account_id, holder, balance):
        with UnitOfWork(self.db, self.store) as uow:
            account = Account(account_id)
            account.open(holder, Decimal(balance), dt.date(2024, 5, 6))
            uow.save(account)

    def deposit(self, account_id, amount):
        with UnitOfWork(self.db, self.store) as uow:
            account = uow.load(Account, account_id)
            account.deposit(Decimal(amount))
            uow.save(account)

    def rows(self):
        table = self.model.tables[0]
        with self.db.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(select(table).order_by(table.c.account_id))]

    def stop(self):
        self.db.dispose()


def history(service: Service):
    """Three accounts, seven deposits: the same commands on any database."""
    service.open("acct-1", "王芳", "10.00")
    service.open("acct-2", "李强", "0.00")
    service.open("acct-3", "张伟", "5.50")
    for account_id, amount in [("acct-1", "1.25"), ("acct-2", "3.00"), ("acct-1", "2.00"), ("acct-3", "0.50"),
                               ("acct-2", "4.00"), ("acct-1", "0.75"), ("acct-2", "1.00")]:
        service.deposit(account_id, amount)


EXPECTED_V2 = [
    {"account_id": "acct-1", "holder": "王芳", "balance": Decimal("14.00"), "deposits": 3},
    {"account_id": "acct-2", "holder": "李强", "balance": Decimal("8.00"), "deposits": 3},
    {"account_id": "acct-3", "holder": "张伟", "balance": Decimal("6.00"), "deposits": 1},
]


def check_rebuild_equals_fresh_feeding(old_url: str, fresh_url: str):
    """A database fed at version 1, restarted with version 2, holds exactly
    what a database fed at version 2 from the start holds."""
    v1 = Service(old_url, balances_model(1))
    history(v1)
    assert "deposits" not in v1.rows()[0]
    v1.stop()

    restarted = Service(old_url, balances_model(2))
    assert restarted.rebuilt == ["balances"]
    fresh = Service(fresh_url, balances_model(2))
    history(fresh)
    assert restarted.rows() == fresh.rows() == EXPECTED_V2

    # it goes on being fed live after the rebuild
    restarted.deposit("acct-3", "1.00")
    assert restarted.rows()[2] == {"account_id": "acct-3", "holder": "张伟", "balance": Decimal("7.00"),
                                   "deposits": 2}
    restarted.stop()
    fresh.stop()

    again = Service(old_url, balances_model(2))
    assert again.rebuilt == []  # same version: nothing rebuilt
    again.stop()
