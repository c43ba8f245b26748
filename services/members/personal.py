"""Personal data (ID number, phone), encrypted at rest (vault.py): members-only
tables written by the command handlers in the transaction that appends the
member's events, and never put in an event, the outbox, an exception message
or a log line, nor stored in plain anywhere.

- ``member_keys``: each member's data key, wrapped under the master key;
- ``member_secrets``: the ID number and phone as ciphertexts under that key,
  the ID number's keyed hash (unique: one registration per ID number, and
  search by exact ID number), and ``erased_on`` once the data was erased
  (key and ciphertexts gone, the hash cleared: unrecoverable, and the ID
  number may be registered again);
- ``member_phone_index``: the phone's keyed hash, for search by phone.

Statements on them run through ``_guarded``, which withholds their
parameters from any error. The tables are new (no migration tooling yet): a
database made before them simply gets them empty."""
import datetime as dt

from sqlalchemy import Column, Date, LargeBinary, String, Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from shared.envelope import Envelope
from shared.store import insert_in_one_trip
from shared.errors import Conflict
from shared.identifiers import phone_digits

from .projections import members
from .tables import metadata
from .vault import Vault, throwaway_vault

ERASED_EVENT = "members.personal_data_erased"

member_keys = Table(
    "member_keys", metadata,
    Column("member_id", String(64), primary_key=True),
    Column("wrapped_key", LargeBinary, nullable=False),
)

member_secrets = Table(
    "member_secrets", metadata,
    Column("member_id", String(64), primary_key=True),
    Column("id_number_hmac", String(64), unique=True),  # null once erased
    Column("id_number", LargeBinary),  # nonce || AES-GCM ciphertext
    Column("phone", LargeBinary),
    Column("erased_on", Date),
)

member_phone_index = Table(
    "member_phone_index", metadata,
    Column("member_id", String(64), primary_key=True),
    Column("phone_hmac", String(64), nullable=False, index=True),
)
"""The phone's keyed hash, for search by phone (vault.phone_index): a table
of its own, so a database made before it gets it with the service's
``create_all`` and ``index_phones`` fills it in."""

DUPLICATE = ("this ID number is already registered", {"id_number": "already registered"})


class PersonalDataError(Exception):
    """A database failure on personal data, its statement parameters withheld."""


def _vault(vault: Vault | None) -> Vault:
    return vault if vault is not None else throwaway_vault()


def _guarded(conn, statement, params=None):
    """Run a statement on personal data without letting its parameters (a
    ciphertext, a keyed hash) reach an exception message, a traceback or a log."""
    try:  # no savepoint: either error ends the command, and its transaction is rolled back
        return conn.execute(statement, params)
    except IntegrityError:
        raise Conflict(*DUPLICATE) from None
    except SQLAlchemyError as exc:
        raise PersonalDataError(f"personal data statement failed ({type(exc).__name__})") from None


def _guarded_one_trip(conn, rows):
    """``insert_in_one_trip`` (shared/store.py), guarded as ``_guarded``."""
    try:
        insert_in_one_trip(conn, rows)
    except (IntegrityError, conn.dialect.loaded_dbapi.IntegrityError):
        raise Conflict(*DUPLICATE) from None
    except (SQLAlchemyError, conn.dialect.loaded_dbapi.Error) as exc:
        raise PersonalDataError(f"personal data statement failed ({type(exc).__name__})") from None


def _secrets_row(conn, member_id: str):
    return _guarded(conn, select(member_secrets).where(member_secrets.c.member_id == member_id)).first()


def _data_key(conn, vault: Vault, member_id: str, create: bool = False) -> bytes | None:
    wrapped = _guarded(conn, select(member_keys.c.wrapped_key).where(member_keys.c.member_id == member_id)).scalar()
    if wrapped is not None:
        return vault.unwrap(member_id, wrapped)
    if not create:
        return None
    key = vault.new_data_key()
    _guarded(conn, member_keys.insert().values(member_id=member_id, wrapped_key=vault.wrap(member_id, key)))
    return key


def is_erased(conn, member_id: str) -> bool:
    row = _secrets_row(conn, member_id)
    return row is not None and row.erased_on is not None


_NEW_PHONE = member_phone_index.insert()


def save_new_members_data(conn, member_id: str, id_number: str, phone: str, *, vault: Vault | None = None):
    """A member registered in this transaction: a new data key, both
    ciphertexts and the keyed hashes, written without reading first (there
    is nothing to read), in one round trip. An ID number already registered
    fails the keyed hash's unique index: Conflict, and the registration's
    transaction is rolled back with it."""
    save_many_new(conn, [(member_id, id_number, phone)], vault=vault)


def save_many_new(conn, people: list[tuple[str, str, str]], *, vault: Vault | None = None):
    """Members registered in this transaction, many at once (an import):
    (member id, normalised ID number, phone) each; one multi-row insert per
    table. An ID number already registered is a Conflict, as for one."""
    if not people:
        return
    vault = _vault(vault)
    keys, secrets, phones = [], [], []
    for member_id, id_number, phone in people:
        key = vault.new_data_key()
        keys.append({"member_id": member_id, "wrapped_key": vault.wrap(member_id, key)})
        secrets.append({"member_id": member_id, "id_number_hmac": vault.id_number_index(id_number),
                        "id_number": vault.encrypt(key, member_id, "id_number", id_number),
                        "phone": vault.encrypt(key, member_id, "phone", phone)})
        phones.append({"member_id": member_id, "phone_hmac": vault.phone_index(phone_digits(phone))})
    _guarded_one_trip(conn, [(member_keys, keys), (member_secrets, secrets), (member_phone_index, phones)])


