"""What the member aggregate's modules share: the facts command handlers read
from the read models and pass in, and small checks on dates. Pure.

Messages never contain an ID number or a phone number."""
import datetime as dt
from dataclasses import dataclass

from shared.vocabulary import BRANCH_KINDS, IN_GOOD_STANDING
from shared.errors import InvalidInput, RuleViolation


@dataclass(frozen=True)
class OrgView:
    """An organisation as members knows it from orgs' events."""
    id: str
    kind: str | None
    status: str
    parent_id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class MemberView:
    """Another member (a sponsor, a contact) as the read model shows it."""
    id: str
    name: str
    org_id: str
    stage: str
    status: str

    @property
    def in_good_standing(self) -> bool:
        """A full member, active (not probationary, not suspended or gone)."""
        return self.stage == "full" and self.status == IN_GOOD_STANDING


def check_branch(branch: OrgView, group: OrgView | None):
    """A member belongs to an active branch or joint branch, and optionally to
    an active party group inside it."""
    if branch.kind not in BRANCH_KINDS or branch.status != "active":
        what = f"a {branch.kind} ({branch.status})" if branch.kind else "not known as a branch yet"
        raise RuleViolation("members.registration.active_branch",
                            f"a member belongs to an active branch or joint branch; "
                            f"organisation {branch.id} is {what}", {"org_id": branch.id})
    if group is None:
        return
    if group.kind != "group" or group.status != "active" or group.parent_id != branch.id:
        raise RuleViolation("members.registration.active_branch",
                            f"organisation {group.id} is not an active party group of branch {branch.id}",
                            {"group_id": group.id})


def not_before(day: dt.date, earlier: dt.date | None, what: str, field: str):
    if earlier is not None and day < earlier:
        raise InvalidInput(f"{field} {day.isoformat()} is before {what} ({earlier.isoformat()})",
                           {field: day.isoformat()})


def distinct(ids: list[str], field: str):
    if len(set(ids)) != len(ids):
        raise InvalidInput("a member is listed twice", {field: "duplicates"})
