"""Rosters in (docs/domain.md §2.9): a spreadsheet of members, checked row by
row with every registration rule, then written all at once, or not at all.

- ``COLUMNS``: the template's columns, Chinese headers first; the gateway
  reads an XLSX or CSV file into rows keyed by them, and writes the template.
- ``check_rows``: each row through the registration contract
  (``RegisterMemberIn``) and the ``Member`` aggregate, as one registration
  would be, without writing; every problem reported with its row, column
  and reason in Chinese and English. The ID number is the natural key: a
  member already registered with it is ``unchanged`` (the same file
  imported twice changes nothing); twice in one file is an error.
- ``write_members``: the checked members in batches: their events, outbox
  rows and read-model rows in one round trip per batch (the store's
  ``write``), their personal data in one multi-row insert per table.
- ``import_jobs``: a job per import, polled for progress.

Where the caller's roster sends a member to a branch, it names it by id or
by its exact name within the organisation the import is for."""
import datetime as dt
import logging
import uuid

from marshmallow import ValidationError
from sqlalchemy import JSON, Column, Integer, String, Table, select, update

from shared import codec
from shared.tables import UTCDateTime
from shared.contracts import members as contract
from shared.contracts.members import COLUMNS, FIELD_HEADERS, HEADERS  # noqa: F401 (COLUMNS: the template)
from shared.errors import DomainError
from shared.vocabulary import GENDER_LABELS, MESSAGES_ZH, STAGE_LABELS

from . import personal
from .checks import OrgView
from .domain import Member
from .org_replica import known_orgs, subtree_ids
from .rules import rules_in_force
from .tables import metadata

log = logging.getLogger(__name__)

STAGE_BY_LABEL = {label: stage for stage, label in STAGE_LABELS.items()} | {"正式党员": "full", "预备党员": "probationary"}
GENDER_BY_LABEL = {label: gender for gender, label in GENDER_LABELS.items()}


