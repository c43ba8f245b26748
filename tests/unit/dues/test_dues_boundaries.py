"""Every dues rule boundary pinned on both sides (issue 10): the month
before, at and after each bound, the amount below, at and above it. Each
test fails if its bound moves by one (a `>` that becomes `>=`, a 12 that
becomes 11); the numbers come from the rule data where the code reads them."""
import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from dues_builders import account, pay

from services.dues import commands, queries
from services.dues import rules as rules_module
from services.dues.ledger import BaseSetting, first_day, month_of, month_text, schedule
from services.dues.ledger import month_index as mi
from services.dues.rules import RULE_SETS, rules_in_force
from shared.errors import InvalidInput, RuleViolation

D = Decimal
TODAY = dt.date(2024, 7, 15)
RULES = rules_in_force(TODAY)
BRANCH = "branch-1"  # as in conftest.py


def months(first, last):
    return [month_text(m) for m in range(mi(first), mi(last) + 1)]


def set_base(acc, base, month, policy="fixed_yearly", category="employed"):
    acc.set_base(category=category, base=D(base), amount=None, effective_month=mi(month), policy=policy,
                 set_on=TODAY)
    return acc.pending_events[-1].payload["applies_from"]


def due_in(acc, month):
    period = next(p for p in acc.schedule() if p.covers(mi(month)))
    return period.due


def waive(acc, month, rid="r-1", approve=True):
    acc.request_reduction(reduction_id=rid, kind="waived", from_month=mi(month), to_month=mi(month),
                          monthly_amount=None, reason="illness", decided_on=TODAY, decision_ref=None)
    if approve:
        acc.approve_reduction(rid, "committee-1", TODAY)
    else:
        acc.reject_reduction(rid, "committee-1", "not agreed", TODAY)


def follow(acc, status, on):
    acc.follow_member(org_id=BRANCH, stage="full", status=status, on=on, source_event="members.status_changed")


# ---- 1. paying ahead --------------------------------------------------------------

def test_advance_window_edge_is_the_twelfth_month_ahead():
    edge = month_of(TODAY) + RULES.advance_payment_max_months
    assert month_text(edge) == "2025-07"  # the 2008 regulation: 12 months ahead of 2024-07
    assert pay(account(), [month_text(edge)], "15.00")["months"][0]["month"] == "2025-07"


def test_advance_window_refuses_the_month_after_the_edge():
    edge = month_of(TODAY) + RULES.advance_payment_max_months
    with pytest.raises(RuleViolation) as refused:
        pay(account(), [month_text(edge + 1)], "15.00")
    assert refused.value.rule == "dues.payment.advance_window"
    assert refused.value.fields == {"months": "2025-08", "latest": "2025-07"}


def test_advance_window_moves_with_today():
    acc = account()
    with pytest.raises(RuleViolation, match="ahead"):
        pay(acc, ["2025-08"], "15.00", today=dt.date(2024, 7, 31))  # the last day of July: still refused
    assert pay(acc, ["2025-08"], "15.00", today=dt.date(2024, 8, 1))["months"][0]["month"] == "2025-08"


# ---- 2. arrears runs ----------------------------------------------------------------

def test_arrears_approved_waiver_inside_the_run_breaks_it():
    acc = account()
    pay(acc, ["2024-01"], "15.00")
    waive(acc, "2024-05")  # February to April and June to August unpaid: 6 months, not consecutive
    assert due_in(acc, "2024-05") == D("0.00")
    assert acc.check_arrears(mi("2024-08")) is False
    assert acc.check_arrears(mi("2024-10")) is False  # June to October: 5
    assert acc.check_arrears(mi("2024-11")) is True   # June to November: 6
    assert acc.pending_events[-1].payload["first_unpaid_month"] == "2024-06"


def test_arrears_rejected_waiver_does_not_break_the_run():
    acc = account()
    pay(acc, ["2024-01"], "15.00")
    waive(acc, "2024-05", approve=False)
    assert acc.check_arrears(mi("2024-08")) is True  # February to August, May still owed
    assert acc.pending_events[-1].payload["first_unpaid_month"] == "2024-02"


def test_arrears_month_reduced_to_one_fen_still_counts_in_the_run():
    acc = account()
    acc.request_reduction(reduction_id="r", kind="reduced", from_month=mi("2024-03"), to_month=mi("2024-03"),
                          monthly_amount=D("0.01"), reason="hardship", decided_on=TODAY, decision_ref=None)
    acc.approve_reduction("r", "committee-1", TODAY)
    assert acc.check_arrears(mi("2024-06")) is True  # January to June: still owing, only less
    assert acc.pending_events[-1].payload["outstanding"] == D("75.01")


