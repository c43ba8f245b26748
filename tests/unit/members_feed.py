"""A member's events as the members domain records them and its store would
publish them (versions 1, 2, ...), for the consumers' unit tests: dues and
orgs follow them whatever order they arrive in."""
import datetime as dt

from services.members.checks import OrgView
from services.members.domain import Member
from services.members.rules import rules_in_force
from shared.contracts.members import id_number_check_digit
from shared.envelope import Envelope
from stage_history import history

TODAY = dt.date(2024, 12, 2)  # after every event below
BRANCH = OrgView("branch-1", "branch", "active", "committee-1", "Nano Branch")


def member_events():
    """A probationary member admitted at the 2024-06-10 meeting, registered in
    July, whose profile is then corrected twice and status changed once."""
    first17 = "320506199505041" + "23"
    member = Member.register("m-1", rules=rules_in_force(dt.date(2024, 6, 10)), today=dt.date(2024, 7, 15),
                             branch=BRANCH, group=None, name="Li Ming", gender="male", birth_date=dt.date(1995, 5, 4),
                             ethnicity="Han", education="Master", employer="Nano Tech Co.",
                             id_number=first17 + id_number_check_digit(first17), phone="13812345678",
                             stage="probationary", **history("probationary", admitted_on=dt.date(2024, 6, 10)),
                             registered_on=dt.date(2024, 7, 15))
    member.update_profile(today=TODAY, current_personal={}, changes={"employer": "Bio Lab"})
    member.update_profile(today=TODAY, current_personal={}, changes={"education": "Doctorate"})
    member.change_status(rules_in_force(dt.date(2024, 10, 8)), today=TODAY, status="lost_contact",
                         changed_on=dt.date(2024, 10, 8), reason="no answer since October")
    occurred = dt.datetime(2024, 7, 15, tzinfo=dt.timezone.utc)
    return [Envelope(e.event_type, 1, "member", "m-1", version, e.payload, occurred_at=occurred)
            for version, e in enumerate(member.pending_events, start=1)]