import_jobs = Table(
    "import_jobs", metadata,
    Column("id", String(64), primary_key=True),
    Column("org_id", String(64), nullable=False),
    Column("mode", String(20), nullable=False),
    Column("state", String(20), nullable=False),  # checking, writing, imported, refused, failed
    Column("total", Integer, nullable=False),
    Column("checked", Integer, nullable=False),
    Column("written", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("errors", JSON, nullable=False),
    Column("actor", String(100)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
)


def problem(row: int, field: str | None, code: str, message: str) -> dict:
    """One bad cell: its row (as the spreadsheet numbers it), column, and why."""
    header = FIELD_HEADERS.get(field) if field else None
    return {"row": row, "column": header, "field": field, "code": code, "message": message,
            "message_zh": MESSAGES_ZH.get(code, MESSAGES_ZH["invalid"])}


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def body_of(cells: dict) -> dict:
    """A row keyed by the template's headers (or fields) as a registration body."""
    body = {}
    for key, value in cells.items():
        field = HEADERS.get(key, key)
        text = _text(value)
        if text is not None:
            body[field] = text
    if "stage" in body:
        body["stage"] = STAGE_BY_LABEL.get(body["stage"], body["stage"])
    if "gender" in body:
        body["gender"] = GENDER_BY_LABEL.get(body["gender"], body["gender"])
    reason, reference = body.pop("legacy_reason", None), body.pop("legacy_reference", None)
    if reason:
        body["legacy_exception"] = {"reason": reason, "reference": reference}
    return body


class Places:
    """The organisations of the import's subtree, by id and by exact name."""

    def __init__(self, conn, org_id: str):
        tree = subtree_ids(org_id)
        rows = conn.execute(select(known_orgs).where(known_orgs.c.id.in_(select(tree.c.id))),
                            {"org_id": org_id}).all()
        self.by_id = {row.id: row for row in rows}
        names: dict = {}
        for row in rows:
            names.setdefault((row.kind in ("group",), row.name), []).append(row.id)
        self.by_name = names

    def resolve(self, value: str | None, group: bool) -> str | None:
        if value is None or value in self.by_id:
            return value
        ids = self.by_name.get((group, value), [])
        return ids[0] if len(ids) == 1 else None

    def view(self, org_id: str | None) -> OrgView | None:
        row = self.by_id.get(org_id)
        return None if row is None else OrgView(row.id, row.kind, row.status, row.parent_id, row.name)


def check_rows(db, vault, org_id: str, rows: list[dict], today: dt.date, first_row: int = 2,
               progress=None) -> dict:
    """Every row checked: {"members": [(row, Member, id_number, phone)], "unchanged": [row],
    "errors": [problem]}; ``first_row``: the spreadsheet's number of the first row (after the header).
    Two reads (the subtree's organisations, which ID numbers are registered), then no database."""
    bodies = []
    for offset, cells in enumerate(rows):
        unknown = [key for key in cells if key not in HEADERS and key not in FIELD_HEADERS and _text(cells[key])]
        bodies.append((first_row + offset, body_of(cells), unknown))
    candidates = {contract.normalise_id_number(body["id_number"]) for _, body, _ in bodies if body.get("id_number")}
    by_hash = {vault.id_number_index(n): n for n in candidates}
    with db.connect() as conn:
        places = Places(conn, org_id)
        taken = conn.execute(select(personal.member_secrets.c.id_number_hmac).where(
            personal.member_secrets.c.id_number_hmac.in_(list(by_hash)))).scalars().all() if by_hash else []
    known = {by_hash[h] for h in taken}
    seen: dict[str, int] = {}
    checked = {"members": [], "unchanged": [], "errors": []}
    for index, (number, body, unknown) in enumerate(bodies):
        if progress and index % 500 == 0:
            progress(index)
        errors = [problem(number, None, "import.unknown_column", f"unknown column {key!r}") for key in unknown]
        for field in ("org_id", "group_id"):
            if field in body:
                resolved = places.resolve(body[field], group=field == "group_id")
                if resolved is None:
                    errors.append(problem(number, field, "import.branch_unknown",
                                          f"no organisation {body[field]!r} in the import's subtree"))
                body[field] = resolved or body[field]
        reported = {error["field"] for error in errors}
        try:
            fields = contract.RegisterMemberIn().load(body)
        except ValidationError as exc:
            for field, messages in sorted(exc.messages.items()):
                if field in reported:
                    continue
                text = "; ".join(str(m) for m in (messages if isinstance(messages, list) else [messages]))
                code = "required" if "Missing data" in text else "invalid"
                errors.append(problem(number, field if field in FIELD_HEADERS else None, code, text))
            checked["errors"].extend(errors)
            continue
        id_number = contract.normalise_id_number(fields["id_number"])
        if id_number in seen:
            errors.append(problem(number, "id_number", "import.duplicate_in_file",
                                  f"the same ID number as row {seen[id_number]}"))
        seen.setdefault(id_number, number)
        if errors:
            checked["errors"].extend(errors)
            continue
        if id_number in known:
            checked["unchanged"].append(number)
            continue
        branch, group = places.view(fields.pop("org_id")), places.view(fields.pop("group_id"))
        if branch is None:
            checked["errors"].append(problem(number, "org_id", "import.branch_outside",
                                             "the branch is not in the organisation the import is for"))
            continue
        phone, stage = fields.pop("phone"), fields.pop("stage")
        fields.pop("id_number")
        stage_date = fields.get(contract.STAGE_DATES.get(stage, ""))
        try:
            rules = rules_in_force(stage_date) if stage != "full" and stage_date is not None else None
            member = Member.register(str(uuid.uuid4()), rules=rules, today=today, branch=branch, group=group,
                                     stage=stage, id_number=id_number, phone=phone, **fields)
        except DomainError as exc:
            named = [f for f in exc.fields if f in FIELD_HEADERS] or [None]
            code = getattr(exc, "rule", "invalid")
            checked["errors"].append(problem(number, named[0], code, exc.message))
            continue
        checked["members"].append((number, member, id_number, phone))
    return checked


def write_members(uow, vault, members: list, batch: int = 1000) -> int:
    """The checked members, registered in the unit of work's transaction,
    ``batch`` at a time: each batch's events, outbox rows and read-model
    rows in one write (``UnitOfWork.save_all``), their keys and ciphertexts
    in one insert per table."""
    for start in range(0, len(members), batch):
        chunk = members[start:start + batch]
        uow.save_all([member for _, member, _, _ in chunk])
        personal.save_many_new(uow.conn, [(member.id, id_number, phone) for _, member, id_number, phone in chunk],
                               vault=vault)
    return len(members)


# ---- jobs -----------------------------------------------------------------------------------

def new_job(conn, org_id: str, mode: str, total: int, actor: str | None) -> str:
    job_id = str(uuid.uuid4())
    conn.execute(import_jobs.insert().values(id=job_id, org_id=org_id, mode=mode, state="checking", total=total,
                                             checked=0, written=0, unchanged=0, errors=[], actor=actor,
                                             created_at=codec.utcnow()))
    return job_id


def update_job(conn, job_id: str, **values):
    if values.get("state") in ("imported", "refused", "failed"):
        values["finished_at"] = codec.utcnow()
    conn.execute(update(import_jobs).where(import_jobs.c.id == job_id).values(**values))


def get_job(conn, job_id: str) -> dict | None:
    row = conn.execute(select(import_jobs).where(import_jobs.c.id == job_id)).first()
    return None if row is None else dict(row._mapping)


STALE_AFTER = dt.timedelta(minutes=30)
"""A job not finished by then was interrupted (its process stopped): nothing
of it was written, since the write is one transaction."""


def job_answer(job: dict, now: dt.datetime) -> dict:
    created = job["created_at"] if job["created_at"].tzinfo else job["created_at"].replace(tzinfo=dt.timezone.utc)
    if job["state"] in ("checking", "writing") and now - created > STALE_AFTER:
        job = {**job, "state": "failed", "errors": [problem(0, None, "import.interrupted",
                                                              "the import was interrupted; nothing was written")]}
    return job


def run_import(db, unit_of_work, vault, job_id: str, org_id: str, rows: list[dict], mode: str, today: dt.date):
    """Check every row, then write them all (mode ``all``: only if none is
    bad) or the good ones (``valid_rows``), the job's outcome committed with
    the members it wrote. Progress is the job's ``checked``."""
    def progress(count):
        with db.begin() as conn:
            update_job(conn, job_id, checked=count)
    try:
        checked = check_rows(db, vault, org_id, rows, today, progress=progress)
        errors, refused = checked["errors"], bool(checked["errors"]) and mode == "all"
        with db.begin() as conn:
            update_job(conn, job_id, checked=len(rows), errors=errors, unchanged=len(checked["unchanged"]),
                       state="refused" if refused else "writing")
        if refused:
            return
        with unit_of_work() as uow:
            written = write_members(uow, vault, checked["members"])
            update_job(uow.conn, job_id, written=written, state="imported")
    except Exception as exc:  # the job says so; nothing was written (one transaction)
        log.exception("import %s failed", job_id)
        with db.begin() as conn:
            update_job(conn, job_id, state="failed", errors=[problem(0, None, "import.failed",
                                                                     f"the import failed ({type(exc).__name__}); "
                                                                     "nothing was written")])