def flagged_january_to_june():
    acc = account()
    assert acc.check_arrears(mi("2024-06")) is True
    assert [e.payload["first_unpaid_month"] for e in acc.pending_events if e.event_type == "dues.arrears_flagged"] \
        == ["2024-01"]
    return acc


def test_arrears_new_run_after_the_flagged_one_is_paid_off_is_flagged_again():
    acc = flagged_january_to_june()
    pay(acc, months("2024-01", "2024-06"), "90.00")
    last_of_run = mi("2024-06") + RULES.arrears_flag_months  # July to December
    assert acc.check_arrears(last_of_run - 1) is False  # July to November: one short
    assert acc.check_arrears(last_of_run) is True
    flag = acc.pending_events[-1].payload
    assert (flag["first_unpaid_month"], flag["as_of_month"], flag["unpaid_months"]) == \
        ("2024-07", "2024-12", RULES.arrears_flag_months)


def test_arrears_run_starting_at_the_earlier_flags_month_is_the_same_run():
    acc = flagged_january_to_june()
    pay(acc, months("2024-01", "2024-05"), "75.00")  # June, the month flagged as of, stays unpaid
    assert acc.check_arrears(mi("2024-06") + RULES.arrears_flag_months - 1) is False  # June to November
    assert acc.check_arrears(mi("2024-12")) is False  # June to December: still that run


def test_arrears_run_ending_at_the_earlier_flags_first_month_is_the_same_run():
    # A pending reduction excuses March, so April to September is flagged; once
    # it is rejected, March is owed again and joins the run before the flag.
    acc = account(owes_from="2023-09")
    acc.request_reduction(reduction_id="r", kind="waived", from_month=mi("2024-03"), to_month=mi("2024-03"),
                          monthly_amount=None, reason="illness", decided_on=TODAY, decision_ref=None)
    assert acc.check_arrears(mi("2024-09")) is True
    assert acc.pending_events[-1].payload["first_unpaid_month"] == "2024-04"
    acc.reject_reduction("r", "committee-1", "not agreed", TODAY)
    assert acc.check_arrears(mi("2024-04")) is False  # 2023-09 to 2024-04 reaches the flagged run
    pay(acc, ["2024-04"], "15.00")  # April paid: March now ends a run of its own
    assert acc.check_arrears(mi("2024-03")) is True   # 2023-09 to 2024-03: the month before the flag's first


def test_arrears_candidates_bounds_of_owing_and_paid_windows(run, read, admit, db):
    as_of, window = mi("2024-06"), RULES.arrears_flag_months
    admit("six", admitted_on=first_day(as_of - window + 1))     # owing January to June
    admit("five", admitted_on=first_day(as_of - window + 2))    # owing February to June
    admit("paid-before", admitted_on=first_day(as_of - window))  # paid only December 2023
    admit("paid-first", admitted_on=first_day(as_of - window))   # paid January
    admit("paid-after", admitted_on=first_day(as_of - window + 1))  # paid only July, ahead
    for member_id in ("six", "five", "paid-before", "paid-first", "paid-after"):
        run(commands.set_dues_base, member_id, today=TODAY, category="employed",
            effective_month=month_text(as_of - window), base=D("3000.00"))
    pays = {"paid-before": as_of - window, "paid-first": as_of - window + 1, "paid-after": as_of + 1}
    for member_id, month in pays.items():
        run(commands.pay, today=first_day(as_of), idempotency_key=member_id, member_id=member_id,
            months=[month_text(month)], amount=D("15.00"))
    with db.connect() as conn:
        candidates = queries.arrears_candidates(conn, as_of, window)
    assert candidates == ["paid-after", "paid-before", "six"]
    assert [m for m in candidates if run(commands.check_arrears, m, as_of)] == candidates


# ---- 3. the fixed_yearly January exception -------------------------------------------

def test_fixed_yearly_change_for_december_waits_for_the_next_january():
    acc = account(policy="fixed_yearly")
    assert set_base(acc, "6000.00", "2024-12") == "2025-01"
    assert (due_in(acc, "2024-12"), due_in(acc, "2025-01")) == (D("15.00"), D("90.00"))


