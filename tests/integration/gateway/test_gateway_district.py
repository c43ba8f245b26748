"""District staff see their district (issue 14, items 5 and 6), over HTTP on
the whole platform (real nameko containers, RabbitMQ, PostgreSQL): the root
committee's members, transfers, pipeline deadlines, founding requests and
arrears hold the whole subtree, their totals the sums over the branches; a
party group lists the members naming it; search finds by name and by ID
number within the caller's scope and nothing outside it."""
import datetime as dt
import io
import time

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from access_helpers import as_role
from services.demo_members import id_number
from stage_history import history_json

pytestmark = pytest.mark.integration

TODAY = dt.date.today()
UNIT = {"name": "纳米科技有限公司", "unit_type": "enterprise"}


def org(platform, name, kind, parent_id=None):
    body = {"name": name, "kind": kind, "parent_id": parent_id}
    if kind == "branch":
        body.update(unit=UNIT, full_members=5)
    return platform.call("POST", "/api/v1/orgs", 201, json=body).json()["id"]


def person(org_id, sequence, name, stage="full", **extra):
    birth = dt.date(1990, 3, 7)
    dates = history_json("full", full_on="2016-07-01") if stage == "full" else \
        {"applied_on": (TODAY - dt.timedelta(days=3)).isoformat()}
    return {"name": name, "gender": "female", "birth_date": birth.isoformat(), "ethnicity": "汉族",
            "education": "本科", "employer": "纳米科技有限公司", "id_number": id_number("320506", birth, sequence),
            "phone": f"139{sequence:08d}", "org_id": org_id, "stage": stage, **dates, **extra}


@pytest.fixture
def district(platform):
    """Committee C: general branch G (branch B1, with party group P), branch B2;
    committee H: branch B3. Members in each; a transfer out of B1; an
    applicant in B2; a founding request to G; dues owed in B1 and B3."""
    c = org(platform, "独墅湖党工委", "committee")
    g = org(platform, "科教创新区党总支", "general_branch", c)
    b1, b2 = org(platform, "纳米科技党支部", "branch", g), org(platform, "生物医药党支部", "branch", c)
    p = org(platform, "研发党小组", "group", b1)
    h = org(platform, "月亮湾党工委", "committee")
    b3 = org(platform, "芯片设计党支部", "branch", h)
    add = lambda body: platform.until("POST", "/api/v1/members", 201, json=body)
    m = {"王芳": add(person(b1, 1, "王芳", group_id=p)), "李强": add(person(b1, 2, "李强", group_id=p)),
         "张伟": add(person(b1, 3, "张伟")), "赵敏": add(person(b2, 4, "赵敏")),
         "钱丽": add(person(b2, 5, "钱丽", stage="applicant")), "王明": add(person(b3, 6, "王明"))}
    m = {name: member["id"] for name, member in m.items()}
    platform.until("POST", "/api/v1/transfers", 201, json={
        "member_id": m["张伟"], "to_org_id": b3, "scope": "elsewhere", "grounds": "employer_change"})
    platform.call("POST", f"/api/v1/orgs/{g}/founding-requests", 201, json={
        "proposed_name": "量子实验室党支部", "unit": {"name": "量子实验室", "unit_type": "research_institute"},
        "full_members": 3, "founding_members": [{"name": n} for n in ("甲", "乙", "丙")],
        "proposed_committee": [{"role": "secretary", "name": "甲"}]})
    for name in ("王芳", "赵敏", "王明"):
        platform.until("PUT", f"/api/v1/members/{m[name]}/dues-base", 200, json={
            "category": "employed", "base": "6800.00", "effective_month": f"{TODAY:%Y-%m}"})
    return {"C": c, "G": g, "B1": b1, "B2": b2, "P": p, "H": h, "B3": b3, "members": m}


def get(platform, path, **params):
    return platform.call("GET", path, 200, params=params).json()


