"""One SQLAlchemy engine per service database (SQLite file or PostgreSQL)."""
import time
from contextlib import contextmanager

from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.engine import make_url

from .schema import upgrade_kernel


def ensure_database(url: str):
    """Create the PostgreSQL database named in ``url`` if it does not exist yet."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                  {"n": parsed.database}).scalar()
            if not exists:
                try:
                    conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
                except DBAPIError:
                    # Another replica created it a moment ago (duplicate database,
                    # or pg_database's unique index); anything else is re-raised.
                    if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                        {"n": parsed.database}).scalar():
                        raise
    finally:
        admin.dispose()


SCHEMA_LOCK_KEY = 0x656A6961  # "ejia": one advisory lock key for schema changes in any service database


class Database:
    """The engine of one service's database, with the kernel's tables and the
    service's own read-model tables created on first use."""

    def __init__(self, url: str, *metadatas, pool_size: int = 10):
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.drivername.startswith("sqlite")
        if self.is_sqlite:
            # SQLite's own busy wait sleeps in C, stopping every green thread of
            # the process, the lock holder's included: wait in Python instead.
            self.engine = create_engine(url, connect_args={"timeout": 0.05, "check_same_thread": False})
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin_immediate)
        else:
            ensure_database(url)
            self.engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size)
            event.listen(self.engine, "checkout", _ping_if_idle(self.engine.dialect))
            event.listen(self.engine, "checkin", _note_return)
        self.create_schema(*metadatas)

    def create_schema(self, *metadatas):
        """Migrate the kernel's tables to the newest revision (schema.py),
        then create the service's tables in ``metadatas`` that do not exist
        yet, all under a lock, so that replicas starting at the same moment
        on a fresh database do not race (PostgreSQL: CREATE TABLE and its row
        type collide in the catalog, DuplicateTable / UniqueViolation on
        pg_type) nor both run a migration. The lock is a transaction-level
        advisory lock: PostgreSQL's DDL is transactional, so the second
        replica waits, then finds every table there and the version table at
        the head. SQLite's BEGIN IMMEDIATE serialises writers anyway."""
        with self.engine.begin() as conn:
            if not self.is_sqlite:
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
            upgrade_kernel(conn)
            for metadata in metadatas:
                metadata.create_all(conn)

    def begin(self):
        """A connection in a transaction: ``with db.begin() as conn: ...``."""
        return self.engine.begin()

    def connect(self):
        return self.engine.connect()

    def dispose(self):
        self.engine.dispose()

    @contextmanager
    def single_statement(self):
        """A connection for one write that needs no transaction around it (a
        guarded upsert): on PostgreSQL in the driver's autocommit, so the
        statement is the only round trip (no BEGIN, no COMMIT); on SQLite in
        a transaction as usual."""
        if self.is_sqlite:
            with self.engine.begin() as conn:
                yield conn
            return
        with self.engine.connect() as conn:
            autocommit(conn)
            try:
                yield conn
            finally:
                end_autocommit(conn)


def autocommit(conn):
    """The driver's own switch, not SQLAlchemy's isolation_level option:
    resetting that when the connection goes back to the pool costs a round
    trip (a SET)."""
    conn.connection.dbapi_connection.autocommit = True


def end_autocommit(conn):
    """Back to transactions before the connection returns to the pool; one
    that cannot be switched back (it broke) is not returned at all."""
    try:
        conn.connection.dbapi_connection.autocommit = False
    except Exception:
        conn.invalidate()



def _sqlite_pragmas(dbapi_conn, _record):
    dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" listener issue BEGIN
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


IDLE_PING_SECONDS = 5.0


def _note_return(dbapi_conn, record):
    record.info["returned_at"] = time.monotonic()


def _ping_if_idle(dialect):
    """SQLAlchemy's pre-ping, for connections that sat in the pool a while:
    one that was in use a moment ago is alive, and a ping on every checkout
    is a round trip per read. A dead one (a PostgreSQL restart) is replaced
    before the command sees it (DisconnectionError makes the pool retry);
    one that died within the last seconds fails its statement, which
    invalidates the whole pool, so only that one command is refused."""
    def checkout(dbapi_conn, record, proxy):
        returned = record.info.get("returned_at")
        if returned is not None and time.monotonic() - returned < IDLE_PING_SECONDS:
            return
        try:
            alive = dialect.do_ping(dbapi_conn)
        except Exception:
            alive = False
        if not alive:
            raise DisconnectionError()
    return checkout


SQLITE_LOCK_WAIT = 30.0


def _sqlite_begin_immediate(conn):
    """Take the write lock at BEGIN so that read-then-write transactions
    serialise instead of failing halfway with "database is locked". While
    another transaction holds it, wait with ``time.sleep``, which yields to
    the other green threads (the holder may be one of them, waiting on a
    thread pool or a reply) where SQLite's busy handler would block them all."""
    deadline = time.monotonic() + SQLITE_LOCK_WAIT
    while True:
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.002)


def driver_rows(conn, statement, params: dict) -> list[tuple]:
    """The rows of a Core ``statement`` as the driver's plain tuples, run on
    the driver's cursor: compiled once per dialect, no SQLAlchemy Result or
    Row objects and no result processing (on SQLite a date comes back as its
    ISO text, on PostgreSQL as a date). For a read that makes hundreds of
    rows into JSON at once (a branch's page of 200), where building the
    Rows cost more than the query."""
    sql, positions, defaults = _compiled(conn.dialect, statement)
    values = {**defaults, **params}
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql, tuple(values[name] for name in positions) if positions is not None else values)
        return cursor.fetchall()
    finally:
        cursor.close()


_COMPILED: dict = {}


def _compiled(dialect, statement):
    """The statement's final SQL for ``dialect``, the order of its positional
    parameters (None for named ones) and the values it holds itself. An IN
    of the statement's own values is expanded here, once; a caller's value
    may not be expanding (its SQL would depend on it)."""
    key = (dialect.name, id(statement))
    if key not in _COMPILED:
        compiled = statement.compile(dialect=dialect)
        own = {name: bind.value for bind, name in compiled.bind_names.items()}
        if any(bind.expanding and bind.value is None for bind in compiled.bind_names):
            raise ValueError("driver_rows: an IN of a caller's values makes SQL that depends on them")
        state = compiled.construct_expanded_state(own)
        positions = tuple(state.positiontup) if compiled.positional else None
        defaults = dict(state.parameters)
        # The statement is kept too, so that its id is never another's.
        _COMPILED[key] = (state.statement, positions, defaults, statement)
    return _COMPILED[key][:3]