def test_fixed_yearly_change_for_january_applies_from_that_january():
    acc = account(policy="fixed_yearly")
    assert set_base(acc, "6000.00", "2025-01") == "2025-01"
    assert (due_in(acc, "2024-12"), due_in(acc, "2025-01")) == (D("15.00"), D("90.00"))


def test_fixed_yearly_change_for_february_waits_for_the_january_after():
    acc = account(policy="fixed_yearly")
    assert set_base(acc, "6000.00", "2025-02") == "2026-01"
    assert (due_in(acc, "2025-12"), due_in(acc, "2026-01")) == (D("15.00"), D("90.00"))


def test_fixed_yearly_first_base_applies_from_its_month():
    acc = account(category=None)
    assert set_base(acc, "6000.00", "2024-05") == "2024-05"  # no earlier base to keep until January
    assert set_base(acc, "4000.00", "2024-06") == "2025-01"  # the second one waits


# ---- 4. a one-month gap ----------------------------------------------------------------

def test_one_month_suspension_gap_is_not_owed_and_the_periods_do_not_merge():
    acc = account()
    follow(acc, "suspended", dt.date(2024, 3, 20))  # March still owed
    follow(acc, "active", dt.date(2024, 5, 2))      # owed again from May
    assert [e.payload["from_month"] for e in acc.pending_events if e.event_type == "dues.liability_changed"] == \
        ["2024-04", "2024-05"]
    assert [(month_text(p.from_month), month_text(p.to_month)) for p in acc.schedule()] == \
        [("2024-01", "2024-03"), ("2024-05", None)]
    with pytest.raises(RuleViolation) as refused:
        pay(acc, ["2024-04"], "15.00")
    assert refused.value.rule == "dues.payment.not_owed"
    assert pay(acc, months("2024-01", "2024-03"), "45.00")["paid_up_to"] == "2024-04"  # April is not owed
    assert pay(acc, ["2024-05"], "15.00")["paid_up_to"] == "2024-05"
    assert [m for m, _ in acc.outstanding(mi("2024-07"))] == [mi("2024-06"), mi("2024-07")]


def test_suspension_and_reinstatement_in_the_same_month_owe_every_month():
    acc = account()
    follow(acc, "suspended", dt.date(2024, 3, 2))
    follow(acc, "active", dt.date(2024, 4, 20))  # April owed again: no gap
    assert [(month_text(p.from_month), month_text(p.to_month)) for p in acc.schedule()] == [("2024-01", None)]


# ---- 5. paid_up_to -----------------------------------------------------------------------

def test_paid_up_to_runs_over_a_waived_month():
    acc = account()
    waive(acc, "2024-02")
    assert pay(acc, ["2024-01", "2024-03"], "30.00")["paid_up_to"] == "2024-03"
    assert month_text(acc.paid_up_to()) == "2024-03"


def test_paid_up_to_stops_at_a_reduced_month_still_owed():
    acc = account()
    acc.request_reduction(reduction_id="r", kind="reduced", from_month=mi("2024-02"), to_month=mi("2024-02"),
                          monthly_amount=D("0.01"), reason="hardship", decided_on=TODAY, decision_ref=None)
    acc.approve_reduction("r", "committee-1", TODAY)
    assert pay(acc, ["2024-01", "2024-03"], "30.00")["paid_up_to"] == "2024-01"


def leave(run, member_id, on):
    run(commands.follow_member, "members.status_changed", member_id,
        {"org_id": BRANCH, "group_id": None, "stage": "full", "status": "left", "changed_on": on},
        dt.datetime.combine(on, dt.time(9), dt.timezone.utc))


@pytest.fixture
def left_in_may(run, admit):
    admit("m-1")
    run(commands.set_dues_base, "m-1", today=TODAY, category="employed", effective_month="2024-01",
        base=D("3000.00"))
    leave(run, "m-1", dt.date(2024, 5, 10))  # May is the last month owed


def test_clearance_of_a_closed_account_paid_to_its_last_month(run, read, left_in_may):
    run(commands.pay, today=TODAY, idempotency_key="k", member_id="m-1", months=months("2024-01", "2024-05"),
        amount=D("75.00"))
    clearance = read(queries.clearance, "m-1", TODAY)
    assert (clearance["paid_up_to"], clearance["outstanding"], clearance["settled"]) == \
        ("2024-05", D("0.00"), True)


