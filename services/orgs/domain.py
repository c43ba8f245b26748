"""The orgs domain: organisations in the tree, their committees, and
alliances. Pure: dates, rule sets and counts from read models are passed in.
The founding workflow is in ``founding.py``; checks both share are here."""
import datetime as dt
from dataclasses import dataclass

from shared.aggregate import Aggregate, when
from shared.catalog.orgs import (
    AllianceFormed, AllianceMemberAdded, AllianceMemberRemoved, BranchFounded, CommitteeElected,
    OrgCreated, OrgDissolved, OrgRenamed)
from shared.vocabulary import BRANCH_KINDS
from shared.dates import add_months
from shared.errors import Conflict, InvalidInput, RuleViolation

from .rules import OrgRules

ALLOWED_PARENTS = {
    "committee": (None, "committee"),
    "general_branch": ("committee",),
    "branch": ("committee", "general_branch"),
    "joint_branch": ("committee", "general_branch"),
    "group": ("branch", "joint_branch"),
}
LEADERSHIP = ("secretary", "deputy_secretary")


@dataclass(frozen=True)
class ParentView:
    """What a command read about a parent organisation from the read model."""
    id: str
    kind: str
    status: str


def unit_profile(unit: dict | None) -> dict | None:
    if unit is None:
        return None
    return {"name": unit["name"], "unit_type": unit["unit_type"], "address": unit.get("address")}


def person(entry: dict) -> dict:
    return {"name": entry["name"], "member_id": entry.get("member_id")}


def seat_list(seats) -> list[dict]:
    return [{"role": s["role"], **person(s)} for s in seats]


def check_parent(kind: str, parent: ParentView | None):
    if kind not in ALLOWED_PARENTS:
        raise InvalidInput(f"unknown organisation kind {kind!r}", {"kind": kind})
    allowed = ALLOWED_PARENTS[kind]
    if parent is None:
        if None not in allowed:
            raise RuleViolation("orgs.tree.parent_required", f"a {kind} must be placed under a parent",
                                {"parent_id": "required"})
        return
    if parent.status != "active":
        raise Conflict(f"parent organisation {parent.id} is {parent.status}", {"parent_id": parent.id})
    if parent.kind not in allowed:
        names = " or ".join(k for k in allowed if k)
        raise RuleViolation("orgs.tree.parent_kind",
                            f"a {kind} can only be placed under a {names}, not a {parent.kind}",
                            {"parent_id": parent.id, "kind": kind})


def check_founding_members(rules: OrgRules, full_members: int):
    if full_members < rules.min_full_members_to_found:
        raise RuleViolation("orgs.founding.min_full_members",
                            f"founding a branch needs at least {rules.min_full_members_to_found} "
                            f"full members; {full_members} counted", {"full_members": full_members})


def check_covered_units(rules: OrgRules, kind: str, units: list):
    if kind != "joint_branch":
        if units:
            raise InvalidInput("only a joint branch covers several units", {"covered_units": len(units)})
        return
    if len(units) > rules.joint_branch_max_units:
        raise RuleViolation("orgs.joint_branch.max_units",
                            f"a joint branch covers at most {rules.joint_branch_max_units} units; "
                            f"{len(units)} given", {"covered_units": len(units)})
    if len(units) < rules.joint_branch_min_units:
        raise RuleViolation("orgs.joint_branch.min_units",
                            f"a joint branch covers at least {rules.joint_branch_min_units} units; "
                            f"{len(units)} given", {"covered_units": len(units)})


