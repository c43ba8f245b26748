"""The identity domain: an account, its kind and its role grants. Pure: no
I/O, no clock, no password (credentials live in credentials.py, never in an
event)."""
import re

from shared.access import DISTRICT_ADMIN, INTEGRATION, MEMBER, ORG_ROLES, ROLES
from shared.aggregate import Aggregate, when
from shared.catalog.identity import AccountCreated, AccountDisabled, PasswordChanged, RoleGranted, RoleRevoked
from shared.vocabulary import ACCOUNT_KINDS, USERNAME_PATTERN
from shared.errors import Conflict, InvalidInput, NotFound

USERNAME_RE = re.compile(USERNAME_PATTERN)
STAFF, MEMBER_KIND = ACCOUNT_KINDS
NO_ORG_ROLES = frozenset({DISTRICT_ADMIN, MEMBER, INTEGRATION})


def check_username(username) -> str:
    if not isinstance(username, str) or not USERNAME_RE.match(username):
        raise InvalidInput("a username has 3 to 64 characters of a-z, 0-9, '.', '_' and '-'",
                           {"username": repr(username)[:80]})
    return username


def check_grant(role: str, org_id: str | None) -> tuple[str, str | None]:
    """The grant as (role, org_id), or InvalidInput naming what is wrong."""
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; one of {', '.join(ROLES)}", {"role": role})
    if org_id is not None and (not isinstance(org_id, str) or not 1 <= len(org_id) <= 64):
        raise InvalidInput("org_id must be a string of 1 to 64 characters", {"org_id": repr(org_id)[:80]})
    if role in ORG_ROLES and not org_id:
        raise InvalidInput(f"the {role} role needs an org_id", {"org_id": "required"})
    if role in NO_ORG_ROLES and org_id is not None:
        raise InvalidInput(f"the {role} role takes no org_id", {"org_id": org_id})
    return role, org_id


class Account(Aggregate):
    """Someone who signs in: staff, or a member bound to their member record."""
    aggregate_type = "account"

    def __init__(self, aggregate_id):
        super().__init__(aggregate_id)
        self.username = self.display_name = self.kind = self.member_id = None
        self.grants: list[tuple[str, str | None]] = []
        self.disabled = False

    @property
    def created(self) -> bool:
        """False for a stream of another aggregate type loaded by mistake."""
        return self.username is not None

    @classmethod
    def create(cls, account_id, *, username: str, display_name: str, kind: str,
               member_id: str | None = None, roles=()) -> "Account":
        """A new account with its first grants; a member's account gets ``member``."""
        check_username(username)
        display_name = (display_name or "").strip()
        if not 1 <= len(display_name) <= 100:
            raise InvalidInput("a display name has 1 to 100 characters", {"display_name": "required"})
        if kind not in ACCOUNT_KINDS:
            raise InvalidInput(f"an account is staff or member, not {kind!r}", {"kind": kind})
        if kind == MEMBER_KIND and not member_id:
            raise InvalidInput("a member's account needs the member_id of their record", {"member_id": "required"})
        if kind == STAFF and member_id is not None:
            raise InvalidInput("a staff account has no member_id", {"member_id": member_id})
        grants = [check_grant(r["role"], r.get("org_id")) for r in roles]
        account = cls(account_id)
        account.record(AccountCreated(username=username, display_name=display_name,
                                      kind=kind, member_id=member_id))
        if kind == MEMBER_KIND:
            account.grant_role(MEMBER)
        for role, org_id in grants:
            account.grant_role(role, org_id)
        return account

    @when(AccountCreated)
    def when_account_created(self, payload):
        self.username, self.display_name = payload["username"], payload["display_name"]
        self.kind, self.member_id = payload["kind"], payload["member_id"]

    def _require_enabled(self):
        if self.disabled:
            raise Conflict(f"account {self.username} is disabled", {"username": self.username})

    def holds(self, role: str, org_id: str | None = None) -> bool:
        return (role, org_id) in self.grants

    def grant_role(self, role: str, org_id: str | None = None):
        """Grant a role; granting one already held changes nothing."""
        self._require_enabled()
        role, org_id = check_grant(role, org_id)
        if role == MEMBER and self.kind != MEMBER_KIND:
            raise InvalidInput("only a member's account holds the member role", {"role": role})
        if not self.holds(role, org_id):
            self.record(RoleGranted(role=role, org_id=org_id))

    @when(RoleGranted)
    def when_role_granted(self, payload):
        self.grants.append((payload["role"], payload["org_id"]))

    def revoke_role(self, role: str, org_id: str | None = None):
        self._require_enabled()
        if not self.holds(role, org_id):
            where = f" on {org_id}" if org_id else ""
            raise NotFound(f"account {self.username} does not hold the {role} role{where}",
                           {"role": role, "org_id": org_id})
        self.record(RoleRevoked(role=role, org_id=org_id))

    @when(RoleRevoked)
    def when_role_revoked(self, payload):
        self.grants.remove((payload["role"], payload["org_id"]))

    def change_password(self):
        """Record that the password changed; the new hash is stored by the command, never here."""
        self._require_enabled()
        self.record(PasswordChanged())

    @when(PasswordChanged)
    def when_password_changed(self, payload):
        """Nothing the account decides on changes: the hash is the command's."""

    def disable(self, reason: str):
        """Stop the account signing in; disabling it again changes nothing."""
        if self.disabled:
            return
        reason = (reason or "").strip()
        if not reason:
            raise InvalidInput("a reason is required to disable an account", {"reason": "required"})
        self.record(AccountDisabled(reason=reason))

    @when(AccountDisabled)
    def when_account_disabled(self, payload):
        self.disabled = True
