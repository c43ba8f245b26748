"""Events published by the identity service, on the ``identity.events`` exchange.

Aggregate: ``account`` (id: a uuid). No event carries a password or its
hash: credentials are kept in the service's own table only.
"""
from marshmallow import Schema, fields, validate

from ..access import ROLES
from ..contracts.identity import ACCOUNT_KINDS, USERNAME_PATTERN
from . import catalog


@catalog.event("identity.account_created", 1)
class AccountCreated(Schema):
    """An account was created: a staff account, or a member's account bound to
    their member record (a ``identity.role_granted`` of ``member`` follows)."""
    username = fields.String(required=True, validate=validate.Regexp(USERNAME_PATTERN))
    display_name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ACCOUNT_KINDS))
    member_id = fields.String(required=True, allow_none=True)


@catalog.event("identity.role_granted", 1)
class RoleGranted(Schema):
    """The account now holds ``role`` (on ``org_id`` and its subtree, if set)."""
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    org_id = fields.String(required=True, allow_none=True)


@catalog.event("identity.role_revoked", 1)
class RoleRevoked(Schema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    org_id = fields.String(required=True, allow_none=True)


@catalog.event("identity.password_changed", 1)
class PasswordChanged(Schema):
    """The password was changed (the event says nothing else); the account's
    sessions were ended."""


@catalog.event("identity.account_disabled", 1)
class AccountDisabled(Schema):
    """The account can no longer sign in; its sessions were ended."""
    reason = fields.String(required=True)
