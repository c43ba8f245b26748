"""Signed access tokens for tests (a uniquely named module in tests/, which
pytest puts on sys.path): the same secret and master key every test
platform is configured with, and a token for any principal."""
import base64

from shared.access import Grant, Principal, issue_access_token

SECRET = "test-jwt-secret-" + "s" * 40
MASTER_KEY = base64.urlsafe_b64encode(b"k" * 32).decode()
AUTH_CONFIG = {"JWT_SECRET": SECRET, "MASTER_KEY": MASTER_KEY}
"""What every test gateway and members container needs in its config."""


def principal(subject="district-admin", role="district_admin", org_id=None, member_id=None, grants=None):
    grants = tuple(grants) if grants is not None else (Grant(role, org_id),)
    return Principal(subject, grants, subject, member_id)


def token(subject="district-admin", role="district_admin", org_id=None, member_id=None, grants=None,
          secret=SECRET, **kwargs) -> str:
    return issue_access_token(secret, principal(subject, role, org_id, member_id, grants), **kwargs)


def bearer(value: str) -> dict:
    return {"Authorization": f"Bearer {value}"}


def as_role(role="district_admin", org_id=None, subject=None, member_id=None) -> dict:
    """Headers of a request made by an account with one role."""
    return bearer(token(subject or role.replace("_", "-"), role, org_id, member_id))


ADMIN = as_role()
"""Headers of a district_admin's request."""
