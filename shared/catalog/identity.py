"""Events published by the identity service, on the ``identity.events`` exchange.

Aggregate: ``account`` (id: a uuid). No event carries a password or its
hash: credentials are kept in the service's own table only.
"""
from marshmallow import fields, validate

from ..access import ROLES
from ..vocabulary import ACCOUNT_KINDS, USERNAME_PATTERN
from ..event import Event
from .registry import catalog


@catalog.register
class AccountCreated(Event):
    """An account was created: a staff account, or a member's account bound to
    their member record (a ``identity.role_granted`` of ``member`` follows)."""
    event_type = "identity.account_created"
    username = fields.String(required=True, validate=validate.Regexp(USERNAME_PATTERN))
    display_name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ACCOUNT_KINDS))
    member_id = fields.String(required=True, allow_none=True)


@catalog.register
class RoleGranted(Event):
    """The account now holds ``role`` (on ``org_id`` and its subtree, if set)."""
    event_type = "identity.role_granted"
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    org_id = fields.String(required=True, allow_none=True)


@catalog.register
class RoleRevoked(Event):
    event_type = "identity.role_revoked"
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    org_id = fields.String(required=True, allow_none=True)


@catalog.register
class PasswordChanged(Event):
    """The password was changed (the event says nothing else); the account's
    sessions were ended."""
    event_type = "identity.password_changed"


@catalog.register
class AccountDisabled(Event):
    """The account can no longer sign in; its sessions were ended."""
    event_type = "identity.account_disabled"
    reason = fields.String(required=True)
