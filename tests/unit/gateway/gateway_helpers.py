"""Helpers of the gateway unit tests (a uniquely named module: the test
folders have no __init__.py). Tokens come from tests/access_helpers.py, so
the unit gateway is configured with the same secret as every other test
platform."""
import jwt

from access_helpers import ADMIN, AUTH_CONFIG, MASTER_KEY, SECRET, as_role, bearer, principal, token  # noqa: F401
from shared.access import ALGORITHM, AUDIENCE, ISSUER


def claims_token(claims, secret=SECRET, algorithm=ALGORITHM) -> str:
    """A JWT with exactly ``claims`` (for tokens ``issue_access_token`` would
    never make)."""
    return jwt.encode(claims, secret, algorithm=algorithm)


def standard_claims(now, **overrides) -> dict:
    """The claims of a valid district_admin token issued at ``now`` (a
    datetime) for 15 minutes; ``overrides`` replace or (value None) remove them."""
    import datetime as dt

    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "district-admin", "name": "district-admin",
              "roles": [{"role": "district_admin", "org_id": None}],
              "iat": now, "exp": now + dt.timedelta(minutes=15)}
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}
