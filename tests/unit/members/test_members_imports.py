"""Rosters in (issue 14, item 7): every row checked with every registration
rule and reported with its row, column and reason in Chinese and English;
nothing written unless the whole file is valid (or only the valid rows, in
mode valid_rows); the ID number is the natural key, so importing a file
twice changes nothing."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from members_builders import TODAY
from roster_rows import roster_row
from services.members import imports, personal, queries
from services.members.projections import members
from shared.errors import InvalidInput
from shared.tables import events, outbox



@pytest.fixture
def vault():
    return personal.throwaway_vault()


@pytest.fixture
def do_import(db, uow, vault, district):
    def do(rows, mode="all", org_id="committee-1"):
        with db.begin() as conn:
            job_id = imports.new_job(conn, org_id, mode, len(rows), "tester")
        imports.run_import(db, uow, vault, job_id, org_id, rows, mode, TODAY)
        with db.connect() as conn:
            return imports.get_job(conn, job_id)
    return do


def count(db, table):
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


BAD = [
    # (row overrides, the column named, the code)
    ({"姓名": None}, "姓名", "required"),
    ({"身份证号码": "320506199005041230"}, "身份证号码", "invalid"),  # a wrong check digit
    ({"所在党支部": "No Such Branch"}, "所在党支部", "import.branch_unknown"),
    ({"所在党支部": "Hill Branch"}, "所在党支部", "import.branch_unknown"),  # another committee's
    ({"确定发展对象日期": "2016-03-01"}, "确定发展对象日期", "members.pipeline.activist_period"),
    ({"人员类别": "党员"}, "人员类别", "invalid"),
    ({"转为正式党员日期": "2016-12-01"}, "转为正式党员日期", "invalid"),  # before the admission
]


def test_every_bad_row_is_reported_with_its_row_column_and_reason_and_nothing_is_written(db, do_import):
    before = count(db, members)
    rows = [roster_row(i) for i in range(20)]
    for offset, (overrides, _, _) in enumerate(BAD):
        rows[2 * offset + 1] = roster_row(2 * offset + 1, **overrides)
    job = do_import(rows)
    assert job["state"] == "refused" and job["written"] == 0
    found = {(e["row"], e["column"], e["code"]) for e in job["errors"]}
    assert found == {(2 * offset + 3, column, code) for offset, (_, column, code) in enumerate(BAD)}
    assert all(e["message"] and e["message_zh"] for e in job["errors"])
    assert next(e for e in job["errors"] if e["code"] == "members.pipeline.activist_period")["message_zh"] == \
        "入党积极分子培养期未满规定期限"
    assert count(db, members) == before, "nothing written"


def test_the_fixed_file_imports_and_imported_again_changes_nothing(db, read, do_import):
    rows = [roster_row(i) for i in range(30)]
    rows[4] = roster_row(4, **{"所在党支部": "Other Branch", "党小组": None})
    rows[5] = roster_row(5, **{"所在党支部": "branch-1", "党小组": "Lab Group", "人员类别": "预备党员",
                               "转为正式党员日期": None, "接收预备党员日期": "2026-06-10"})
    before, logged = count(db, members), count(db, events)
    job = do_import(rows)
    assert (job["state"], job["written"], job["unchanged"], job["errors"]) == ("imported", 30, 0, [])
    assert count(db, members) == before + 30 and count(db, events) == logged + 30
    assert count(db, outbox) >= 30
    page = read(queries.list_members, "group-1", None, None, 50, 0)
    assert "党员5" in [row["name"] for row in page["items"]]
    again = do_import(rows)
    assert (again["state"], again["written"], again["unchanged"]) == ("imported", 0, 30)
    assert count(db, members) == before + 30 and count(db, events) == logged + 30, "nothing changes"


def test_in_mode_valid_rows_only_the_valid_rows_are_written(db, do_import):
    rows = [roster_row(100 + i) for i in range(5)]
    rows[2] = roster_row(102, **{"出生日期": "1991-01-01"})  # does not match the ID number
    before = count(db, members)
    job = do_import(rows, mode="valid_rows")
    assert (job["state"], job["written"], [e["row"] for e in job["errors"]]) == ("imported", 4, [4])
    assert count(db, members) == before + 4


def test_the_same_id_number_twice_in_a_file_is_refused_at_its_second_row(do_import):
    rows = [roster_row(200), roster_row(201), roster_row(200, **{"姓名": "重复"})]
    job = do_import(rows)
    assert [(e["row"], e["column"], e["code"]) for e in job["errors"]] == \
        [(4, "身份证号码", "import.duplicate_in_file")]


def test_a_history_breaking_a_rule_imports_with_its_legacy_exception(read, do_import):
    broken = {"确定发展对象日期": "2015-10-01", "例外情况说明": "档案记载如此", "例外依据文件": "湖组〔2026〕12号"}
    job = do_import([roster_row(300, **broken)])
    assert job["state"] == "imported"
    listed = read(queries.list_legacy_exceptions, "committee-1", limit=50, offset=0)
    assert [item["name"] for item in listed["items"]] == ["党员300"]


def test_a_large_file_shows_its_progress(db, uow, vault, district):
    rows = [roster_row(400 + i) for i in range(1200)]
    with db.begin() as conn:
        job_id = imports.new_job(conn, "committee-1", "all", len(rows), None)
    seen = []
    original = imports.update_job

    def watched(conn, job, **values):
        seen.append(values.get("checked"))
        original(conn, job, **values)
    imports.update_job, saved = watched, imports.update_job
    try:
        imports.run_import(db, uow, vault, job_id, "committee-1", rows, "all", TODAY)
    finally:
        imports.update_job = saved
    assert [n for n in seen if n is not None][:3] == [0, 500, 1000]
    with db.connect() as conn:
        assert imports.get_job(conn, job_id)["written"] == 1200


def test_the_chinese_messages_name_no_rule_figures():
    """The figures are the rule set's: a message that named one would go stale with a revision."""
    from shared.vocabulary import MESSAGES_ZH
    figures = set("0123456789一二三四五六七八九十百")
    assert not [message for message in MESSAGES_ZH.values() if figures & set(message)]
    assert {"members.vote.eligible_count", "members.transfer.dues_outstanding",
            "orgs.count.differs_from_records", "members.pipeline.min_age"} <= set(MESSAGES_ZH)


def test_a_job_its_process_left_unfinished_reads_as_failed_with_nothing_written():
    """A kill of the members process mid-import leaves its job checking or writing; nothing of it was
    written (one transaction), and after ``STALE_AFTER`` the job says so."""
    now = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.timezone.utc)
    job = {"state": "writing", "created_at": now - imports.STALE_AFTER - dt.timedelta(seconds=1), "errors": []}
    answered = imports.job_answer(job, now)
    assert answered["state"] == "failed" and [e["code"] for e in answered["errors"]] == ["import.interrupted"]
    fresh = {**job, "created_at": now - dt.timedelta(minutes=1)}
    assert imports.job_answer(fresh, now)["state"] == "writing"


def test_a_roster_too_large_for_one_export_is_refused_not_cut(read, district, monkeypatch):
    monkeypatch.setattr(queries, "MAX_ROSTER", 3)
    assert len(read(queries.roster, "branch-1")) == 3
    with pytest.raises(InvalidInput):
        read(queries.roster, "committee-1")
