"""Rosters in and out over HTTP (issue 14, item 7), on the whole platform:
the template; a district-sized roster (6,000 rows) with 30 planted bad rows
refused whole, every one reported by row, column and reason; fixed, it
imports; imported again, nothing changes; the roster back out as XLSX,
masked as the caller's role requires."""
import io
import time

import pytest
from openpyxl import Workbook, load_workbook

from access_helpers import ADMIN, as_role
from roster_rows import roster_row
from shared.contracts.members import COLUMNS

pytestmark = pytest.mark.integration

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROWS = 6000
UNIT = {"name": "纳米科技有限公司", "unit_type": "enterprise"}
BAD = {  # every 200th row, 30 of them, each wrong in one cell: (override, the column named)
    0: ({"身份证号码": "320506199005041230"}, "身份证号码"),
    1: ({"出生日期": "1991-01-01"}, "身份证号码"),  # the ID number says another birth date
    2: ({"所在党支部": "不存在的支部"}, "所在党支部"),
    3: ({"姓名": None}, "姓名"),
    4: ({"确定发展对象日期": "2016-03-01"}, "确定发展对象日期"),
}


def xlsx(rows: list[dict]) -> bytes:
    book = Workbook()
    sheet = book.active
    headers = [header for header, _, _, _ in COLUMNS]
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(header) for header in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(platform, org_id, content: bytes, media=XLSX, headers=ADMIN, expect=202, **params):
    return platform.call("POST", "/api/v1/imports/members", expect, params={"org_id": org_id, **params},
                         data=content, headers={**headers, "Content-Type": media}).json()


def finished(platform, job, timeout=180):
    deadline = time.monotonic() + timeout
    while job["state"] in ("checking", "writing"):
        assert time.monotonic() < deadline, job
        time.sleep(0.5)
        job = platform.call("GET", f"/api/v1/imports/{job['id']}", 200).json()
    return job


@pytest.fixture
def district(platform):
    c = platform.call("POST", "/api/v1/orgs", 201, json={"name": "独墅湖党工委", "kind": "committee"}).json()["id"]
    b = platform.call("POST", "/api/v1/orgs", 201, json={"name": "纳米科技党支部", "kind": "branch", "parent_id": c,
                                                         "unit": UNIT, "full_members": 5}).json()["id"]
    platform.until("GET", f"/api/v1/orgs/{b}/members", 200)  # the members service knows the branch
    return c, b


def test_the_template_has_the_chinese_headers(platform):
    response = platform.call("GET", "/api/v1/imports/members/template", 200)
    assert response.headers["Content-Type"] == XLSX
    book = load_workbook(io.BytesIO(response.content))
    assert [cell.value for cell in book.worksheets[0][1]] == [header for header, _, _, _ in COLUMNS]
    assert book.worksheets[1].title == "填写说明"


def test_a_district_roster_is_refused_whole_then_imports_once(platform, district):
    committee, branch = district
    good = [roster_row(i, branch="纳米科技党支部") for i in range(ROWS)]
    planted = {}
    rows = list(good)
    for n in range(30):
        index = 200 * n + 7
        override, column = BAD[n % len(BAD)]
        rows[index] = roster_row(index, branch="纳米科技党支部", **override)
        planted[index + 2] = column  # the header is row 1
    refused = finished(platform, upload(platform, committee, xlsx(rows)))
    assert refused["state"] == "refused" and refused["written"] == 0
    assert {(e["row"], e["column"]) for e in refused["errors"]} == set(planted.items())
    assert len(refused["errors"]) == 30 and all(e["message"] and e["message_zh"] for e in refused["errors"])
    assert platform.call("GET", f"/api/v1/orgs/{committee}/members", 200).json()["total"] == 0

    imported = finished(platform, upload(platform, committee, xlsx(good)))
    assert (imported["state"], imported["written"], imported["errors"]) == ("imported", ROWS, [])
    assert platform.call("GET", f"/api/v1/orgs/{branch}/members", 200, params={"limit": 1}).json()["total"] == ROWS
    again = finished(platform, upload(platform, committee, xlsx(good)))
    assert (again["state"], again["written"], again["unchanged"]) == ("imported", 0, ROWS)
    assert platform.call("GET", f"/api/v1/orgs/{branch}/members", 200, params={"limit": 1}).json()["total"] == ROWS

    roster = platform.call("GET", f"/api/v1/orgs/{committee}/roster.xlsx", 200)
    sheet = load_workbook(io.BytesIO(roster.content), read_only=True).worksheets[0]
    table = list(sheet.iter_rows(values_only=True))
    assert len(table) == ROWS + 1 and table[0][5] == "身份证号码"
    assert good[0]["身份证号码"] in {row[5] for row in table[1:]}, "a district admin sees the ID numbers"
    masked = platform.call("GET", f"/api/v1/orgs/{committee}/roster.xlsx", 200, headers=as_role("auditor"))
    numbers = {row[5] for row in list(load_workbook(io.BytesIO(masked.content), read_only=True).worksheets[0]
                                      .iter_rows(values_only=True))[1:]}
    assert good[0]["身份证号码"] not in numbers and all("*" in n for n in numbers), "an auditor sees them masked"


def test_a_csv_roster_and_its_refusals(platform, district):
    committee, _ = district
    header = ",".join(h for h, _, _, _ in COLUMNS[:16])
    row = roster_row(9001, branch="纳米科技党支部")
    text = lambda value: value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else str(value)
    line = ",".join(text(row.get(h, "")) for h, _, _, _ in COLUMNS[:16])
    job = finished(platform, upload(platform, committee, f"{header}\n{line}\n".encode("gb18030"), media="text/csv"))
    assert (job["state"], job["written"]) == ("imported", 1), job
    wrong = upload(platform, committee, b"not a spreadsheet", media="image/png", expect=415)
    assert wrong["error"]["code"] == "unsupported_media_type"
    garbled = upload(platform, committee, b"PK\x03\x04 not a zip", expect=400)
    assert garbled["error"]["fields"] == {"file": "unreadable"}
    headless = upload(platform, committee, "姓名\n李明\n".encode(), media="text/csv", expect=400)
    assert "missing_columns" in headless["error"]["fields"]["file"]
    outsider = as_role("org_admin", "some-other-branch")
    upload(platform, committee, f"{header}\n{line}\n".encode(), media="text/csv", headers=outsider, expect=403)
