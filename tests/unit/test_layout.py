"""The shape of a service (docs/architecture.md, "The shape of a service"):
a reader who knows one service finds the same modules, under the same names,
in every other, and in the transfer saga, the members service's sub-domain."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "services"

STANDARD = {"service.py", "domain.py", "commands.py", "projections.py", "queries.py", "tables.py"}
"""What every service with a domain of its own has (the gateway, the HTTP
adapter, has no domain and no tables)."""

SAGA = STANDARD | {"saga.py", "rules.py"}


def domain_packages():
    return sorted(path.parent for path in SERVICES.glob("**/domain.py"))


def test_the_services_are_found():
    names = {str(path.relative_to(SERVICES)) for path in domain_packages()}
    assert {"orgs", "members", "members/transfers", "dues", "identity"} <= names


@pytest.mark.parametrize("package", domain_packages(), ids=lambda path: str(path.relative_to(SERVICES)))
def test_every_service_has_the_standard_modules(package):
    expected = SAGA if package.name == "transfers" else STANDARD
    assert not expected - {path.name for path in package.glob("*.py")}


def test_the_transfer_modules_live_in_their_sub_package():
    assert not list((SERVICES / "members").glob("transfer*.py")), "transfer modules go in services/members/transfers/"


@pytest.mark.parametrize("package", domain_packages(), ids=lambda path: str(path.relative_to(SERVICES)))
def test_each_tables_module_owns_a_metadata(package):
    """Tables are defined on the metadata of their own package's tables.py,
    never on another package's (transfers used to borrow the members one)."""
    text = (package / "tables.py").read_text()
    assert "MetaData()" in text
    for module in package.glob("*.py"):
        assert "from ..tables import" not in module.read_text(), f"{module.name} borrows a parent's metadata"