def save_personal_data(conn, member_id: str, id_number: str | None = None, phone: str | None = None, *,
                       vault: Vault | None = None):
    """Insert or update the member's personal data (only the values given),
    encrypted under the member's data key (made on first use)."""
    vault = _vault(vault)
    given = {k: v for k, v in (("id_number", id_number), ("phone", phone)) if v is not None}
    if not given:
        return
    row = _secrets_row(conn, member_id)
    if row is not None and row.erased_on is not None:
        raise Conflict(f"the personal data of member {member_id} was erased", {"id": member_id})
    key = _data_key(conn, vault, member_id, create=True)
    values = {field: vault.encrypt(key, member_id, field, value) for field, value in given.items()}
    if id_number is not None:
        values["id_number_hmac"] = vault.id_number_index(id_number)
    if row is not None:
        _guarded(conn, update(member_secrets).where(member_secrets.c.member_id == member_id).values(**values))
    else:
        _guarded(conn, member_secrets.insert().values(member_id=member_id, **values))
    if phone is not None:
        _guarded(conn, delete(member_phone_index).where(member_phone_index.c.member_id == member_id))
        _guarded(conn, _NEW_PHONE, {"member_id": member_id, "phone_hmac": vault.phone_index(phone_digits(phone))})


def decrypt_row(vault: Vault, member_id: str, wrapped_key, id_number, phone) -> dict:
    """{"id_number", "phone"} from a row's wrapped key and ciphertexts (None
    where there is nothing, e.g. after erasure)."""
    vault = _vault(vault)
    if wrapped_key is None:
        return {"id_number": None, "phone": None}
    key = vault.unwrap(member_id, wrapped_key)
    return {field: None if blob is None else vault.decrypt(key, member_id, field, blob)
            for field, blob in (("id_number", id_number), ("phone", phone))}


def personal_data_of(conn, member_id: str, *, vault: Vault | None = None) -> dict:
    """The member's ID number and phone in plain ({} if none or erased)."""
    row = _guarded(conn, select(member_secrets, member_keys.c.wrapped_key)
                   .join(member_keys, member_keys.c.member_id == member_secrets.c.member_id, isouter=True)
                   .where(member_secrets.c.member_id == member_id)).first()
    if row is None or row.erased_on is not None:
        return {}
    data = decrypt_row(vault, member_id, row.wrapped_key, row.id_number, row.phone)
    return {k: v for k, v in data.items() if v is not None}


def id_number_taken(conn, id_number: str, except_member: str | None = None, *, vault: Vault | None = None) -> bool:
    query = select(member_secrets.c.member_id).where(
        member_secrets.c.id_number_hmac == _vault(vault).id_number_index(id_number))
    if except_member is not None:
        query = query.where(member_secrets.c.member_id != except_member)
    try:
        return conn.execute(query).first() is not None
    except SQLAlchemyError as exc:
        raise PersonalDataError(f"personal data lookup failed ({type(exc).__name__})") from None


def erase_personal_data(conn, member_id: str, erased_on: dt.date):
    """Delete the member's data key and ciphertexts and clear the keyed hash."""
    _guarded(conn, delete(member_keys).where(member_keys.c.member_id == member_id))
    _guarded(conn, delete(member_phone_index).where(member_phone_index.c.member_id == member_id))
    wiped = {"id_number": None, "phone": None, "id_number_hmac": None, "erased_on": erased_on}
    if _secrets_row(conn, member_id) is None:
        _guarded(conn, member_secrets.insert().values(member_id=member_id, **wiped))
    else:
        _guarded(conn, update(member_secrets).where(member_secrets.c.member_id == member_id).values(**wiped))


def index_phones(conn, vault: Vault, batch: int = 500) -> int:
    """Fill in ``member_phone_index`` for members whose phone is not in it
    (a database made before it): each phone decrypted once, its keyed hash
    written. The number indexed; 0 once every phone is."""
    missing = _guarded(conn, select(member_secrets.c.member_id, member_secrets.c.phone, member_keys.c.wrapped_key)
                       .join(member_keys, member_keys.c.member_id == member_secrets.c.member_id)
                       .outerjoin(member_phone_index, member_phone_index.c.member_id == member_secrets.c.member_id)
                       .where(member_secrets.c.phone.is_not(None), member_phone_index.c.member_id.is_(None))
                       .limit(batch)).all()
    rows = [{"member_id": row.member_id, "phone_hmac": vault.phone_index(phone_digits(
        decrypt_row(vault, row.member_id, row.wrapped_key, None, row.phone)["phone"]))} for row in missing]
    if rows:  # another replica filling in the same rows at start-up: theirs stand
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        _guarded(conn, dialect.insert(member_phone_index).on_conflict_do_nothing(), rows)
    return len(rows)


def find_by_personal_data(conn, vault: Vault | None, id_number: str | None = None, phone: str | None = None) -> set[str]:
    """The members whose ID number (exact, normalised) or phone is the one given."""
    vault, found = _vault(vault), set()
    if id_number is not None:
        found.update(_guarded(conn, select(member_secrets.c.member_id).where(
            member_secrets.c.id_number_hmac == vault.id_number_index(id_number))).scalars())
    if phone is not None:
        found.update(_guarded(conn, select(member_phone_index.c.member_id).where(
            member_phone_index.c.phone_hmac == vault.phone_index(phone_digits(phone)))).scalars())
    return found


def project(conn, envelope: Envelope):
    """Inline projector (with projections.project): the erasure event moves
    the member row's version (the data itself is wiped by the command)."""
    if envelope.event_type == ERASED_EVENT:
        conn.execute(update(members).where(members.c.id == envelope.aggregate_id)
                     .values(version=envelope.aggregate_version))
