"""How fast does a roster import register members, next to raw SQL writing
the same rows into the same tables, measured in the same run?

A roster of --members rows (the import template's columns: full members
with a rule-abiding history, in --branches branches of one committee) is
imported by ``services.members.imports.run_import``, in process, against a
fresh PostgreSQL database with the members service's schema: every row
checked by the registration contract and the Member aggregate, then all
written in one transaction (events, outbox, the members read model, the
encrypted personal data). The baseline writes exactly the rows the import
wrote (read back from its database) into a second fresh database with
psycopg2's ``execute_values``, one statement per table, one transaction.
Rounds alternate, each on fresh databases; the medians are compared. The
import's database must hold exactly --members members, events and outbox
rows, and every ID number once.

    .venv/bin/python bench/imports.py [--members 10000] [--rounds 3] [--json]

Target: the import at least 10% of the raw rate (issue 14).
"""
import argparse
import datetime as dt
import json
import statistics
import time

# _common first: it puts the repository root on sys.path for `shared` and `services`.
from _common import PG_ADMIN_URL, fresh_database, print_table, run_id
import psycopg2
import psycopg2.extras
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from services.members import imports, org_replica, personal, projections, tables
from services.members.transfers import projections as transfer_projections, serials, tables as transfer_tables
from services.members.vault import Vault, new_master_key, parse_master_key
from shared.catalog import catalog
from shared.database import Database
from shared.envelope import Envelope
from shared.store import EventStore, UnitOfWork
from shared.tables import events, outbox
from tests.roster_rows import roster_row

TARGET = 0.10
TABLES = ("events", "outbox", "members", "member_keys", "member_secrets", "member_phone_index")
COMMITTEE = "bench-committee"
_ = serials  # its table joins the transfers' metadata


def database(url: str) -> Database:
    return Database(url, tables.metadata, transfer_tables.metadata)


def tree(db: Database, branches: int) -> list[str]:
    """The committee and its branches, as orgs' events tell the members service."""
    names = []
    with db.begin() as conn:
        org_replica.apply_org_event(conn, Envelope("orgs.org_created", 1, "organisation", COMMITTEE, 1, {
            "name": "基准党工委", "kind": "committee", "parent_id": None, "unit": None,
            "created_on": dt.date(2020, 1, 1)}))
        for i in range(branches):
            name = f"基准第{i + 1}党支部"
            org_replica.apply_org_event(conn, Envelope("orgs.branch_founded", 1, "organisation", f"bench-b{i}", 1, {
                "name": name, "kind": "branch", "parent_id": COMMITTEE, "founded_on": dt.date(2020, 1, 1)}))
            names.append(name)
    return names


def import_round(url: str, rows: list[dict], branches: int, vault: Vault) -> float:
    db = database(url)
    tree(db, branches)
    store = EventStore("members", catalog, [projections.MEMBERS, transfer_projections.TRANSFERS, personal.project])
    with db.begin() as conn:
        job_id = imports.new_job(conn, COMMITTEE, "all", len(rows), "bench")
    started = time.perf_counter()
    imports.run_import(db, lambda: UnitOfWork(db, store), vault, job_id, COMMITTEE, rows, "all", dt.date.today())
    seconds = time.perf_counter() - started
    with db.connect() as conn:
        job = imports.get_job(conn, job_id)
        counts = [conn.execute(select(func.count()).select_from(t)).scalar_one()
                  for t in (projections.members, events, outbox, personal.member_secrets)]
        distinct = conn.execute(select(func.count(personal.member_secrets.c.id_number_hmac.distinct()))).scalar_one()
    assert job["state"] == "imported" and job["written"] == len(rows), (job["state"], job["errors"][:3])
    assert counts == [len(rows)] * 4 and distinct == len(rows), counts
    db.dispose()
    return seconds


def written_rows(url: str) -> dict[str, tuple[list[str], list[tuple]]]:
    """What the import wrote, table by table (columns, rows)."""
    with psycopg2.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)) as pg:
        out = {}
        with pg.cursor() as cursor:
            for table in TABLES:
                cursor.execute(f"SELECT * FROM {table}")
                columns = [d.name for d in cursor.description]
                if table == "events":  # the log's position is the database's own
                    keep = [i for i, c in enumerate(columns) if c != "position"]
                else:
                    keep = [i for i, c in enumerate(columns) if c != "id" or table != "outbox"]
                out[table] = ([columns[i] for i in keep], [tuple(row[i] for i in keep) for row in cursor.fetchall()])
    return out


def raw_round(url: str, rows: dict) -> float:
    db = database(url)  # the same schema
    db.dispose()
    with psycopg2.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)) as pg:
        started = time.perf_counter()
        with pg.cursor() as cursor:
            for table, (columns, values) in rows.items():
                values = [tuple(psycopg2.extras.Json(v) if isinstance(v, (dict, list)) else v for v in row)
                          for row in values]
                psycopg2.extras.execute_values(cursor, f"INSERT INTO {table} ({', '.join(columns)}) VALUES %s",
                                               values, page_size=1000)
        pg.commit()
        return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--branches", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    vault = Vault(parse_master_key(new_master_key()))
    names = [f"基准第{i + 1}党支部" for i in range(args.branches)]
    rows = [roster_row(i, branch=names[i % args.branches]) for i in range(args.members)]
    imported, raw = [], []
    tag = run_id()
    for round_ in range(args.rounds):
        with fresh_database(PG_ADMIN_URL, f"ejia_bench_import_{tag}_{round_}") as url, \
                fresh_database(PG_ADMIN_URL, f"ejia_bench_raw_{tag}_{round_}") as raw_url:
            imported.append(import_round(url, rows, args.branches, vault))
            raw.append(raw_round(raw_url, written_rows(url)))
    import_rate = args.members / statistics.median(imported)
    raw_rate = args.members / statistics.median(raw)
    ratio = import_rate / raw_rate
    figures = {"members": args.members, "rounds": args.rounds, "import_seconds": imported, "raw_seconds": raw,
               "import_members_per_s": round(import_rate), "raw_members_per_s": round(raw_rate),
               "import_over_raw": round(ratio, 3), "target": TARGET, "met": ratio >= TARGET}
    if args.json:
        print(json.dumps(figures))
        return
    print_table([("import (check + write)", f"{import_rate:,.0f}/s", f"{statistics.median(imported):.2f} s"),
                 ("raw execute_values, same rows", f"{raw_rate:,.0f}/s", f"{statistics.median(raw):.2f} s"),
                 ("import / raw", f"{ratio:.3f}", f"target >= {TARGET} {'met' if ratio >= TARGET else 'NOT met'}")],
                ("", "rate", "median"))



if __name__ == "__main__":
    main()
