"""Personal data (ID number, phone): a members-only table, written by the
command handlers in the transaction that appends the member's events, and
never put in an event, the outbox, an exception message or a log line.
Statements on it run through ``_guarded``, which withholds their parameters
from any error."""
from sqlalchemy import Column, String, Table, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from shared.errors import Conflict

from .projections import metadata

personal_data = Table(
    "personal_data", metadata,
    Column("member_id", String(64), primary_key=True),
    Column("id_number", String(18), nullable=False, unique=True),
    Column("phone", String(30), nullable=False),
)


class PersonalDataError(Exception):
    """A database failure on personal data, its statement parameters withheld."""


def _guarded(conn, statement):
    """Run a statement on personal data without letting its parameters (an
    ID number, a phone) reach an exception message, a traceback or a log."""
    try:  # no savepoint: either error ends the command, and its transaction is rolled back
        return conn.execute(statement)
    except IntegrityError:
        raise Conflict("a member with this ID number is already registered",
                       {"id_number": "already registered"}) from None
    except SQLAlchemyError as exc:
        raise PersonalDataError(f"personal data statement failed ({type(exc).__name__})") from None


def save_personal_data(conn, member_id: str, id_number: str | None = None, phone: str | None = None):
    """Insert or update the member's personal data (only the values given)."""
    values = {k: v for k, v in (("id_number", id_number), ("phone", phone)) if v is not None}
    if not values:
        return
    exists = conn.execute(select(personal_data.c.member_id).where(personal_data.c.member_id == member_id)).first()
    if exists:
        _guarded(conn, update(personal_data).where(personal_data.c.member_id == member_id).values(**values))
    else:
        _guarded(conn, personal_data.insert().values(member_id=member_id, **values))


def personal_data_of(conn, member_id: str) -> dict:
    row = conn.execute(select(personal_data).where(personal_data.c.member_id == member_id)).first()
    return {"id_number": row.id_number, "phone": row.phone} if row else {}


def id_number_taken(conn, id_number: str, except_member: str | None = None) -> bool:
    query = select(personal_data.c.member_id).where(personal_data.c.id_number == id_number)
    if except_member is not None:
        query = query.where(personal_data.c.member_id != except_member)
    try:
        return conn.execute(query).first() is not None
    except SQLAlchemyError as exc:
        raise PersonalDataError(f"personal data lookup failed ({type(exc).__name__})") from None
