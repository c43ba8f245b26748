"""Spreadsheets in and out (docs/domain.md §2.9), a mixin of
``GatewayService``: the import template, an import (an XLSX or CSV file in
the template, read here with openpyxl / csv into rows the members service
checks and writes: a job to poll), and XLSX exports of a subtree's roster
(masked as the caller's role requires), payments and dues report. The
columns are ``shared.contracts.members.COLUMNS``, so an exported roster
reads back as an import."""
import csv
import datetime as dt
import io
from decimal import Decimal

from nameko.rpc import RpcProxy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from werkzeug.wrappers import Response

from shared.contracts.members import COLUMNS, FIELD_HEADERS
from shared.contracts import dues as dc, members as c
from shared.errors import InvalidInput
from shared.vocabulary import GENDER_LABELS, STAGE_LABELS

from .http import V1, api
from .payload import CSV, MAX_UPLOAD_BYTES, UPLOAD_MEDIA, XLSX, read_body

IMPORTS = V1 + "/imports"
UPLOAD_NOTE = ("The request body is the file itself (at most 16 MiB), with Content-Type " + XLSX + " or " + CSV +
               " (UTF-8, or GB18030 as Excel saves it); the first row is the template's headers. Answers 202 with "
               "the import job: poll GET /api/v1/imports/{job_id} until its state is imported, refused (mode "
               "all, a bad row: nothing written) or failed. Every bad row is listed with its row number, "
               "column and reason, in Chinese and English.")


REQUIRED_COLUMNS = [(FIELD_HEADERS[name], name) for name, field in c.RegisterMemberIn().fields.items()
                    if field.required and name in FIELD_HEADERS]
"""The template's columns a registration cannot do without (its contract's required fields)."""