def test_clearance_of_a_closed_account_with_its_last_month_unpaid(run, read, left_in_may):
    run(commands.pay, today=TODAY, idempotency_key="k", member_id="m-1", months=months("2024-01", "2024-04"),
        amount=D("60.00"))
    clearance = read(queries.clearance, "m-1", TODAY)
    assert (clearance["paid_up_to"], clearance["owed_months"], clearance["settled"]) == \
        ("2024-04", [{"month": "2024-05", "amount": D("15.00")}], False)


def test_clearance_of_a_closed_account_prepaid_past_its_last_month(run, read, admit):
    # Pins the current rule: months paid ahead before leaving count (the
    # ledger takes the latest of the last month owed and the last month paid).
    admit("m-1")
    run(commands.set_dues_base, "m-1", today=TODAY, category="employed", effective_month="2024-01",
        base=D("3000.00"))
    run(commands.pay, today=TODAY, idempotency_key="k", member_id="m-1", months=months("2024-01", "2024-08"),
        amount=D("120.00"))
    leave(run, "m-1", dt.date(2024, 5, 10))
    clearance = read(queries.clearance, "m-1", TODAY)
    assert (clearance["paid_up_to"], clearance["settled"]) == ("2024-08", True)


# ---- 6. month parsing ---------------------------------------------------------------------

@pytest.mark.parametrize("text, month", [("2024-09", 9), ("2024-10", 10), ("2024-11", 11), ("2024-12", 12),
                                         ("2025-01", 1)])
def test_month_parsing_round_trips_two_digit_months(text, month):
    assert mi(text) == 2024 * 12 + month - 1 + (12 if text == "2025-01" else 0)
    assert month_text(mi(text)) == text
    assert first_day(mi(text)) == dt.date(int(text[:4]), month, 1)


def test_month_parsing_december_is_followed_by_january():
    assert mi("2024-12") + 1 == mi("2025-01") and mi("2024-10") + 1 == mi("2024-11")
    assert month_of(dt.date(2024, 12, 31)) == mi("2024-12")


@pytest.mark.parametrize("text", ["2024-00", "2024-13", "2024-1", "2024-100", "2024/10"])
def test_month_parsing_refuses_months_outside_01_to_12(text):
    with pytest.raises(InvalidInput):
        mi(text)


def test_schedule_period_starting_in_december_prints_its_months(run, read, admit):
    admit("m-1")
    run(commands.set_dues_base, "m-1", today=TODAY, category="employed", effective_month="2024-01",
        base=D("3000.00"))
    reduction = run(commands.record_reduction, "m-1", kind="waived", from_month="2024-12", to_month="2024-12",
                    reason="illness", decided_on=TODAY)
    run(commands.approve_reduction, "m-1", today=TODAY, reduction_id=reduction, approved_by="committee-1")
    account = read(queries.get_dues, "m-1", TODAY, 2024)
    assert [(p["from_month"], p["to_month"], p["due"]) for p in account["schedule"]] == \
        [("2024-01", "2024-11", D("15.00")), ("2024-12", "2024-12", D("0.00")), ("2025-01", None, D("15.00"))]
    assert [(m["month"], m["state"]) for m in account["months"][-3:]] == \
        [("2024-10", "not_due"), ("2024-11", "not_due"), ("2024-12", "waived")]


# ---- 7. base settings in the same month --------------------------------------------------

def test_same_month_base_settings_the_later_recorded_wins():
    acc = account()
    set_base(acc, "6000.00", "2024-05", policy="from_month_of_change")
    set_base(acc, "4000.00", "2024-05", policy="from_month_of_change")
    assert [(month_text(p.from_month), p.due) for p in acc.schedule()] == \
        [("2024-01", D("15.00")), ("2024-05", D("40.00"))]


def test_base_settings_of_different_months_follow_the_month_not_the_record_order():
    acc = account()
    set_base(acc, "6000.00", "2024-05", policy="from_month_of_change")
    set_base(acc, "4000.00", "2024-04", policy="from_month_of_change")  # recorded later, for an earlier month
    assert [(month_text(p.from_month), p.due) for p in acc.schedule()] == \
        [("2024-01", D("15.00")), ("2024-04", D("40.00")), ("2024-05", D("90.00"))]


# ---- 8. the rules' start date ----------------------------------------------------------------

def test_rules_start_first_day_in_force():
    first = min(rules.effective_from for rules in RULE_SETS)
    assert first == dt.date(2008, 1, 1)
    assert rules_in_force(first).version == "2008"


