"""Transfer letters' serial numbers: one sequence per issuing committee and
year (``2026-0001``, ``2026-0002``, ...), printed on the letter.

The next number is taken by one upsert in the transaction that issues the
letter: concurrent letters of one committee serialise on its row, and a
letter whose transaction rolls back gives its number back. Not a read
model: the counter is a fact of its own, kept beside the transfers'."""
from sqlalchemy import Column, Integer, String, Table
from sqlalchemy.dialects import postgresql, sqlite

from .tables import metadata

letter_serials = Table(
    "letter_serials", metadata,
    Column("issuer_id", String(64), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last_number", Integer, nullable=False),
)


def next_letter_serial(conn, issuer_id: str, year: int) -> str:
    insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(letter_serials)
    statement = insert.values(issuer_id=issuer_id, year=year, last_number=1).on_conflict_do_update(
        index_elements=["issuer_id", "year"], set_={"last_number": letter_serials.c.last_number + 1},
    ).returning(letter_serials.c.last_number)
    return f"{year}-{conn.execute(statement).scalar_one():04d}"
