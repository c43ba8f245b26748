"""Field helpers the identity contract's commands and answers share: not part of
the published language, which ``shared.contracts.identity`` re-exports."""
from marshmallow import fields, validate

from ...vocabulary import MAX_PASSWORD, MIN_PASSWORD, USERNAME_PATTERN
from ..common import FullMatch, describe as _describe

USERNAME = FullMatch(USERNAME_PATTERN, error="3 to 64 characters of a-z, 0-9, '.', '_' and '-'")
PASSWORD = validate.Length(min=MIN_PASSWORD, max=MAX_PASSWORD,
                           error=f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")
TOKEN = validate.Length(min=1, max=200)


def _username(text="the account's sign-in name", required=True):
    return fields.String(required=required, validate=USERNAME, metadata=_describe(text, "li.ming"))


