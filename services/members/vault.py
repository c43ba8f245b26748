"""Envelope encryption of members' personal data (ID number, phone).

- The **master key** (container config ``MASTER_KEY``, env ``EJIA_MASTER_KEY``:
  urlsafe base64 of 32 random bytes) never touches the database.
- Each member has a random 32-byte **data key**, stored wrapped: AES-256-GCM
  under the master key, a random 12-byte nonce, associated data the member id
  (a wrapped key moved to another member's row does not unwrap).
- Each field is AES-256-GCM under the member's data key, associated data
  ``member id + field name`` (a ciphertext moved to another field or member
  does not decrypt). Stored as ``nonce || ciphertext+tag``.
- Uniqueness of ID numbers: HMAC-SHA256 under a key derived from the master
  key (HKDF-SHA256, info ``b"ejia id-number index"``), hex, in a unique column.

Deleting a member's wrapped data key makes their ciphertexts unrecoverable.
Error messages never carry a plaintext or a key. Pure: no I/O, no nameko."""
import base64
import binascii
import hashlib
import hmac
import logging
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)

CONFIG_KEY = "MASTER_KEY"
KEY_BYTES = 32
NONCE_BYTES = 12
INDEX_INFO = b"ejia id-number index"
PHONE_INDEX_INFO = b"ejia phone index"


class VaultMisconfigured(RuntimeError):
    """The master key is missing or not 32 bytes of urlsafe base64."""


class VaultError(Exception):
    """A wrapped key or a ciphertext does not decrypt (wrong master key, data
    tampered with or moved). The message names no value."""


def new_master_key() -> str:
    """A fresh master key, as ``MASTER_KEY`` expects it."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def parse_master_key(value) -> bytes:
    if not value or not isinstance(value, (str, bytes)):
        raise VaultMisconfigured(f"the members service needs config {CONFIG_KEY} (env EJIA_MASTER_KEY): "
                                 "urlsafe base64 of 32 random bytes, e.g. from "
                                 "python -c 'import secrets,base64;print(base64.urlsafe_b64encode("
                                 "secrets.token_bytes(32)).decode())'")
    try:
        key = base64.urlsafe_b64decode(value.strip() if isinstance(value, str) else value)
    except (binascii.Error, ValueError):
        raise VaultMisconfigured(f"config {CONFIG_KEY} is not urlsafe base64") from None
    if len(key) != KEY_BYTES:
        raise VaultMisconfigured(f"config {CONFIG_KEY} must decode to {KEY_BYTES} bytes, not {len(key)}")
    return key


def _seal(key: bytes, plaintext: bytes, associated: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, associated)


def _open(key: bytes, blob: bytes, associated: bytes) -> bytes:
    blob = bytes(blob)
    if len(blob) <= NONCE_BYTES:
        raise InvalidTag()
    return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], associated)


def _field_ad(member_id: str, field: str) -> bytes:
    return member_id.encode("utf-8") + b"\x00" + field.encode("utf-8")


class Vault:
    def __init__(self, master_key: bytes):
        if not isinstance(master_key, bytes) or len(master_key) != KEY_BYTES:
            raise VaultMisconfigured(f"a master key is {KEY_BYTES} bytes")
        self._master = master_key
        self._index_key = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None,
                               info=INDEX_INFO).derive(master_key)
        self._phone_key = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None,
                               info=PHONE_INDEX_INFO).derive(master_key)

    def __repr__(self):
        return "Vault(<master key withheld>)"

    @classmethod
    def from_config(cls, config) -> "Vault":
        return cls(parse_master_key((config or {}).get(CONFIG_KEY)))

    # ---- data keys ---------------------------------------------------------
    @staticmethod
    def new_data_key() -> bytes:
        return os.urandom(KEY_BYTES)

    def wrap(self, member_id: str, data_key: bytes) -> bytes:
        return _seal(self._master, data_key, member_id.encode("utf-8"))

    def unwrap(self, member_id: str, wrapped: bytes) -> bytes:
        try:
            return _open(self._master, wrapped, member_id.encode("utf-8"))
        except InvalidTag:
            raise VaultError(f"the data key of member {member_id} does not unwrap under this master key") from None

    # ---- fields ------------------------------------------------------------
    @staticmethod
    def encrypt(data_key: bytes, member_id: str, field: str, value: str) -> bytes:
        return _seal(data_key, value.encode("utf-8"), _field_ad(member_id, field))

    @staticmethod
    def decrypt(data_key: bytes, member_id: str, field: str, blob: bytes) -> str:
        try:
            return _open(data_key, blob, _field_ad(member_id, field)).decode("utf-8")
        except InvalidTag:
            raise VaultError(f"the {field} of member {member_id} does not decrypt") from None

    # ---- the search indexes ------------------------------------------------
    def id_number_index(self, id_number: str) -> str:
        """The keyed hash an ID number is kept unique by (hex)."""
        return hmac.new(self._index_key, id_number.encode("utf-8"), hashlib.sha256).hexdigest()

    def phone_index(self, phone: str) -> str:
        """The keyed hash a phone number is found by (hex; not unique: a
        household may share one). A key of its own, so neither index says
        anything about the other."""
        return hmac.new(self._phone_key, phone.encode("utf-8"), hashlib.sha256).hexdigest()


_throwaway: Vault | None = None


def throwaway_vault() -> Vault:
    """A process-local vault with a random master key, for callers of the
    command handlers outside the service (unit tests): what it encrypts is
    unreadable once the process ends. The service always passes its own."""
    global _throwaway
    if _throwaway is None:
        log.warning("no master key given: personal data is encrypted under a throwaway key (tests only)")
        _throwaway = Vault(os.urandom(KEY_BYTES))
    return _throwaway
