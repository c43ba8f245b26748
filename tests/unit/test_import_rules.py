"""The layering rules of docs/architecture.md, checked on every module's
imports (an ast walk: what a module imports, at any depth of its body):

- a service imports no other service;
- ``shared`` imports no service;
- a domain module imports no database, broker, web or schema library
  (sqlalchemy, nameko, eventlet, marshmallow, nor ``shared.contracts``,
  which is marshmallow);
- nameko and eventlet are imported only by entrypoints, the gateway, the
  kernel's one adapter and the runners that start the platform;
- no module imports itself back through others (no import cycles).

A fixture tree with one violation of each rule proves that the check fails."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

DOMAIN_MODULES = {"domain.py", "rules.py", "ledger.py", "checks.py", "status.py", "admission.py", "pipeline.py",
                  "founding.py", "member.py"}
FRAMEWORK = ("sqlalchemy", "nameko", "eventlet", "marshmallow", "shared.contracts")
RUNTIME = ("nameko", "eventlet")
RUNTIME_ALLOWED = ("service.py", "_service.py")  # entrypoints, by file name
RUNTIME_ALLOWED_PATHS = ("services/gateway/", "shared/nameko_adapter.py", "services/embedded.py",
                         "services/cli.py")


def imports(root: Path, rel: Path) -> set[str]:
    """Every module ``rel`` imports (relative imports made absolute), at any depth."""
    tree = ast.parse((root / rel).read_text(encoding="utf-8"))
    package = list(rel.with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(root: Path) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] not in ("services", "shared"):
            continue
        modules = imports(root, rel)
        where = rel.as_posix()
        if rel.parts[0] == "services" and len(rel.parts) > 2:
            own = rel.parts[1]
            for module in modules:
                parts = module.split(".")
                if parts[0] == "services" and len(parts) > 1 and parts[1] != own and \
                        (root / "services" / parts[1]).is_dir():
                    problems.append(f"{where}: the {own} service imports another service ({module})")
        if rel.parts[0] == "shared":
            problems += [f"{where}: shared imports a service ({m})" for m in modules if _under(m, "services")]
        if rel.name in DOMAIN_MODULES and rel.parts[0] == "services":
            problems += [f"{where}: a domain module imports {m}" for m in modules
                         if any(_under(m, lib) for lib in FRAMEWORK)]
        allowed = rel.name in RUNTIME_ALLOWED or rel.name.endswith(RUNTIME_ALLOWED[1]) or \
            any(where.startswith(p) for p in RUNTIME_ALLOWED_PATHS)
        if not allowed:
            problems += [f"{where}: imports {m} outside the entrypoints, the gateway and the kernel adapter"
                         for m in modules if any(_under(m, lib) for lib in RUNTIME)]
    return sorted(set(problems))


def import_cycles(root: Path) -> list[list[str]]:
    """Groups of modules under services/ and shared/ that import each other
    round (Tarjan's strongly connected components of the import graph)."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] in ("services", "shared"):
            name = ".".join(rel.with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = rel
    graph = {m: sorted(i for i in imports(root, rel) if i in modules and i != m) for m, rel in modules.items()}
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for v in graph:
        if v not in index:
            visit(v)
    return cycles


def test_there_are_no_import_cycles():
    assert import_cycles(ROOT) == []


def test_an_import_cycle_is_found(tmp_path):
    for name, text in {"shared/__init__.py": "", "shared/a.py": "from . import b\n",
                       "shared/b.py": "from .a import x\n", "shared/c.py": "from . import a\n"}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert import_cycles(tmp_path) == [["shared.a", "shared.b"]]


def test_the_tree_keeps_the_layering_rules():
    assert violations(ROOT) == []


@pytest.fixture
def bad_tree(tmp_path):
    files = {
        "services/__init__.py": "",
        "services/orgs/__init__.py": "",
        "services/orgs/commands.py": "from services.dues import ledger\n",
        "services/orgs/domain.py": "import sqlalchemy\nfrom shared.contracts.orgs import KINDS\n",
        "services/orgs/queries.py": "def later():\n    import eventlet\n",
        "services/orgs/service.py": "from nameko.rpc import rpc\n",
        "services/dues/__init__.py": "",
        "services/dues/ledger.py": "",
        "shared/__init__.py": "",
        "shared/store.py": "from ..services.orgs import commands\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_a_deliberate_violation_of_each_rule_fails_the_check(bad_tree):
    found = violations(bad_tree)
    assert found == sorted([
        "services/orgs/commands.py: the orgs service imports another service (services.dues)",
        "services/orgs/commands.py: the orgs service imports another service (services.dues.ledger)",
        "services/orgs/domain.py: a domain module imports shared.contracts.orgs",
        "services/orgs/domain.py: a domain module imports shared.contracts.orgs.KINDS",
        "services/orgs/domain.py: a domain module imports sqlalchemy",
        "services/orgs/queries.py: imports eventlet outside the entrypoints, the gateway and the kernel adapter",
        "shared/store.py: shared imports a service (services.orgs)",
        "shared/store.py: shared imports a service (services.orgs.commands)",
    ])
