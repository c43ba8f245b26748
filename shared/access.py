"""Who is calling: the principal an access token names, and what its roles
cover. The gateway issues and checks the tokens; services that decide for
themselves (members, on personal data) verify the same token, forwarded in
the RPC context, instead of trusting whatever a caller on the broker says.

Roles (docs/access.md):

| role             | org_id        | may                                               |
|------------------|---------------|---------------------------------------------------|
| district_admin   | none          | everything                                        |
| org_admin        | required      | that organisation and its whole subtree           |
| auditor          | optional      | read everything (or a subtree), personal data masked |
| member           | none          | their own record, dues, transfer and study        |
| integration      | none          | the event feed and subscriptions, no personal data|

An access token is a JWT (HS256) with ``iss``, ``aud``, ``sub`` (the
account's username: the actor recorded on every event), ``iat``, ``exp``
(all required and checked, and ``exp - iat`` at most the maximum lifetime),
``name`` (display name), ``roles`` (a list of ``{"role", "org_id"}``) and
``mid`` (the member record an account of a member is bound to).
No I/O here, and nothing that imports nameko.
"""
import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Iterable

import jwt

DISTRICT_ADMIN = "district_admin"
ORG_ADMIN = "org_admin"
AUDITOR = "auditor"
MEMBER = "member"
INTEGRATION = "integration"
ROLES = (DISTRICT_ADMIN, ORG_ADMIN, AUDITOR, MEMBER, INTEGRATION)
ROLE_LABELS = {DISTRICT_ADMIN: "区党工委管理员", ORG_ADMIN: "组织管理员", AUDITOR: "审计",
               MEMBER: "党员", INTEGRATION: "系统对接"}
ORG_ROLES = frozenset({ORG_ADMIN})  # an org_id is required
OPTIONAL_ORG_ROLES = frozenset({AUDITOR})  # an org_id narrows it to a subtree
STAFF_ROLES = frozenset({DISTRICT_ADMIN, ORG_ADMIN, AUDITOR})

ALGORITHM = "HS256"
ISSUER = "ejia"
AUDIENCE = "ejia-api"
MIN_SECRET_BYTES = 32  # RFC 7518 3.2: an HS256 key is at least 256 bits
DEFAULT_ACCESS_SECONDS = 15 * 60
MAX_ACCESS_SECONDS = 60 * 60  # a token claiming a longer life is refused, whoever signed it
LEEWAY_SECONDS = 30  # clock skew between the gateway replicas
MAX_SUBJECT = 100  # the event stores keep 100 characters of actor
MAX_GRANTS = 50


class TokenInvalid(Exception):
    """The token is missing a claim, expired, tampered with, or not ours."""


@dataclass(frozen=True)
class Grant:
    role: str
    org_id: str | None = None

    def to_dict(self) -> dict:
        return {"role": self.role, "org_id": self.org_id}


@dataclass(frozen=True)
class Principal:
    """A signed-in account: ``subject`` is its username."""
    subject: str
    grants: tuple = ()
    display_name: str | None = None
    member_id: str | None = None
    claims: dict = field(default_factory=dict, compare=False, repr=False)

    def has(self, role: str) -> bool:
        return any(g.role == role for g in self.grants)

    @property
    def is_district_admin(self) -> bool:
        return self.has(DISTRICT_ADMIN)

    @property
    def admin_orgs(self) -> frozenset:
        return frozenset(g.org_id for g in self.grants if g.role == ORG_ADMIN and g.org_id)

    @property
    def audits_district(self) -> bool:
        return any(g.role == AUDITOR and not g.org_id for g in self.grants)

    @property
    def audit_orgs(self) -> frozenset:
        return frozenset(g.org_id for g in self.grants if g.role == AUDITOR and g.org_id)

    def administers(self, lineage: Iterable[str]) -> bool:
        """Whether this caller may write in an organisation whose ``lineage``
        is the organisation itself and all its ancestors."""
        return self.is_district_admin or not self.admin_orgs.isdisjoint(lineage)

    def reads(self, lineage: Iterable[str]) -> bool:
        """Whether this caller may read an organisation (auditors too)."""
        lineage = frozenset(lineage)
        return (self.administers(lineage) or self.audits_district
                or not self.audit_orgs.isdisjoint(lineage))

    def is_member(self, member_id: str | None) -> bool:
        return member_id is not None and self.member_id == member_id and self.has(MEMBER)

    def may_see_personal_data(self, member_id: str, lineage: Iterable[str]) -> bool:
        """ID number and phone: the member themself, district_admin, or an
        org_admin of the member's branch or above (never an auditor)."""
        return self.is_member(member_id) or self.administers(lineage)

    def to_claims(self) -> dict:
        claims = {"sub": self.subject, "name": self.display_name,
                  "roles": [g.to_dict() for g in self.grants]}
        if self.member_id:
            claims["mid"] = self.member_id
        return claims

    @classmethod
    def from_account(cls, account: dict) -> "Principal":
        """From an identity account (``username``, ``display_name``,
        ``roles`` as ``[{"role", "org_id"}]``, ``member_id``)."""
        return cls(account["username"], tuple(Grant(r["role"], r.get("org_id")) for r in account.get("roles", ())),
                   account.get("display_name"), account.get("member_id"))


