"""The field types every contract uses, defined once: text, ids, dates,
months, paging.

What a caller types is checked here, before any service sees it, so that a
bad character fails as a 400 naming its field instead of reaching a
database driver, a JSON encoder or a date calculation (where it was a 500),
or being stored and shown to someone else:

- text is NFC-normalised and trimmed; it may not hold a lone UTF-16
  surrogate, a C0 or C1 control character (NUL included; line breaks and
  tabs only where a field is ``multiline``) or a bidirectional embedding,
  override or isolate (which can make a name display as something else);
  a non-empty text holds at least one visible character (a letter, digit,
  punctuation mark or symbol: not only zero-width spaces);
- ids are printable ASCII;
- dates are strict ISO ``YYYY-MM-DD`` and months ``YYYY-MM``, ASCII digits
  only (Python's ``date.fromisoformat`` also takes ``20261201`` and
  ``2026-W48-2``, and ``\\d`` matches Arabic-Indic and full-width digits),
  within ``EARLIEST`` .. ``LATEST``: past that, a date is a typo (and a month
  in the year 10000 would be an overflow further on);
- an offset is at most ``MAX_OFFSET`` (2**63 reached PostgreSQL as an
  integer out of range).
"""
import datetime as dt
import re
import unicodedata
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate

MAX_PAGE = 200
MAX_OFFSET = 10_000_000  # far beyond any list here (the district has ~6,000 members)
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2100, 12, 31)

_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_BIDI = "\u202a-\u202e\u2066-\u2069"
_SURROGATES = "\ud800-\udfff"
_UNSAFE = re.compile(f"[{_CONTROLS}{_BIDI}{_SURROGATES}]")
_UNSAFE_ONE_LINE = re.compile(f"[{_CONTROLS}\t\n\r{_BIDI}{_SURROGATES}]")
_VISIBLE = ("L", "N", "P", "S")  # Unicode general categories a reader can see

ID_PATTERN = r"^[!-~]{1,64}$"
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"

UNSAFE_TEXT = ("Must not contain control characters, bidirectional overrides or unpaired surrogates.")
NOT_VISIBLE = "Must contain at least one visible character."


def describe(text, example=None) -> dict:
    """A field's OpenAPI description (and example), as ``metadata``."""
    return {"description": text, **({"example": example} if example is not None else {})}


def clean_text(value: str, multiline: bool = False) -> str:
    """``value`` NFC-normalised and trimmed; ValidationError if it holds
    what no text field takes (see the module's docstring)."""
    if (_UNSAFE if multiline else _UNSAFE_ONE_LINE).search(value):
        raise ValidationError(UNSAFE_TEXT)
    value = unicodedata.normalize("NFC", value).strip()
    if value and not any(unicodedata.category(ch)[0] in _VISIBLE for ch in value):
        raise ValidationError(NOT_VISIBLE)
    return value


class Text(fields.String):
    """A string as a person typed it, made safe (``clean_text``) before it
    is validated, so a blank name or reason fails ``Length(min=1)``."""

    def __init__(self, *args, multiline: bool = False, **kwargs):
        self.multiline = multiline
        super().__init__(*args, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return clean_text(super()._deserialize(value, attr, data, **kwargs), self.multiline)


class FullMatch(validate.Regexp):
    """``validate.Regexp`` over the whole value: marshmallow's matches at the
    start only, and Python's ``$`` lets a final newline through. The pattern
    (anchored, as OpenAPI shows it) is the same."""

    def __call__(self, value):
        if not isinstance(value, str) or self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


ID = FullMatch(ID_PATTERN, error="Must be an id: 1 to 64 printable ASCII characters.")


class Date(fields.Date):
    """A date as ``YYYY-MM-DD`` (ASCII digits), from EARLIEST to LATEST.
    In a response it is written as marshmallow writes dates (a read model
    may hold it as an ISO string already: written as it is)."""

    default_error_messages = {
        "format": "Must be a date, YYYY-MM-DD.",
        "window": f"Must be a date from {EARLIEST.isoformat()} to {LATEST.isoformat()}.",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not DATE_PATTERN.fullmatch(value):
            raise self.make_error("format")
        day = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST <= day <= LATEST:
            raise self.make_error("window")
        return day

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, str):
            return value
        return super()._serialize(value, attr, obj, **kwargs)


MONEY_PATTERN = re.compile(r"[0-9]{1,10}(\.[0-9]{1,2})?")  # ASCII digits: \d takes any script's
FEN = Decimal("0.01")


class Money(fields.Decimal):
    """Yuan as a string with at most 2 decimals; loaded as an exact Decimal,
    written as a string with 2 (OpenAPI: a string with that pattern)."""

    default_error_messages = {
        "not_string": 'Must be a string of yuan, like "12.50": amounts are exact, JSON numbers are refused.',
        "format": 'Must be a non-negative amount with at most 2 decimals, like "12.50".',
    }

    def __init__(self, **kwargs):
        metadata = kwargs.setdefault("metadata", {})
        metadata.setdefault("example", "12.50")
        metadata.setdefault("pattern", f"^{MONEY_PATTERN.pattern}$")
        super().__init__(places=2, as_string=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("not_string")
        if not MONEY_PATTERN.fullmatch(value):
            raise self.make_error("format")
        return Decimal(value).quantize(FEN)


def check_month(value: str) -> bool:
    """A ``YYYY-MM`` month within the window. One validator, not ``And(FullMatch, window)``:
    ``And`` runs every validator, so the window check would meet a value of any shape."""
    if not re.fullmatch(MONTH_PATTERN, value):
        raise ValidationError("Must be a month, YYYY-MM.")
    if not EARLIEST.year <= int(value[:4]) <= LATEST.year:
        raise ValidationError(f"Must be a month from {EARLIEST.year}-01 to {LATEST.year}-12.")
    return True


MONTH = check_month


def month_field(text, required=False, **kwargs):
    kwargs.update({"required": True} if required else {"load_default": None, "allow_none": True})
    return fields.String(validate=MONTH, metadata=describe(text, "2024-03"), **kwargs)


def date_field(text, required=False, example="2024-03-01"):
    kwargs = {"required": True} if required else {"load_default": None}
    return Date(metadata=describe(text, example), **kwargs)


def text_field(text, max_length=1000, required=False, example=None, multiline=False):
    """A ``Text``: required and non-blank, or optional (None when absent, and then it may be blank)."""
    kwargs = {"required": True} if required else {"load_default": None, "allow_none": True}
    return Text(validate=validate.Length(min=1 if required else 0, max=max_length), multiline=multiline,
                metadata=describe(text, example), **kwargs)


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({"items": fields.List(fields.Nested(item_schema)), "total": fields.Integer(),
                             "limit": fields.Integer(), "offset": fields.Integer()}, name=name)


class PageIn(Schema):
    """Query parameters (they may arrive as strings)."""
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET))


SCOPES = ("subtree", "org")


def scope_field():
    """Which members (or transfers) an organisation's list holds."""
    return fields.String(load_default="subtree", validate=validate.OneOf(SCOPES), metadata=describe(
        "subtree (the default): the organisation and every organisation below it, so a committee's list "
        "holds its whole district; org: the organisation alone. A branch's list holds its party groups' "
        "members either way; a party group's holds the members who name it", "subtree"))


class ScopedPageIn(PageIn):
    scope = scope_field()