def test_the_root_committee_lists_its_whole_subtree_with_the_branches_totals(platform, district):
    d, branches = district, (district["B1"], district["B2"])
    listed = lambda org_id, **q: get(platform, f"/api/v1/orgs/{org_id}/members", **q)
    root = listed(d["C"])
    assert root["total"] == sum(listed(b)["total"] for b in branches) == 5
    assert {row["org_id"] for row in root["items"]} == set(branches)
    assert listed(d["C"], scope="org")["total"] == 0
    assert sorted(row["name"] for row in listed(d["P"])["items"]) == ["李强", "王芳"], "the party group's members"

    sending = lambda org_id: get(platform, f"/api/v1/orgs/{org_id}/transfers", side="sending")["total"]
    assert sending(d["C"]) == sending(d["B1"]) + sending(d["B2"]) == 1
    receiving = get(platform, f"/api/v1/orgs/{d['H']}/transfers", side="receiving")
    assert [t["member_id"] for t in receiving["items"]] == [d["members"]["张伟"]]

    due = lambda org_id: {(i["member_id"], i["kind"]) for i in get(platform, f"/api/v1/orgs/{org_id}/pipeline/due")
                          ["due"]}
    assert due(d["C"]) == due(d["B1"]) | due(d["B2"]) and (d["members"]["钱丽"], "talk") in due(d["C"])

    requests_to = lambda org_id, **q: get(platform, f"/api/v1/orgs/{org_id}/founding-requests", **q)["total"]
    assert requests_to(d["C"]) == 1 and requests_to(d["C"], scope="org") == 0

    arrears = lambda org_id: platform.until("GET", f"/api/v1/orgs/{org_id}/arrears", 200)
    root_arrears = arrears(d["C"])
    assert root_arrears["total"] == arrears(d["B1"])["total"] + arrears(d["B2"])["total"] == 2
    assert {row["member_id"] for row in root_arrears["items"]} == {d["members"]["王芳"], d["members"]["赵敏"]}
    assert root_arrears["outstanding"] == "204.00", "two members at 102.00 this month"


def test_search_by_name_and_id_number_within_the_callers_scope(platform, district):
    d = district
    names = lambda q, headers=None: sorted(row["name"] for row in platform.call(
        "GET", "/api/v1/members", 200, params={"q": q}, headers=headers).json()["items"])
    assert names("王") == ["王明", "王芳"]
    lake, hill = as_role("org_admin", d["C"], "lake"), as_role("org_admin", d["B3"], "hill")
    assert names("王", lake) == ["王芳"] and names("王", hill) == ["王明"]
    wang_fang = id_number("320506", dt.date(1990, 3, 7), 1)
    assert names(wang_fang) == ["王芳"] and names(wang_fang, lake) == ["王芳"]
    assert names(wang_fang, hill) == [], "nothing outside the caller's scope"
    assert names(wang_fang, as_role("auditor")) == [], "an auditor finds by name only"
    assert names("13900000006", hill) == ["王明"]
    outside = platform.call("GET", "/api/v1/members", 403, params={"q": "王", "org_id": d["C"]}, headers=hill)
    assert outside.json()["error"]["code"] == "forbidden"
    assert platform.call("GET", "/api/v1/members", 403, params={"q": "王"},
                         headers=as_role("member", member_id=d["members"]["王明"])).status_code == 403
    missing = platform.call("GET", "/api/v1/members", 400, params={}).json()["error"]
    assert "q" in missing["fields"]