def usable_secret(secret) -> bool:
    return isinstance(secret, str) and len(secret.encode("utf-8")) >= MIN_SECRET_BYTES


def issue_access_token(secret: str, principal: Principal, lifetime: int = DEFAULT_ACCESS_SECONDS,
                       now: dt.datetime | None = None) -> str:
    if not usable_secret(secret):
        raise ValueError(f"the JWT secret must be at least {MIN_SECRET_BYTES} bytes")
    now = now or dt.datetime.now(dt.timezone.utc)
    claims = {**principal.to_claims(), "iss": ISSUER, "aud": AUDIENCE, "iat": now,
              "exp": now + dt.timedelta(seconds=lifetime), "jti": uuid.uuid4().hex}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


_VERIFIED: dict = {}
"""(secret, token, max lifetime) -> principal, for tokens already verified:
a signed-in person sends the same token with every request for 15 minutes,
and the gateway and members each check it; a hit is still refused once
the token has expired."""
MAX_VERIFIED = 10_000


def verify_access_token(secret: str, token: str, max_lifetime: int = MAX_ACCESS_SECONDS) -> Principal:
    """The principal of a valid token; ``TokenInvalid`` with a reason otherwise."""
    key = (secret, token, max_lifetime)
    known = _VERIFIED.get(key)
    if known is not None:
        if known.claims["exp"] + LEEWAY_SECONDS > dt.datetime.now(dt.timezone.utc).timestamp():
            return known
        _VERIFIED.pop(key, None)
    principal = _verify(secret, token, max_lifetime)
    if len(_VERIFIED) >= MAX_VERIFIED:
        _VERIFIED.clear()
    _VERIFIED[key] = principal
    return principal


def _verify(secret: str, token: str, max_lifetime: int) -> Principal:
    if not usable_secret(secret):
        raise TokenInvalid("this server accepts no tokens (no JWT secret is configured)")
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                            leeway=LEEWAY_SECONDS, options={"require": ["iss", "aud", "sub", "exp", "iat"]})
    except jwt.ExpiredSignatureError:
        raise TokenInvalid("the bearer token has expired") from None
    except jwt.InvalidTokenError:
        raise TokenInvalid("the bearer token is invalid") from None
    iat, exp = claims["iat"], claims["exp"]
    if not isinstance(iat, (int, float)) or not isinstance(exp, (int, float)) or exp - iat > max_lifetime:
        raise TokenInvalid("the bearer token claims a longer lifetime than this server allows")
    return _principal(claims)


def _principal(claims: dict) -> Principal:
    subject, roles, name, member = claims.get("sub"), claims.get("roles", []), claims.get("name"), claims.get("mid")
    if not isinstance(subject, str) or not 1 <= len(subject.strip()) <= MAX_SUBJECT:
        raise TokenInvalid(f"the token's sub must be a string of 1 to {MAX_SUBJECT} characters")
    if not isinstance(roles, list) or len(roles) > MAX_GRANTS:
        raise TokenInvalid("the token's roles must be a list")
    grants = []
    for entry in roles:
        if not isinstance(entry, dict) or entry.get("role") not in ROLES \
                or not isinstance(entry.get("org_id"), (str, type(None))):
            raise TokenInvalid("the token's roles must be objects with a known role and an org_id")
        grants.append(Grant(entry["role"], entry.get("org_id")))
    if not isinstance(name, (str, type(None))) or not isinstance(member, (str, type(None))):
        raise TokenInvalid("the token's name and mid must be strings")
    return Principal(subject.strip(), tuple(grants), name, member, claims)
