"""Each module the distributed deployment runs (`nameko run --config
config/nameko.yaml services.<name>.service`, as docker-compose.yml and the
e2e harness do) holds exactly one nameko service: `nameko run` takes every
class with entrypoints in the module's namespace, so a mixin imported by
name (``from .x import SomeEntrypoints``) becomes a second, nameless
"service" and the process exits at once. Import the mixin's module instead
(``from . import x``; ``class FooService(x.SomeEntrypoints)``)."""
import pytest
from nameko.cli.run import import_service

from .conftest import DISTRIBUTED_SERVICES


@pytest.mark.parametrize("name", DISTRIBUTED_SERVICES)
def test_nameko_run_finds_exactly_one_service(name):
    found = import_service(f"services.{name}.service")
    assert [cls.name for cls in found if hasattr(cls, "name")] == [name] and len(found) == 1, (
        f"`nameko run services.{name}.service` would run {[c.__qualname__ for c in found]}: "
        "import mixins by module, not by class name (see this test's docstring)")
