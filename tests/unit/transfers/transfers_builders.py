"""Builders for the transfer unit tests (a uniquely named module: the test
folders have no __init__.py): members, organisations as the members service
knows them, and transfers taken to any state."""
import datetime as dt

from services.members.checks import OrgView
from services.members.rules import rules_in_force
from services.members.transfers.checks import dues_on_letter
from services.members.transfers.domain import Transfer
from services.members.transfers.member import TransferringMember
from services.members.transfers.rules import transfer_rules_in_force
from shared.contracts.members import STAGE_DATES, id_number_check_digit
from stage_history import history

D = dt.date
DAY = dt.timedelta(days=1)
TODAY = D(2027, 3, 1)
COMMITTEE_1 = OrgView("committee-1", "committee", "active", None, "Lake Committee")
COMMITTEE_2 = OrgView("committee-2", "committee", "active", None, "Hill Committee")
BRANCH_A = OrgView("branch-a", "branch", "active", "committee-1", "Nano Branch")
BRANCH_B = OrgView("branch-b", "branch", "active", "committee-2", "Bio Branch")
GROUP_B = OrgView("group-b", "group", "active", "branch-b", "Lab Group")
ORGS = {org.id: org for org in (COMMITTEE_1, COMMITTEE_2, BRANCH_A, BRANCH_B, GROUP_B)}

# One walk through the saga, each step on its own date.
ON = {"requested": D(2027, 1, 4), "approved": D(2027, 1, 6), "issued": D(2027, 1, 8),
      "accepted": D(2027, 1, 12), "reported": D(2027, 1, 15), "completed": D(2027, 1, 15)}
UNKNOWN_DUES = dues_on_letter(None, None)


def make_id_number(birth_date=D(1990, 5, 4), seq="123", region="320506") -> str:
    first17 = region + birth_date.strftime("%Y%m%d") + seq
    return first17 + id_number_check_digit(first17)


def member(member_id="m-1", stage="full", org=BRANCH_A, seq="123") -> TransferringMember:
    dates = history("full", admitted_on=D(2015, 7, 1), full_on=D(2016, 7, 1)) if stage == "full" else \
        history("probationary", admitted_on=D(2026, 7, 1)) if stage == "probationary" else \
        history(stage, **{STAGE_DATES[stage]: D(2026, 7, 1)})
    rules = None if stage == "full" else rules_in_force(D(2026, 7, 1))
    m = TransferringMember.register(member_id, rules=rules, today=TODAY, branch=org, group=None, name="Li Ming",
                                    gender="male", birth_date=D(1990, 5, 4), ethnicity="Han",
                                    education="Master", employer="Nano Tech Co.",
                                    id_number=make_id_number(seq=seq), phone="13812345678", stage=stage, **dates)
    m.mark_saved(len(m.pending_events))
    return m


def request(m=None, to=BRANCH_B, group=None, scope="elsewhere", transfer_id="t-1", **overrides) -> Transfer:
    m = m or member()
    args = dict(today=TODAY, member=m, from_org=ORGS.get(m.org_id), from_parent_id="committee-1", to_org=to,
                to_group=group, to_parent=ORGS.get(to.parent_id) if to else None,
                to_org_id=to.id if to else "nowhere", to_group_id=group.id if group else None, scope=scope,
                grounds="employer_change", reason="new job", requested_on=ON["requested"])
    args.update(overrides)
    return Transfer.request(transfer_id, **args)


def rules(on=ON["issued"]):
    return transfer_rules_in_force(on)


def in_state(state: str, scope="elsewhere") -> Transfer:
    """A transfer taken to ``state`` along the main path (or a side path)."""
    if state == "withdrawn":
        t = in_state("approved", scope)
        t.withdraw(today=TODAY, withdrawn_on=ON["issued"])
        return t
    if state == "rejected":
        t = in_state("requested", scope)
        t.reject(today=TODAY, rejected_on=ON["approved"], reason="not eligible")
        return t
    if state == "cancelled":
        t = in_state("accepted", scope)
        t.cancel(cancelled_on=ON["reported"], reason="receiving branch dissolved")
        return t
    t = request(scope=scope)
    if state == "requested":
        return t
    if state == "returned":
        t.return_for_correction(today=TODAY, returned_on=ON["approved"], reason="fix the unit")
        return t
    t.approve(today=TODAY, approved_on=ON["approved"])
    if state == "approved":
        return t
    t.issue_letter(rules(), today=TODAY, issued_on=ON["issued"], valid_until=ON["issued"] + 10 * DAY,
                   dues=UNKNOWN_DUES)
    if state == "letter_issued":
        return t
    if state == "letter_expired":
        assert t.expire_letter(ON["issued"] + 11 * DAY)
        return t
    t.accept(rules(), today=TODAY, accepted_on=ON["accepted"], to_org=BRANCH_B)
    if state == "accepted":
        return t
    if state == "report_overdue":
        assert t.flag_report_overdue(t.report_due_on + DAY)
        return t
    t.report_in(today=TODAY, reported_on=ON["reported"], to_org=BRANCH_B, group=None)
    if state == "reported_in":
        return t
    if state == "completed":
        t.complete(completed_on=ON["completed"], placed_group_id=None)
        return t
    raise AssertionError(f"no state {state}")


def register_full(run, seq="123", org_id="branch-a", today=TODAY, full_on=D(2016, 7, 1)):
    """A full member registered through the command handler (``run``: the unit of work runner)."""
    from services.members import commands as member_commands
    return run(member_commands.register_member, today=today, name=f"Member {seq}", gender="female",
               birth_date=D(1990, 5, 4), ethnicity="Han", education="Master", employer="Nano Tech Co.",
               id_number=make_id_number(seq=seq), phone="13812345678", org_id=org_id, stage="full",
               **history("full", full_on=full_on))
