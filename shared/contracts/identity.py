"""The identity service's published language: accounts, their role grants,
sign-in and refresh-token sessions. Command schemas (``...In``) are RPC
``data`` and the gateway's HTTP bodies; response schemas (``...Out``) never
carry a password or its hash. Unknown fields are refused (marshmallow's
default, ``RAISE``)."""
from marshmallow import Schema, fields, validate

from ..access import ROLES
from .common import ID, MAX_PAGE, FullMatch, PageIn, Text, describe as _describe  # noqa: F401
from ..vocabulary import (  # noqa: F401 (published here)
    ACCOUNT_KINDS, USERNAME_PATTERN, MIN_PASSWORD, MAX_PASSWORD, MAX_GRANTS)

USERNAME = FullMatch(USERNAME_PATTERN, error="3 to 64 characters of a-z, 0-9, '.', '_' and '-'")
PASSWORD = validate.Length(min=MIN_PASSWORD, max=MAX_PASSWORD,
                           error=f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")
TOKEN = validate.Length(min=1, max=200)


def _username(text="the account's sign-in name", required=True):
    return fields.String(required=required, validate=USERNAME, metadata=_describe(text, "li.ming"))


# ---- commands -------------------------------------------------------------

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


# ---- responses ------------------------------------------------------------

class GrantOut(Schema):
    role = fields.String()
    org_id = fields.String(allow_none=True)


class SignInAccountOut(Schema):
    id = fields.String()
    username = fields.String()
    display_name = fields.String()
    kind = fields.String(metadata=_describe("staff or member"))
    member_id = fields.String(allow_none=True)
    roles = fields.List(fields.Nested(GrantOut))
    disabled = fields.Boolean()
    version = fields.Integer()
    created_at = fields.String(metadata=_describe("UTC, ISO-8601"))


class SessionOut(Schema):
    """What ``sign_in`` and ``refresh`` answer: the account and a new refresh token."""
    account = fields.Nested(SignInAccountOut)
    refresh_token = fields.String()
    refresh_expires_in = fields.Integer(metadata=_describe("seconds"))


class LogoutOut(Schema):
    revoked = fields.Boolean(metadata=_describe("false when the session had already ended"))


class TokenOut(Schema):
    """HTTP: a bearer access token and the refresh token to renew it."""
    access_token = fields.String()
    token_type = fields.String(metadata=_describe("always Bearer", "Bearer"))
    expires_in = fields.Integer(metadata=_describe("seconds the access token lives"))
    refresh_token = fields.String()


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({"items": fields.List(fields.Nested(item_schema)), "total": fields.Integer(),
                             "limit": fields.Integer(), "offset": fields.Integer()}, name=name)


AccountPageOut = page_of(SignInAccountOut, "AccountPageOut")


class OwnPasswordIn(Schema):
    """HTTP: a signed-in person changes their own password."""
    current_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=MAX_PASSWORD))
    new_password = fields.String(required=True, load_only=True, validate=PASSWORD)


class RoleOut(GrantOut):
    label = fields.String(metadata=_describe("the role's name for people", "组织管理员"))


class WhoAmIOut(Schema):
    """HTTP ``GET /me``: the account, its roles, and (for a member's account)
    the member's record with stage, next deadline, dues and open transfer."""
    account = fields.Dict(metadata=_describe("username and display_name"))
    roles = fields.List(fields.Nested(RoleOut))
    member = fields.Dict(allow_none=True, metadata=_describe(
        "the member record (MemberOut) with next_deadline, open_transfer and dues; null for staff"))
    unavailable = fields.List(fields.String(), metadata=_describe("parts whose service did not answer"))