def test_rules_start_day_before_has_no_rules():
    first = min(rules.effective_from for rules in RULE_SETS)
    with pytest.raises(InvalidInput, match="earliest take effect on 2008-01-01"):
        rules_in_force(first - dt.timedelta(days=1))


def test_rules_start_month_is_assessed_and_the_month_before_is_refused():
    first = month_of(min(rules.effective_from for rules in RULE_SETS))
    base = lambda month: [BaseSetting(month, "employed", D("3000.00"), None)]  # noqa: E731
    periods = schedule(first, [], [(first, "b")], base(first), [])
    assert [(month_text(p.from_month), p.due, p.rules_version) for p in periods] == [("2008-01", D("15.00"), "2008")]
    with pytest.raises(InvalidInput, match="no dues rules"):
        schedule(first - 1, [], [(first - 1, "b")], base(first - 1), [])
    with pytest.raises(InvalidInput, match="no dues rules"):
        account(owes_from=month_text(first - 1))  # its base cannot be assessed


# ---- opening month: the back payment window before registration ------------------------------

@pytest.mark.parametrize("months_before, owes_from", [(0, "2024-07"), (1, "2024-06"), (6, "2024-01"),
                                                      (7, "2024-07")])
def test_registration_owes_from_the_admission_month_within_the_back_payment_window(
        run, read, months_before, owes_from):
    registered = dt.date(2024, 7, 5)
    # RULES.back_payment_max_months is 6 (pinned in test_dues_rules.py): 6 months before still reaches back
    admitted = first_day(month_of(registered) - months_before) + dt.timedelta(days=2)
    run(commands.follow_member, "members.member_registered", "m-1",
        {"org_id": BRANCH, "group_id": None, "stage": "probationary", "status": "active",
         "registered_on": registered, "admitted_on": admitted},
        dt.datetime.combine(registered, dt.time(9), dt.timezone.utc))
    assert read(queries.get_dues, "m-1", TODAY)["owes_from"] == owes_from


# ---- the rule data's own bookkeeping ----------------------------------------------

def test_rule_start_a_date_before_the_dues_rules_names_that_date():
    with pytest.raises(InvalidInput) as refused:
        rules_module.rules_in_force(dt.date(2007, 12, 31))
    assert refused.value.fields == {"date": "2007-12-31"}


def test_rules_fingerprint_of_the_rules_in_force_is_pinned():
    """Every dues service refolds every account at its next start when this
    changes: it may change only with a rule revision, deliberately."""
    # 2026-12-03: voluntary_single_max added (accounts refold once; nothing they owe changes)
    assert rules_module.rules_fingerprint() == "878fe4c956996bf6"


def test_rules_fingerprint_changes_with_any_value_of_any_rule_set():
    base = rules_module.RULE_SETS[0]
    original = rules_module.rules_fingerprint([base])
    employed = base.brackets["employed"]
    revisions = {
        "version": dataclasses.replace(base, version=base.version + "-r"),
        "effective_from": dataclasses.replace(base, effective_from=dt.date(2009, 1, 1)),
        "a bracket bound": dataclasses.replace(base, brackets={
            **base.brackets, "employed": (dataclasses.replace(employed[0], upper=employed[0].upper + 1),
                                          *employed[1:])}),
        "a fixed amount": dataclasses.replace(base, fixed_amounts={
            k: v + D("0.01") for k, v in base.fixed_amounts.items()}),
        "a ranged amount": dataclasses.replace(base, ranged_amounts={
            k: (lo, hi + 1) for k, (lo, hi) in base.ranged_amounts.items()}),
        "yearly_fixable": dataclasses.replace(base, yearly_fixable=base.yearly_fixable | {"farmer"}),
        "arrears_flag_months": dataclasses.replace(base, arrears_flag_months=base.arrears_flag_months + 1),
    }
    for what, revised in revisions.items():
        assert rules_module.rules_fingerprint([revised]) != original, what
    later = dataclasses.replace(base, effective_from=dt.date(2030, 1, 1))
    assert rules_module.rules_fingerprint([base, later]) == rules_module.rules_fingerprint([later, base])
    assert rules_module.rules_fingerprint([base, later]) != original


def test_categories_of_every_rule_set_together():
    base = rules_module.RULE_SETS[0]
    only_new = dataclasses.replace(base, effective_from=dt.date(2030, 1, 1), brackets={},
                                   fixed_amounts={"new_category": D("1.00")}, ranged_amounts={})
    assert rules_module.categories([base, only_new]) == rules_module.categories([base]) | {"new_category"}
