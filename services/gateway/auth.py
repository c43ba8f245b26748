"""Bearer-token authentication: JWTs signed with HS256 and the secret in the
nameko config key ``JWT_SECRET`` (env ``EJIA_JWT_SECRET``; embedded mode
makes one per data folder).

Claims: ``sub`` (who is acting: recorded as the actor of the events),
``roles`` (a list of strings), ``exp`` (required). No token means an
anonymous caller; a token that is present but invalid, expired or signed
with another secret is refused (401), never treated as anonymous.

Roles: ``personal_data`` or ``admin`` may see members' ID numbers and
phones unmasked. Tokens and their claims are never logged.
"""
import datetime as dt
import logging
from dataclasses import dataclass, field

import jwt
from nameko.extensions import DependencyProvider

from .responses import HttpError

log = logging.getLogger(__name__)

ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32  # RFC 7518 3.2: an HS256 key is at least 256 bits
LEEWAY_SECONDS = 30  # clock skew between the issuer and the gateway
MAX_SUBJECT = 100  # the event stores keep 100 characters of actor
MAX_ROLES = 50
ADMIN = "admin"
PERSONAL_DATA = "personal_data"
PERSONAL_DATA_ROLES = frozenset({ADMIN, PERSONAL_DATA})
CONFIG_KEY = "JWT_SECRET"


@dataclass(frozen=True)
class Caller:
    """Who is calling: ``subject`` is None for an anonymous caller."""
    subject: str | None = None
    roles: frozenset = field(default_factory=frozenset)

    @property
    def authenticated(self) -> bool:
        return self.subject is not None

    @property
    def may_see_personal_data(self) -> bool:
        return bool(self.roles & PERSONAL_DATA_ROLES)


ANONYMOUS = Caller()


def unauthorized(message: str) -> HttpError:
    return HttpError(401, "unauthorized", message, headers={
        "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{message}"'})


def usable_secret(secret) -> bool:
    return isinstance(secret, str) and len(secret.encode("utf-8")) >= MIN_SECRET_BYTES


def issue_token(secret: str, subject: str, roles=(), *, expires_in: dt.timedelta = dt.timedelta(hours=1),
                now: dt.datetime | None = None) -> str:
    """A signed token (for embedded mode's admin token, tests and tools)."""
    if not usable_secret(secret):
        raise ValueError(f"the JWT secret must be at least {MIN_SECRET_BYTES} bytes")
    now = now or dt.datetime.now(dt.timezone.utc)
    claims = {"sub": subject, "roles": list(roles), "iat": now, "exp": now + expires_in}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


class Authenticator:
    """Turns a request's Authorization header into a ``Caller``."""

    def __init__(self, secret):
        self._secret = secret if usable_secret(secret) else None

    @property
    def configured(self) -> bool:
        return self._secret is not None

    def caller(self, request) -> Caller:
        header = request.headers.get("Authorization")
        if header is None:
            return ANONYMOUS
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise unauthorized("Use 'Authorization: Bearer <token>'.")
        if self._secret is None:
            raise unauthorized("This server accepts no tokens (no JWT secret is configured).")
        try:
            claims = jwt.decode(token, self._secret, algorithms=[ALGORITHM], leeway=LEEWAY_SECONDS,
                                options={"require": ["sub", "exp"]})
        except jwt.ExpiredSignatureError:
            raise unauthorized("The bearer token has expired.") from None
        except jwt.InvalidTokenError:
            raise unauthorized("The bearer token is invalid.") from None
        return _caller(claims)


def _caller(claims: dict) -> Caller:
    subject, roles = claims.get("sub"), claims.get("roles", [])
    if not isinstance(subject, str) or not 1 <= len(subject.strip()) <= MAX_SUBJECT:
        raise unauthorized(f"The token's sub must be a string of 1 to {MAX_SUBJECT} characters.")
    if not isinstance(roles, list) or len(roles) > MAX_ROLES or not all(isinstance(r, str) for r in roles):
        raise unauthorized("The token's roles must be a list of strings.")
    return Caller(subject.strip(), frozenset(roles))


class Auth(DependencyProvider):
    """Gives each worker the ``Authenticator`` for the configured secret."""

    def setup(self):
        secret = self.container.config.get(CONFIG_KEY)
        self.authenticator = Authenticator(secret)
        if not self.authenticator.configured:
            reason = "not set" if not secret else f"shorter than {MIN_SECRET_BYTES} bytes"
            log.warning("%s is %s: bearer tokens will be refused (401); callers are anonymous "
                        "and personal data stays masked", CONFIG_KEY, reason)

    def get_dependency(self, worker_ctx):
        return self.authenticator
