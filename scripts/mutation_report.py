"""Mutation score of the rule modules, from mutmut 3's results (``make mutation``).

    python scripts/mutation_report.py --select   # the mutant globs `make mutation` runs
    python scripts/mutation_report.py            # per-module score and the survivors

Reads ``[tool.mutmut] only_mutate`` in pyproject.toml (the rule modules), the
``[scope]`` and ``[[equivalent]]`` tables of mutation-equivalents.toml, and
mutmut's per-file results in ``mutants/<path>.meta`` (JSON; ``exit_code_by_key``
maps each mutant id to the exit code of its test run, None if not yet run).

Score per module: killed / (total - equivalent), where killed counts mutants
that made a test fail or time out, and total counts the mutants in scope.
Every other outcome (survived, no test ran it, not checked, suspicious) is a
survivor and is listed with its diff unless it is a reviewed equivalent.
Run from the repository root; exit status 0 (a report, not a gate), 2 if the
equivalents file names a mutant that no longer exists.
"""
import argparse
import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "mutation-equivalents.toml"

# mutmut 3.8.1's stats.status_by_exit_code, folded into what the score needs.
KILLED = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout"}
OTHER = {0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", None: "not checked"}


def module_of(path: str) -> str:
    return path[:-3].replace("/", ".")


def mangled(function: str) -> str:
    """``Class.method`` or ``function`` as mutmut 3 names it in a mutant id."""
    if "." in function:
        cls, _, method = function.partition(".")
        return f"xǁ{cls}ǁ{method}"
    return f"x_{function}"


def load_config():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    paths = pyproject["tool"]["mutmut"]["only_mutate"]
    data = tomllib.loads(EQUIVALENTS.read_text("utf-8")) if EQUIVALENTS.exists() else {}
    scope = data.get("scope", {})
    equivalents = {entry["id"]: entry["reason"] for entry in data.get("equivalent", [])}
    return paths, scope, equivalents


def selection(paths, scope):
    """mutmut run globs: every mutant of a rule module, or only those of its
    in-scope functions where [scope] lists them."""
    globs = []
    for path in paths:
        module = module_of(path)
        if path in scope:
            globs += [f"{module}.{mangled(f)}__mutmut_*" for f in scope[path]]
        else:
            globs.append(f"{module}.*")
    return globs


def in_scope(mutant_id, path, scope):
    if path not in scope:
        return True
    function = mutant_id[len(module_of(path)) + 1:].partition("__mutmut_")[0]
    return function in {mangled(f) for f in scope[path]}


def describe(mutant_id, path):
    """The mutation as a one-line-per-change diff (mutmut's own diff code)."""
    try:
        from mutmut.mutation.diff_apply import get_diff_for_mutant
        diff = get_diff_for_mutant(mutant_id, path=path)
    except Exception as e:  # an old or partial mutants/ tree: name it, don't stop the report
        return f"      (no diff: {e})"
    lines = [ln for ln in diff.splitlines()
             if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    return "\n".join("      " + ln.rstrip() for ln in lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--select", action="store_true", help="print the mutmut run globs, one a line")
    parser.add_argument("--no-diff", action="store_true", help="name the survivors without their diffs")
    args = parser.parse_args()
    paths, scope, equivalents = load_config()
    if args.select:
        print("\n".join(selection(paths, scope)))
        return 0

    import os
    os.chdir(ROOT)
    known = set()
    rows, survivors = [], []
    for path in paths:
        meta = ROOT / "mutants" / (path + ".meta")
        if not meta.exists():
            rows.append((path, None))
            continue
        results = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
        counts = {"total": 0, "killed": 0, "timeout": 0, "equivalent": 0, "survived": 0, "no tests": 0,
                  "not checked": 0, "other": 0}
        for mutant_id, code in sorted(results.items(), key=lambda kv: _natural(kv[0])):
            if not in_scope(mutant_id, path, scope):
                continue
            known.add(mutant_id)
            counts["total"] += 1
            if code in KILLED:
                counts["killed"] += 1
                counts["timeout"] += KILLED[code] == "timeout"
                if mutant_id in equivalents:
                    print(f"note: {mutant_id} is listed as equivalent but was killed: take it off the list")
                continue
            if mutant_id in equivalents:
                counts["equivalent"] += 1
                continue
            status = OTHER.get(code, "suspicious")
            counts[status if status in counts else "other"] += 1
            if status != "not checked":  # counted, but a run that stopped early is no list of survivors
                survivors.append((path, mutant_id, status))
        rows.append((path, counts))

    print(f"{'module':42} {'killed':>6} {'total':>6} {'equiv':>6} {'surv':>5} {'unrun':>5} {'score':>7}")
    sums = {"total": 0, "killed": 0, "equivalent": 0, "not checked": 0}
    for path, c in rows:
        if c is None:
            print(f"{path:42} {'(no mutmut results: run make mutation)':>40}")
            continue
        for k in sums:
            sums[k] += c[k]
        print(f"{path:42} {c['killed']:>6} {c['total']:>6} {c['equivalent']:>6} "
              f"{c['total'] - c['killed'] - c['equivalent'] - c['not checked']:>5} {c['not checked']:>5} {_score(c):>7}")
    print(f"{'all rule modules':42} {sums['killed']:>6} {sums['total']:>6} {sums['equivalent']:>6} "
          f"{sums['total'] - sums['killed'] - sums['equivalent'] - sums['not checked']:>5} "
          f"{sums['not checked']:>5} {_score(sums):>7}")
    print("score = killed (test failed or timed out) / (total in scope - reviewed equivalents); "
          "unrun = not yet tested (counted as not killed)")

    stale = sorted(set(equivalents) - known)
    if survivors:
        print(f"\n{len(survivors)} surviving mutants not in {EQUIVALENTS.name} (write a test, or review as equivalent):")
        for path, mutant_id, status in survivors:
            print(f"  {mutant_id}  [{status}]")
            if not args.no_diff:
                print(describe(mutant_id, path))
    if stale and all(c is not None for _, c in rows):
        print(f"\n{EQUIVALENTS.name} names mutants that no longer exist (the code changed: review again):")
        for mutant_id in stale:
            print(f"  {mutant_id}")
        return 2
    return 0


def _score(c):
    tested = c["total"] - c["equivalent"]
    return f"{100 * c['killed'] / tested:.1f}%" if tested else "-"


def _natural(mutant_id):
    head, _, number = mutant_id.rpartition("__mutmut_")
    return head, int(number) if number.isdigit() else 0


if __name__ == "__main__":
    sys.exit(main())