def check_committee(rules: OrgRules, kind: str, seats: list[dict], full_members: int | None):
    """The seats a committee of this kind may have with this many full members."""
    if kind not in rules.term_years:
        raise RuleViolation("orgs.committee.kind", f"a {kind} has no elected committee", {"kind": kind})
    roles = [seat["role"] for seat in seats]
    if roles.count("secretary") != 1:
        raise RuleViolation("orgs.committee.one_secretary", "a committee has exactly one secretary",
                            {"seats": roles})
    portfolios = [role for role in roles if role not in LEADERSHIP]
    if len(set(portfolios)) != len(portfolios):
        raise RuleViolation("orgs.committee.portfolio_once", "each portfolio is held by one seat",
                            {"seats": roles})
    member_ids = [seat["member_id"] for seat in seats if seat.get("member_id")]
    if len(set(member_ids)) != len(member_ids):
        raise InvalidInput("one member holds one seat", {"seats": "duplicate member_id"})
    if kind not in BRANCH_KINDS:
        return
    if roles.count("deputy_secretary") > 1:
        raise RuleViolation("orgs.committee.one_deputy", "a branch has at most one deputy secretary",
                            {"seats": roles})
    if full_members is None:
        raise InvalidInput("the number of full members is needed to elect a branch committee",
                           {"full_members": "required"})
    if full_members < rules.min_full_members_for_committee:
        if portfolios:
            raise RuleViolation(
                "orgs.committee.min_full_members",
                f"a branch with fewer than {rules.min_full_members_for_committee} full members "
                f"({full_members}) elects a secretary and optionally a deputy, not a committee",
                {"full_members": full_members, "seats": roles})
        return
    if not rules.committee_min_seats <= len(seats) <= rules.committee_max_seats:
        raise RuleViolation(
            "orgs.committee.seat_count",
            f"a branch committee has {rules.committee_min_seats} to {rules.committee_max_seats} "
            f"seats (usually at most {rules.committee_usual_max_seats}); {len(seats)} given",
            {"seats": len(seats), "full_members": full_members})


def committee_warnings(rules: OrgRules, kind: str, seats: list[dict]) -> list[dict]:
    if kind in BRANCH_KINDS and len(seats) > rules.committee_usual_max_seats:
        return [{"rule": "orgs.committee.usual_seats",
                 "message": f"{len(seats)} seats: a branch committee usually has at most "
                            f"{rules.committee_usual_max_seats}"}]
    return []


def term_years(rules: OrgRules, kind: str, unit_type: str | None) -> int:
    if kind in BRANCH_KINDS and unit_type in rules.rural_unit_types:
        return rules.rural_branch_term_years
    return rules.term_years[kind]


def size_warnings(rules: OrgRules, kind: str, members: int | None) -> list[dict]:
    """Thresholds an organisation's size has passed: advice, never a block."""
    if members is None or kind == "committee":
        return []
    if members >= rules.committee_suggested_members:
        return [{"rule": "orgs.size.committee_suggested",
                 "message": f"{members} members: {rules.committee_suggested_members} or more "
                            "suggests a committee"}]
    if kind in BRANCH_KINDS and members > rules.branch_usual_max_members:
        return [{"rule": "orgs.size.branch_members",
                 "message": f"{members} members: a branch normally has at most "
                            f"{rules.branch_usual_max_members}; consider a general branch"}]
    return []


