"""Replicas that start together (issue: a startup race). Two processes
start the members service's database at the same moment on a fresh
PostgreSQL database, ten times: both create or find every table and serve
a read, with no DuplicateTable or pg_type UniqueViolation."""
import json
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[3]
TRIES = 10

# One replica: waits for each agreed moment, then opens its database the way
# a starting service does (kernel and members tables), and reads from it.
REPLICA = textwrap.dedent("""
    import json, sys, time
    from sqlalchemy import func, select
    from services.members.service import MembersService
    from shared.database import Database
    from shared.tables import events
    plan = json.loads(sys.argv[1])
    results = []
    for url, at in plan:
        time.sleep(max(0.0, at - time.time()))
        try:
            db = Database(url, *MembersService.kernel.metadatas)
            with db.connect() as conn:
                conn.execute(select(func.count()).select_from(events)).scalar_one()
            db.dispose()
            results.append("served")
        except Exception as exc:
            results.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
    print(json.dumps(results))
""")


def test_two_replicas_started_at_the_same_moment_on_a_fresh_database_both_serve(pg_admin_url):
    names = [f"ejia_test_race_{uuid.uuid4().hex[:8]}" for _ in range(TRIES)]
    base = pg_admin_url.rsplit("/", 1)[0]
    start = time.time() + 6.0  # both replicas have imported everything by then
    plan = json.dumps([(f"{base}/{name}", start + 1.0 * i) for i, name in enumerate(names)])
    try:
        replicas = [subprocess.Popen([sys.executable, "-c", REPLICA, plan], cwd=ROOT, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outcomes = []
        for replica in replicas:
            out, err = replica.communicate(timeout=120)
            assert replica.returncode == 0, err[-2000:]
            outcomes.append(json.loads(out.strip().splitlines()[-1]))
        assert outcomes == [["served"] * TRIES] * 2
    finally:
        engine = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