def test_a_district_admin_runs_the_arrears_check_and_sees_the_flags(platform, district):
    last_month = (TODAY.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    run = platform.call("POST", "/api/v1/dues/arrears-check", 200, json={"as_of_month": last_month}).json()
    assert run["as_of_month"] == last_month and run["flagged"] == [] and run["flags"] == []
    refused = platform.call("POST", "/api/v1/dues/arrears-check", 403, json={},
                            headers=as_role("org_admin", district["C"], "lake"))
    assert refused.json()["error"]["code"] == "forbidden"


def test_a_letter_waits_for_the_dues_and_prints_as_issued(platform, district):
    """The member owes this month: the letter is refused naming what is owed;
    once paid, it is issued with a serial, and its PDF reads back as text."""
    d, member = district, district["members"]["王芳"]
    transfer = platform.until("POST", "/api/v1/transfers", 201, json={
        "member_id": member, "to_org_id": d["B3"], "scope": "elsewhere", "grounds": "employer_change"})["id"]
    platform.call("POST", f"/api/v1/transfers/{transfer}/approve", 200, json={})
    refused = platform.call("POST", f"/api/v1/transfers/{transfer}/issue-letter", 422, json={}).json()["error"]
    assert (refused["rule"], refused["fields"]["dues_outstanding"]) == ("members.transfer.dues_outstanding", "102.00")
    assert platform.call("GET", f"/api/v1/transfers/{transfer}/letter.pdf", 409).json()["error"]["code"] == "conflict"
    platform.call("POST", "/api/v1/dues/payments", 201, json={
        "idempotency_key": f"letter-{member}", "member_id": member, "months": [f"{TODAY:%Y-%m}"], "amount": "102.00"})
    letter = platform.call("POST", f"/api/v1/transfers/{transfer}/issue-letter", 200, json={}).json()["letter"]
    assert letter["serial"] == f"{TODAY.year}-0001" and letter["dues"]["paid_up_to"] == f"{TODAY:%Y-%m}"
    pdf = platform.call("GET", f"/api/v1/transfers/{transfer}/letter.pdf", 200)
    assert pdf.headers["Content-Type"] == "application/pdf"
    text = "".join(PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().split())
    for expected in ("王芳", "纳米科技党支部", "芯片设计党支部", f"〔{TODAY.year}〕第0001号",
                     f"党费已交到{TODAY.year}年{TODAY.month}月", "回执"):
        assert expected in text, expected
    outsider = as_role("org_admin", d["B2"], "other-branch")
    platform.call("GET", f"/api/v1/transfers/{transfer}/letter.pdf", 403, headers=outsider)


def test_the_subtrees_payments_and_dues_report_come_out_as_xlsx(platform, district):
    d = district
    for name in ("王芳", "赵敏"):
        platform.until("POST", "/api/v1/dues/payments", 201, json={
            "idempotency_key": f"export-{name}", "member_id": d["members"][name], "months": [f"{TODAY:%Y-%m}"],
            "amount": "102.00"})
    sheet = lambda response, index=0: list(load_workbook(io.BytesIO(response.content), read_only=True)
                                           .worksheets[index].iter_rows(values_only=True))
    payments = sheet(platform.call("GET", f"/api/v1/orgs/{d['C']}/payments.xlsx", 200, params={"year": TODAY.year}))
    assert payments[0][:4] == ("缴费日期", "党员姓名", "所在党支部", "缴费月份")
    assert sorted((row[1], row[2], row[6]) for row in payments[1:]) == \
        [("王芳", "纳米科技党支部", 102), ("赵敏", "生物医药党支部", 102)]
    report = platform.call("GET", f"/api/v1/orgs/{d['C']}/dues-report.xlsx", 200, params={"year": TODAY.year})
    by_branch = sheet(report, 1)
    assert by_branch[0][:3] == ("党支部", "党员人数", "应交") and by_branch[-1][0] == "合计"
    assert by_branch[-1][3] == 204, "collected in the whole subtree"
    outsider = as_role("org_admin", d["B3"], "hill")
    platform.call("GET", f"/api/v1/orgs/{d['C']}/payments.xlsx", 403, params={"year": TODAY.year}, headers=outsider)


def test_a_committee_elected_on_a_declared_count_that_differs_from_the_records_is_422(platform, district):
    """纳米科技党支部 has three full members on record (王芳, 李强, 张伟)."""
    branch = district["B1"]
    seats = [{"role": "secretary", "name": "王芳"}]
    deadline = dt.datetime.now() + dt.timedelta(seconds=30)
    while True:  # orgs counts from its roster of members' events: until all three have arrived
        response = platform.call("PUT", f"/api/v1/orgs/{branch}/committee", json={
            "elected_on": TODAY.isoformat(), "seats": seats, "full_members": 3})
        if response.status_code == 200 or dt.datetime.now() > deadline:
            break
        time.sleep(0.2)
    assert response.status_code == 200, response.text
    assert platform.call("GET", f"/api/v1/orgs/{branch}/committee", 200).json()["counted_from"] == "records"
    refused = platform.call("PUT", f"/api/v1/orgs/{branch}/committee", 422, json={
        "elected_on": TODAY.isoformat(), "seats": seats, "full_members": 9}).json()["error"]
    assert refused["rule"] == "orgs.count.differs_from_records"
    assert (str(refused["fields"]["full_members"]), str(refused["fields"]["on_record"])) == ("9", "3")