def _cell(value):
    """A cell as JSON: a spreadsheet's dates come as datetimes at midnight."""
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def rows_of(body: bytes, content_type: str) -> list[dict]:
    """The file's rows keyed by its header row; blank rows skipped."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media in (XLSX, "application/octet-stream") and body[:2] == b"PK":
        try:
            sheet = load_workbook(io.BytesIO(body), read_only=True, data_only=True).worksheets[0]
        except Exception:  # a corrupt or foreign file: openpyxl raises many kinds
            raise InvalidInput("the file is not a readable XLSX workbook", {"file": "unreadable"}) from None
        table = [list(row) for row in sheet.iter_rows(values_only=True)]
    elif media in (CSV, "application/csv", "application/octet-stream"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = body.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise InvalidInput("the CSV file is neither UTF-8 nor GB18030 text", {"file": "unreadable"})
        try:
            table = list(csv.reader(io.StringIO(text)))
        except csv.Error:
            raise InvalidInput("the file is not readable CSV", {"file": "unreadable"}) from None
    else:
        raise InvalidInput(f"send the roster as {XLSX} or {CSV}", {"content_type": "Not a spreadsheet."})
    if not table or not any(table[0]):
        raise InvalidInput("the file has no header row", {"file": "empty"})
    headers = [str(h).strip() if h is not None else "" for h in table[0]]
    missing = [header for header, field in REQUIRED_COLUMNS if header not in headers and field not in headers]
    if missing:
        raise InvalidInput("the header row lacks the template's columns: " + "、".join(missing),
                           {"file": {"missing_columns": missing}})
    rows = []
    for values in table[1:]:
        if not any(v not in (None, "") for v in values):
            continue
        rows.append({header: _cell(value) for header, value in zip(headers, values) if header})
    if not rows:
        raise InvalidInput("the file has no rows under its header", {"file": "no rows"})
    return rows


def workbook(*sheets: tuple[str, list[str], list[list]]) -> bytes:
    """An XLSX of ``sheets`` (title, headers, rows): bold, frozen headers, columns wide enough for them."""
    book = Workbook()
    book.remove(book.active)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for index, header in enumerate(headers, start=1):
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = max(12, 2 * len(header) + 4)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


ROSTER_HEADERS = [header for header, _, _, _ in COLUMNS]
REPORT_FIGURES = (("应交", "owed"), ("已交", "collected"), ("欠交", "outstanding"), ("免交", "waived"))
BRANCH_FIGURES = (("党员人数", "members"), *REPORT_FIGURES, ("预交", "collected_in_advance"),
                  ("自愿多交", "voluntary"), ("上缴中央", "forwarded_to_central"))
PAYMENT_HEADERS = ["缴费日期", "党员姓名", "所在党支部", "缴费月份", "党费（元）", "自愿多交（元）", "合计（元）", "经手人"]


def _money(value):
    return Decimal(value) if isinstance(value, str) else value


def xlsx_response(content: bytes, filename: str) -> Response:
    return Response(content, content_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"{filename}\"", "Cache-Control": "no-store"})


def _roster_row(member: dict) -> list:
    legacy = member.get("legacy_exception") or {}
    values = {**member, "gender": GENDER_LABELS.get(member.get("gender"), member.get("gender")),
              "stage": STAGE_LABELS.get(member.get("stage"), member.get("stage")),
              "org_id": member.get("org_name") or member.get("org_id"),
              "group_id": member.get("group_name") or member.get("group_id"),
              "legacy_reason": legacy.get("reason"), "legacy_reference": legacy.get("reference")}
    return [values.get(field) for _, field, _, _ in COLUMNS]


class SpreadsheetsApi:
    members = RpcProxy("members")
    dues = RpcProxy("dues")

    @api("GET", IMPORTS + "/members/template", tag="imports", media=XLSX,
         summary="The roster import template (XLSX, Chinese column headers), with a sheet explaining each column")
    def import_template(self):
        notes = [[header, english, example] for header, _, english, example in COLUMNS] + [
            [], ["人员类别", " / ".join(STAGE_LABELS.values())], ["性别", " / ".join(GENDER_LABELS.values())],
            ["日期", "YYYY-MM-DD"]]
        return xlsx_response(workbook(("党员名册", ROSTER_HEADERS, []),
                                      ("填写说明", ["列名", "English", "示例 / example"], notes)),
                             "member-import-template.xlsx")

    @api("POST", IMPORTS + "/members", tag="imports", status=202, query=c.ImportQueryIn, response=c.ImportJobOut,
         summary="Import a roster (XLSX or CSV in the template): checked row by row, written all or nothing",
         description=UPLOAD_NOTE, errors=(413,), upload=UPLOAD_MEDIA)
    def import_members(self, org_id, mode, request):
        rows = rows_of(read_body(request, limit=MAX_UPLOAD_BYTES), request.content_type)
        return self.members.import_members(org_id, rows, mode=mode)

    @api("GET", IMPORTS + "/<job_id>", tag="imports", response=c.ImportJobOut,
         summary="An import job: its state, progress, and every bad row")
    def get_import_job(self, job_id):
        return self.members.get_import_job(job_id)

    @api("GET", V1 + "/orgs/<org_id>/roster.xlsx", tag="imports", media=XLSX,
         summary="The organisation's roster (its whole subtree) as XLSX, in the import template's columns",
         description="Personal data masked unless the caller may see each member's (as GET /members/{id}).")
    def export_roster(self, org_id):
        members = self.members.export_roster(org_id)
        stamp = dt.date.today().isoformat()
        return xlsx_response(workbook(("党员名册", ROSTER_HEADERS, [_roster_row(m) for m in members])),
                             f"roster-{org_id}-{stamp}.xlsx")

    @api("GET", V1 + "/orgs/<org_id>/dues-report.xlsx", tag="imports", media=XLSX, query=dc.ReportIn,
         summary="The organisation's dues report for a year (its subtree) as XLSX: by month and by branch")
    def export_dues_report(self, org_id, year, month=None):
        report = self.dues.dues_report(org_id, year, month=month)
        months = [[m["month"], *(_money(m[key]) for _, key in REPORT_FIGURES), m["paid_months"]]
                  for m in report["months"]]
        branches = [[b["name"] or b["org_id"], *(_money(b[key]) for _, key in BRANCH_FIGURES)]
                    for b in report["branches"]]
        totals = report["totals"]
        branches.append(["合计", *(_money(totals[key]) for _, key in BRANCH_FIGURES)])
        return xlsx_response(workbook(
            ("按月", ["月份", *(h for h, _ in REPORT_FIGURES), "缴费人次"], months),
            ("按支部", ["党支部", *(h for h, _ in BRANCH_FIGURES)], branches)),
            f"dues-report-{org_id}-{year}.xlsx")

    @api("GET", V1 + "/orgs/<org_id>/payments.xlsx", tag="imports", media=XLSX, query=dc.ReportIn,
         summary="The payments recorded in the organisation's subtree in a year (or a month of it), as XLSX, "
                 "with members' names")
    def export_payments(self, org_id, year, month=None):
        payments = self.dues.list_payments(org_id, year, month=month)
        names = self.members.member_names(sorted({p["member_id"] for p in payments})) if payments else {}
        rows = [[p["paid_on"], names.get(p["member_id"], p["member_id"]), p["org_name"] or p["org_id"],
                 "、".join(p["months"]), _money(p["dues_amount"]), _money(p["voluntary_extra"]), _money(p["total"]),
                 p["paid_by"]] for p in payments]
        return xlsx_response(workbook(("缴费记录", PAYMENT_HEADERS, rows)), f"payments-{org_id}-{year}.xlsx")

