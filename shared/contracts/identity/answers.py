"""The identity service's response schemas (``...Out``): what its RPC answers and the
gateway's responses carry."""
from marshmallow import Schema, fields, validate

from ...vocabulary import MAX_PASSWORD
from ..common import describe as _describe
from .fields import PASSWORD

__all__ = [
    "AccountPageOut", "GrantOut", "LogoutOut", "OwnPasswordIn", "RoleOut", "SessionOut", "SignInAccountOut",
    "TokenOut", "WhoAmIOut", "page_of",
]


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
