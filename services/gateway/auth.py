"""Bearer-token authentication: access tokens (``shared.access``) signed
with HS256 and the secret in the nameko config key ``JWT_SECRET`` (env
``EJIA_JWT_SECRET``; embedded mode makes one per data folder).

No Authorization header means an anonymous caller (who reaches only the
public routes); a token that is present but invalid, expired, signed with
another key, for another audience or claiming too long a life is refused
(401), never treated as anonymous. Tokens and their claims are never logged.

The gateway refuses to start without a secret of at least 32 bytes and a
master key for personal data (``MASTER_KEY``): a platform without either
could not keep anyone out, or keep personal data secret.
"""
import logging

from nameko.extensions import DependencyProvider

from shared.access import (DEFAULT_ACCESS_SECONDS, MAX_ACCESS_SECONDS, MIN_SECRET_BYTES, Principal, TokenInvalid,
                           issue_access_token, usable_secret, verify_access_token)

from .responses import HttpError

log = logging.getLogger(__name__)

CONFIG_KEY = "JWT_SECRET"
MASTER_KEY = "MASTER_KEY"
LIFETIME_KEY = "ACCESS_TOKEN_SECONDS"
POLICY_OFF_KEY = "BENCH_ONLY_POLICY_OFF"  # bench/gateway.py's baseline of the policy check; never in production


def unauthorized(message: str) -> HttpError:
    return HttpError(401, "unauthorized", message, headers={
        "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{message}"'})


class Authenticator:
    """Turns a request's Authorization header into a ``Principal`` (or None),
    and signs the access tokens the sign-in routes hand out."""

    def __init__(self, secret, lifetime: int = DEFAULT_ACCESS_SECONDS, policy_off: bool = False):
        self._secret = secret if usable_secret(secret) else None
        self.lifetime = lifetime
        self.policy_off = policy_off

    @property
    def configured(self) -> bool:
        return self._secret is not None

    def caller(self, request) -> tuple[Principal | None, str | None]:
        """(principal, raw token), or (None, None) without an Authorization header."""
        header = request.headers.get("Authorization")
        if header is None:
            return None, None
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise unauthorized("Use 'Authorization: Bearer <token>'.")
        try:
            return verify_access_token(self._secret, token), token
        except TokenInvalid as exc:
            raise unauthorized(str(exc)[0].upper() + str(exc)[1:] + ".") from None

    def issue(self, principal: Principal) -> dict:
        """The access-token half of a sign-in answer."""
        return {"access_token": issue_access_token(self._secret, principal, self.lifetime),
                "token_type": "bearer", "expires_in": self.lifetime}


def _lifetime(config) -> int:
    try:
        seconds = int(config.get(LIFETIME_KEY) or DEFAULT_ACCESS_SECONDS)
    except (TypeError, ValueError):
        raise RuntimeError(f"{LIFETIME_KEY} must be a whole number of seconds") from None
    if not 60 <= seconds <= MAX_ACCESS_SECONDS:
        raise RuntimeError(f"{LIFETIME_KEY} must be between 60 and {MAX_ACCESS_SECONDS} seconds")
    return seconds


def check_config(config) -> None:
    """Raise unless the gateway can be started with ``config``."""
    secret = config.get(CONFIG_KEY)
    if not usable_secret(secret):
        reason = "not set" if not secret else f"shorter than {MIN_SECRET_BYTES} bytes"
        raise RuntimeError(f"{CONFIG_KEY} (EJIA_JWT_SECRET) is {reason}: the gateway will not start "
                           f"without a secret of at least {MIN_SECRET_BYTES} bytes")
    if not config.get(MASTER_KEY):
        raise RuntimeError(f"{MASTER_KEY} (EJIA_MASTER_KEY) is not set: the gateway will not start "
                           "without the master key for personal data")


class Auth(DependencyProvider):
    """Gives each worker the ``Authenticator`` for the configured secret."""

    def setup(self):
        config = self.container.config
        check_config(config)
        policy_off = str(config.get(POLICY_OFF_KEY, "")).lower() in ("1", "true", "yes")
        if policy_off:
            log.warning("%s is set: the policy table is NOT checked (a benchmark baseline only)", POLICY_OFF_KEY)
        self.authenticator = Authenticator(config[CONFIG_KEY], _lifetime(config), policy_off)

    def get_dependency(self, worker_ctx):
        return self.authenticator