class Organisation(Aggregate):
    """A committee, general branch, branch, joint branch or party group."""
    aggregate_type = "organisation"

    def __init__(self, aggregate_id):
        super().__init__(aggregate_id)
        self.name = self.kind = self.parent_id = self.status = self.unit = None
        self.committee_elected_on = None

    @property
    def created(self) -> bool:
        """False for a stream of another aggregate type loaded by mistake."""
        return self.kind is not None

    @classmethod
    def create(cls, org_id, *, name: str, kind: str, parent: ParentView | None,
               unit: dict | None = None, created_on: dt.date) -> "Organisation":
        """Set up a committee, general branch or party group (a branch is founded)."""
        if kind in BRANCH_KINDS:
            raise InvalidInput(f"a {kind} is founded, not created", {"kind": kind})
        check_parent(kind, parent)
        org = cls(org_id)
        org.record(OrgCreated(name=name, kind=kind, parent_id=parent.id if parent else None,
                              unit=unit_profile(unit), created_on=created_on))
        return org

    @classmethod
    def found_branch(cls, org_id, *, rules: OrgRules, name: str, kind: str, parent: ParentView,
                     unit: dict, covered_units: list, full_members: int, probationary_members: int,
                     founded_on: dt.date, founding_request_id: str | None = None,
                     founding_member_ids: tuple = ()) -> "Organisation":
        """``founding_member_ids``: the founders with member records, whom the
        members service moves into the branch (docs/domain.md §1)."""
        if kind not in BRANCH_KINDS:
            raise InvalidInput(f"only a branch or joint branch is founded, not a {kind}", {"kind": kind})
        if unit is None:
            raise InvalidInput("a branch needs the profile of its unit", {"unit": "required"})
        check_parent(kind, parent)
        check_founding_members(rules, full_members)
        check_covered_units(rules, kind, covered_units)
        org = cls(org_id)
        org.record(BranchFounded(name=name, kind=kind, parent_id=parent.id,
                                 unit=unit_profile(unit), covered_units=[unit_profile(u) for u in covered_units],
                                 full_members=full_members, probationary_members=probationary_members,
                                 founded_on=founded_on, founded_directly=founding_request_id is None,
                                 founding_request_id=founding_request_id,
                                 founding_member_ids=list(founding_member_ids), rules_version=rules.version))
        return org

    @when(OrgCreated, BranchFounded)
    def when_org_created(self, payload):
        self.name, self.kind, self.parent_id = payload["name"], payload["kind"], payload["parent_id"]
        self.unit, self.status = payload["unit"], "active"

    def _require_active(self):
        if self.status != "active":
            raise Conflict(f"organisation {self.id} is {self.status}", {"id": self.id})

    def rename(self, name: str, renamed_on: dt.date):
        self._require_active()
        if name != self.name:
            self.record(OrgRenamed(name=name, previous_name=self.name, renamed_on=renamed_on))

    @when(OrgRenamed)
    def when_org_renamed(self, payload):
        self.name = payload["name"]

    def dissolve(self, reason: str, dissolved_on: dt.date, active_children: int, members: int | None):
        """``members`` is None while member records do not count this organisation."""
        self._require_active()
        if not (reason or "").strip():
            raise InvalidInput("a reason is required to dissolve an organisation", {"reason": "required"})
        if active_children:
            raise RuleViolation("orgs.dissolve.children_first",
                                f"{self.name} still has {active_children} active organisations under it",
                                {"active_children": active_children})
        if members:
            raise RuleViolation("orgs.dissolve.members_first",
                                f"{self.name} still has {members} members; move them first",
                                {"members": members})
        self.record(OrgDissolved(reason=reason.strip(), dissolved_on=dissolved_on))

    @when(OrgDissolved)
    def when_org_dissolved(self, payload):
        self.status = "dissolved"

    def elect_committee(self, rules: OrgRules, elected_on: dt.date, seats: list[dict],
                        full_members: int | None, counted_from: str | None = None):
        """Elect a committee; it replaces the previous one and starts a new term."""
        self._require_active()
        if self.committee_elected_on is not None and elected_on <= self.committee_elected_on:
            raise InvalidInput(f"the current committee was elected on {self.committee_elected_on}; "
                               "a new election must be later", {"elected_on": elected_on.isoformat()})
        seats = seat_list(seats)
        check_committee(rules, self.kind, seats, full_members)
        years = term_years(rules, self.kind, (self.unit or {}).get("unit_type"))
        self.record(CommitteeElected(elected_on=elected_on, seats=seats,
                                     full_members=full_members, counted_from=counted_from, term_years=years,
                                     term_ends_on=add_months(elected_on, 12 * years), rules_version=rules.version))

    @when(CommitteeElected)
    def when_committee_elected(self, payload):
        self.committee_elected_on = payload["elected_on"]


class Alliance(Aggregate):
    """Organisations grouped across the tree to co-host activities."""
    aggregate_type = "alliance"

    def __init__(self, aggregate_id):
        super().__init__(aggregate_id)
        self.name = None
        self.member_org_ids: list[str] = []

    @property
    def created(self) -> bool:
        return self.name is not None

    @classmethod
    def form(cls, alliance_id, *, name: str, member_org_ids: list[str], formed_on: dt.date) -> "Alliance":
        if len(set(member_org_ids)) != len(member_org_ids):
            raise InvalidInput("an organisation is listed twice", {"member_org_ids": "duplicates"})
        alliance = cls(alliance_id)
        alliance.record(AllianceFormed(name=name, member_org_ids=list(member_org_ids),
                                       formed_on=formed_on))
        return alliance

    @when(AllianceFormed)
    def when_alliance_formed(self, payload):
        self.name, self.member_org_ids = payload["name"], list(payload["member_org_ids"])

    def add_member(self, org_id: str, joined_on: dt.date):
        if org_id in self.member_org_ids:
            raise Conflict(f"organisation {org_id} is already in alliance {self.name}", {"org_id": org_id})
        self.record(AllianceMemberAdded(org_id=org_id, joined_on=joined_on))

    @when(AllianceMemberAdded)
    def when_alliance_member_added(self, payload):
        self.member_org_ids.append(payload["org_id"])

    def remove_member(self, org_id: str, left_on: dt.date):
        if org_id not in self.member_org_ids:
            raise Conflict(f"organisation {org_id} is not in alliance {self.name}", {"org_id": org_id})
        self.record(AllianceMemberRemoved(org_id=org_id, left_on=left_on))

    @when(AllianceMemberRemoved)
    def when_alliance_member_removed(self, payload):
        self.member_org_ids.remove(payload["org_id"])

