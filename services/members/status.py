"""The member's status beside the stage (docs/domain.md §2), a state machine with
time limits from the rule set in force on the date of the change:

    active <-> lost_contact
    active | lost_contact -> suspended   unreachable >= 6 months (lost contact
                                         since), or abroad > 5 years
    suspended -> active                  lifted, only within its 2 years
    active | lost_contact -> left        6 months without organisational life
                                         or dues, without reason
    suspended -> left                    2 years after the suspension
    any of those -> expelled | deceased
    left, expelled, deceased             final

Suspension, leaving and expulsion concern party members (probationary or
full); an applicant, activist or candidate can lose contact or die.
A mixin of ``Member``; pure."""
import datetime as dt

from shared.aggregate import when
from shared.catalog.members import StatusChanged
from shared.vocabulary import FINAL_STATUSES
from shared.dates import not_future
from shared.errors import InvalidInput, RuleViolation

from .checks import not_before
from shared.dates import add_months, add_years
from .rules import MemberRules

TRANSITIONS = {
    "active": ("lost_contact", "suspended", "left", "expelled", "deceased"),
    "lost_contact": ("active", "suspended", "left", "expelled", "deceased"),
    "suspended": ("active", "left", "expelled", "deceased"),
    "left": (), "expelled": (), "deceased": (),
}
PARTY_MEMBERS_ONLY = ("suspended", "left", "expelled")
PARTY_STAGES = ("probationary", "full")


class StatusMachine:
    def change_status(self, rules: MemberRules, *, today: dt.date, status: str, changed_on: dt.date,
                      reason: str, abroad_since: dt.date | None = None,
                      inactive_since: dt.date | None = None):
        not_future(changed_on, today, "changed_on")
        not_before(changed_on, self.status_since, "the last status change", "changed_on")
        if status not in TRANSITIONS[self.status]:
            if self.status in FINAL_STATUSES:
                message = f"the member's status {self.status} is final"
            else:
                message = f"a member who is {self.status} cannot become {status}"
            raise RuleViolation("members.status.transition", message,
                                {"status": status, "current_status": self.status})
        if status in PARTY_MEMBERS_ONLY and self.stage not in PARTY_STAGES:
            raise RuleViolation("members.status.party_members_only",
                                f"only a probationary or full member can be {status}; this member is "
                                f"at stage {self.stage}", {"status": status, "stage": self.stage})
        grounds, since = None, None
        if status == "suspended":
            grounds, since = self._suspension_grounds(rules, changed_on, abroad_since)
        elif status == "left":
            grounds, since = self._left_grounds(rules, changed_on, inactive_since)
        elif status == "active" and self.status == "suspended":
            lift_by = add_years(self.suspended_on, rules.suspension_lift_years)
            if changed_on >= lift_by:
                raise RuleViolation("members.status.suspension_lift_window",
                                    f"a suspension can be lifted only within {rules.suspension_lift_years} "
                                    f"years (before {lift_by.isoformat()})",
                                    {"changed_on": changed_on.isoformat(), "suspended_on": self.suspended_on.isoformat()})
        self._emit(StatusChanged, status=status, previous_status=self.status, changed_on=changed_on,
                   reason=reason, grounds=grounds, grounds_since=since, rules_version=rules.version)

    def _suspension_grounds(self, rules, changed_on, abroad_since):
        if self.status == "lost_contact" and \
                add_months(self.lost_contact_since, rules.suspension_unreachable_months) <= changed_on:
            return "unreachable", self.lost_contact_since
        if abroad_since is not None:
            not_before(changed_on, abroad_since, "abroad_since", "changed_on")
            if changed_on > add_years(abroad_since, rules.suspension_abroad_years):
                return "abroad", abroad_since
            raise RuleViolation("members.status.suspension_abroad",
                                f"suspension on the abroad ground needs more than "
                                f"{rules.suspension_abroad_years} years abroad (after "
                                f"{add_years(abroad_since, rules.suspension_abroad_years).isoformat()})",
                                {"abroad_since": abroad_since.isoformat()})
        if self.status == "lost_contact":
            raise RuleViolation("members.status.suspension_unreachable",
                                f"suspension needs the member unreachable for at least "
                                f"{rules.suspension_unreachable_months} months (lost contact since "
                                f"{self.lost_contact_since.isoformat()})",
                                {"lost_contact_since": self.lost_contact_since.isoformat()})
        raise RuleViolation("members.status.suspension_grounds",
                            f"suspension needs the member unreachable (lost contact) for at least "
                            f"{rules.suspension_unreachable_months} months, or abroad for more than "
                            f"{rules.suspension_abroad_years} years (give abroad_since)",
                            {"status": self.status})

    def _left_grounds(self, rules, changed_on, inactive_since):
        if self.status == "suspended":
            after = add_years(self.suspended_on, rules.left_after_suspension_years)
            if changed_on < after:
                raise RuleViolation("members.status.left_after_suspension",
                                    f"a suspended member is recorded as left once "
                                    f"{rules.left_after_suspension_years} years have passed (from "
                                    f"{after.isoformat()})", {"suspended_on": self.suspended_on.isoformat()})
            return "after_suspension", self.suspended_on
        inactive_since = inactive_since or self.lost_contact_since
        if inactive_since is None:
            raise RuleViolation("members.status.left_inactivity",
                                f"leaving needs {rules.left_inactive_months} months without organisational "
                                "life or dues: give inactive_since", {"inactive_since": "required"})
        if inactive_since > changed_on:
            raise InvalidInput("inactive_since is after changed_on", {"inactive_since": inactive_since.isoformat()})
        if add_months(inactive_since, rules.left_inactive_months) > changed_on:
            raise RuleViolation("members.status.left_inactivity",
                                f"leaving needs {rules.left_inactive_months} months without organisational "
                                f"life or dues (inactive since {inactive_since.isoformat()})",
                                {"inactive_since": inactive_since.isoformat()})
        return "inactivity", inactive_since

    @when(StatusChanged)
    def when_status_changed(self, payload):
        changed_on, status = payload["changed_on"], payload["status"]
        self.status_since = changed_on
        if status == "lost_contact":
            self.lost_contact_since = changed_on
        elif status == "suspended":
            self.suspended_on = changed_on
        elif status == "active":
            self.lost_contact_since = self.suspended_on = None
