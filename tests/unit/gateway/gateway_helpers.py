"""Helpers of the gateway unit tests (a uniquely named module: the test
folders have no __init__.py)."""
from services.gateway.auth import issue_token

SECRET = "unit-test-secret-" + "x" * 48  # 64+ bytes: no key-length warning for HS512 either


def token(subject="admin-1", roles=("admin",), secret=SECRET, **kwargs) -> str:
    return issue_token(secret, subject, roles, **kwargs)


def bearer(value: str) -> dict:
    return {"Authorization": f"Bearer {value}"}
