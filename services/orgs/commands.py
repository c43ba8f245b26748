"""Command handlers: load aggregates, read what the rules need from the read
models, call the domain, save; each runs in the caller's unit of work (one
transaction). Arguments are the validated fields of the command schemas in
shared.contracts.orgs; ``today`` fills the dates a caller left out."""
import datetime as dt
import uuid

from shared.dates import act_date, not_future
from shared.errors import Conflict, NotFound, RuleViolation

from . import projections, member_replica
from .domain import Alliance, Organisation, ParentView
from .founding import FoundingRequest
from .rules import rules_in_force


def new_id() -> str:
    return str(uuid.uuid4())


def _org_view(conn, org_id: str, field: str) -> ParentView:
    row = projections.org_row(conn, org_id, lock=True)
    if row is None:
        raise NotFound(f"organisation {org_id} does not exist", {field: org_id})
    return ParentView(row.id, row.kind, row.status)


def _parent(conn, parent_id: str | None) -> ParentView | None:
    return None if parent_id is None else _org_view(conn, parent_id, "parent_id")


def _name_free(conn, parent_id: str | None, name: str, field: str = "name"):
    taken_by = projections.sibling_named(conn, parent_id, name)
    if taken_by is not None:
        raise Conflict(f"an active organisation named {name!r} already exists here ({taken_by})",
                       {field: name})


def _counted(declared: int | None, counted: int | None, what: str) -> tuple[int | None, str | None]:
    """(the count, where it came from): the members' own records once there
    are any, and a declared count that differs from them is refused naming
    both; with no records, the declared count, marked ``declared``."""
    if counted is None:
        return declared, None if declared is None else "declared"
    if declared is not None and declared != counted:
        raise RuleViolation("orgs.count.differs_from_records",
                            f"{declared} full members declared, but the member records count {counted} {what}",
                            {"full_members": declared, "on_record": counted})
    return counted, "records"


def _check_expected(org: Organisation, expected_version: int | None):
    if expected_version is not None and expected_version != org.version:
        raise Conflict(f"organisation {org.id} is at version {org.version}, not {expected_version}; "
                       "reload and try again", {"expected_version": expected_version})


def _load(uow, aggregate_cls, aggregate_id: str, label: str):
    """``uow.load``, where the stream of another aggregate type is not found either."""
    aggregate = uow.find(aggregate_cls, aggregate_id)
    if aggregate is None or not aggregate.created:
        raise NotFound(f"{label} {aggregate_id} does not exist", {"id": aggregate_id})
    return aggregate


def _load_org(uow, org_id: str) -> Organisation:
    return _load(uow, Organisation, org_id, "organisation")


# ---- the tree ----------------------------------------------------------------

def create_org(uow, *, today: dt.date, name: str, kind: str, parent_id: str | None = None,
               unit: dict | None = None, covered_units=(), full_members: int | None = None,
               probationary_members: int | None = None, created_on: dt.date | None = None) -> str:
    """Create a committee, general branch or group; found a branch directly."""
    on = act_date(created_on, today, "created_on")
    parent = _parent(uow.conn, parent_id)
    _name_free(uow.conn, parent_id, name)
    org_id = new_id()
    if kind in ("branch", "joint_branch"):
        org = Organisation.found_branch(
            org_id, rules=rules_in_force(on), name=name, kind=kind, parent=parent, unit=unit,
            covered_units=list(covered_units), full_members=full_members,
            probationary_members=probationary_members or 0, founded_on=on)
    else:
        org = Organisation.create(org_id, name=name, kind=kind, parent=parent, unit=unit, created_on=on)
    uow.save(org)
    return org_id


def rename_org(uow, org_id: str, *, today: dt.date, name: str, renamed_on: dt.date | None = None,
               expected_version: int | None = None):
    org = _load_org(uow, org_id)
    _check_expected(org, expected_version)
    if name != org.name:
        _name_free(uow.conn, org.parent_id, name)
    org.rename(name, act_date(renamed_on, today, "renamed_on"))
    uow.save(org)


def dissolve_org(uow, org_id: str, *, today: dt.date, reason: str, dissolved_on: dt.date | None = None,
                 expected_version: int | None = None):
    org = _load_org(uow, org_id)
    _check_expected(org, expected_version)
    projections.org_row(uow.conn, org_id, lock=True)  # no child is placed under it meanwhile
    org.dissolve(reason, act_date(dissolved_on, today, "dissolved_on"),
                 active_children=projections.active_children_count(uow.conn, org_id),
                 members=member_replica.member_count(uow.conn, org_id))
    uow.save(org)


def elect_committee(uow, org_id: str, *, today: dt.date, elected_on: dt.date, seats: list[dict],
                    full_members: int | None = None):
    not_future(elected_on, today, "elected_on")
    org = _load_org(uow, org_id)
    counted, counted_from = _counted(full_members, member_replica.full_member_count(uow.conn, org_id),
                                     "in the organisation")
    org.elect_committee(rules_in_force(elected_on), elected_on, seats, counted, counted_from)
    uow.save(org)


