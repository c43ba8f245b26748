"""The repository's code cites its own docs, not files outside it."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = re.compile(r"\b(DOMAIN|STACK|ARCHITECTURE)\.md\b|\.\./shared")


def _sources():
    for folder in ("services", "shared", "tests", "bench", "scripts"):
        yield from (ROOT / folder).rglob("*.py")


def test_no_python_file_cites_a_file_outside_the_repository():
    assert [str(p.relative_to(ROOT)) for p in _sources() if OUTSIDE.search(p.read_text(encoding="utf-8"))] == []


def test_the_docs_that_code_cites_exist_with_their_sections():
    domain = (ROOT / "docs" / "domain.md").read_text(encoding="utf-8")
    cited = {m for p in _sources() for m in re.findall(r"docs/domain\.md (§\d)", p.read_text(encoding="utf-8"))}
    assert cited and all(f"## {section} " in domain for section in cited)
    assert (ROOT / "docs" / "architecture.md").is_file()
