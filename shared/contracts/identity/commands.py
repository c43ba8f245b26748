"""The identity service's command schemas (``...In``): RPC ``data`` and HTTP bodies."""
from marshmallow import Schema, fields, validate

from ...access import ROLES
from ...vocabulary import ACCOUNT_KINDS, MAX_GRANTS, MAX_PASSWORD, MIN_PASSWORD
from ..common import ID, PageIn, Text, describe as _describe
from .fields import PASSWORD, TOKEN, _username

__all__ = [
    "AccountListIn", "ChangePasswordIn", "CreateAccountIn", "DisableAccountIn", "LogoutIn", "RefreshIn",
    "RoleIn", "SignInIn", "TokenIn",
]


class RoleIn(Schema):
    """A role grant: org_admin needs ``org_id``; an auditor's narrows it to a subtree."""
    role = fields.String(required=True, validate=validate.OneOf(ROLES), metadata=_describe("role", "org_admin"))
    org_id = fields.String(load_default=None, allow_none=True, validate=ID,
                           metadata=_describe("the organisation the role applies to (and its subtree)"))


class CreateAccountIn(Schema):
    """A staff account, or a member's account bound to their member record
    (it gets the ``member`` role)."""
    username = _username()
    display_name = Text(required=True, validate=validate.Length(min=1, max=100),
                        metadata=_describe("name shown to people", "Li Ming"))
    password = fields.String(required=True, load_only=True, validate=PASSWORD,
                             metadata=_describe(f"{MIN_PASSWORD} to {MAX_PASSWORD} characters; stored hashed"))
    kind = fields.String(required=True, validate=validate.OneOf(ACCOUNT_KINDS))
    member_id = fields.String(load_default=None, allow_none=True, validate=ID,
                              metadata=_describe("the member record (required for kind member)"))
    roles = fields.List(fields.Nested(RoleIn), load_default=list, validate=validate.Length(max=MAX_GRANTS))


class ChangePasswordIn(Schema):
    new_password = fields.String(required=True, load_only=True, validate=PASSWORD)


class DisableAccountIn(Schema):
    reason = Text(required=True, validate=validate.Length(min=1, max=500), multiline=True)


class AccountListIn(PageIn):
    org_id = fields.String(load_default=None, allow_none=True, validate=ID,
                           metadata=_describe("only accounts holding a role on this organisation"))


class SignInIn(Schema):
    """What the gateway passes to ``sign_in`` (a wrong username gets the same answer as a wrong password)."""
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=MAX_PASSWORD))
    client_address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class TokenIn(Schema):
    """HTTP: sign in with a username and password."""
    username = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata=_describe("", "li.ming"))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=MAX_PASSWORD))


class RefreshIn(Schema):
    """HTTP and RPC: trade a refresh token for a new one (and a new access token)."""
    refresh_token = fields.String(required=True, load_only=True, validate=TOKEN)


class LogoutIn(Schema):
    """HTTP and RPC: end the session the refresh token belongs to."""
    refresh_token = fields.String(required=True, load_only=True, validate=TOKEN)