# ---- founding a branch -------------------------------------------------------

def request_founding(uow, parent_id: str, *, today: dt.date, proposed_name: str, kind: str, unit: dict,
                     full_members: int, probationary_members: int, founding_members: list[dict],
                     proposed_committee: list[dict], covered_units=(),
                     requested_on: dt.date | None = None) -> str:
    on = act_date(requested_on, today, "requested_on")
    parent = _parent(uow.conn, parent_id)
    _name_free(uow.conn, parent_id, proposed_name, "proposed_name")
    member_ids = [m["member_id"] for m in founding_members if m.get("member_id")]
    # Founders named by their records are counted from them (one named only by name is no full member
    # on record); with none so named, the declared count stands.
    counted, counted_from = _counted(full_members, member_replica.full_members_among(uow.conn, member_ids)
                                     if member_ids else None, "among the founding members named by their records")
    request = FoundingRequest.submit(
        new_id(), rules=rules_in_force(on), parent=parent, proposed_name=proposed_name, kind=kind,
        unit=unit, covered_units=list(covered_units), full_members=counted, counted_from=counted_from,
        probationary_members=probationary_members, founding_members=founding_members,
        proposed_committee=proposed_committee, requested_on=on)
    uow.save(request)
    return request.id


def _load_request(uow, request_id: str) -> FoundingRequest:
    return _load(uow, FoundingRequest, request_id, "founding request")


def approve_founding(uow, request_id: str, *, today: dt.date, decided_on: dt.date | None = None,
                     note: str | None = None):
    request = _load_request(uow, request_id)
    request.approve(act_date(decided_on, today, "decided_on"), note)
    uow.save(request)


def reject_founding(uow, request_id: str, *, today: dt.date, reason: str,
                    decided_on: dt.date | None = None):
    request = _load_request(uow, request_id)
    request.reject(act_date(decided_on, today, "decided_on"), reason)
    uow.save(request)


def elect_founding_committee(uow, request_id: str, *, today: dt.date, meeting_date: dt.date, seats: list[dict]):
    not_future(meeting_date, today, "meeting_date")
    request = _load_request(uow, request_id)
    request.elect_committee(rules_in_force(meeting_date), meeting_date, seats)
    uow.save(request)


def confirm_founding(uow, request_id: str, *, today: dt.date, confirmed_on: dt.date | None = None) -> str:
    """Confirm secretary and deputy: the request closes and, in the same
    transaction, the branch is founded with its founding committee."""
    request = _load_request(uow, request_id)
    on = act_date(confirmed_on, today, "confirmed_on")
    branch_id = new_id()
    request.confirm(on, branch_id)
    proposal = request.proposal
    _name_free(uow.conn, request.parent_id, proposal["proposed_name"], "proposed_name")
    branch = Organisation.found_branch(
        branch_id, rules=rules_in_force(proposal["requested_on"]), name=proposal["proposed_name"],
        kind=proposal["kind"], parent=_parent(uow.conn, request.parent_id), unit=proposal["unit"],
        covered_units=proposal["covered_units"], full_members=proposal["full_members"],
        probationary_members=proposal["probationary_members"], founded_on=on,
        founding_request_id=request.id,
        founding_member_ids=[m["member_id"] for m in proposal["founding_members"] if m.get("member_id")])
    branch.elect_committee(rules_in_force(request.meeting_date), request.meeting_date, request.seats,
                           proposal["full_members"], proposal.get("counted_from"))
    uow.save(request)
    uow.save(branch)
    return branch_id


# ---- alliances ---------------------------------------------------------------

def _active_org(conn, org_id: str):
    org = _org_view(conn, org_id, "org_id")
    if org.status != "active":
        raise Conflict(f"organisation {org_id} is {org.status}", {"org_id": org_id})


def create_alliance(uow, *, today: dt.date, name: str, member_org_ids: list[str],
                    formed_on: dt.date | None = None) -> str:
    for org_id in member_org_ids:
        _active_org(uow.conn, org_id)
    alliance = Alliance.form(new_id(), name=name, member_org_ids=member_org_ids, formed_on=act_date(formed_on, today, "formed_on"))
    uow.save(alliance)
    return alliance.id


def add_alliance_member(uow, alliance_id: str, *, today: dt.date, org_id: str,
                        joined_on: dt.date | None = None):
    alliance = _load(uow, Alliance, alliance_id, "alliance")
    _active_org(uow.conn, org_id)
    alliance.add_member(org_id, act_date(joined_on, today, "joined_on"))
    uow.save(alliance)


def remove_alliance_member(uow, alliance_id: str, *, today: dt.date, org_id: str,
                           left_on: dt.date | None = None):
    alliance = _load(uow, Alliance, alliance_id, "alliance")
    alliance.remove_member(org_id, act_date(left_on, today, "left_on"))
    uow.save(alliance)
