"""Rule boundaries of orgs a mutation test found unpinned (issue 10): the
first day of the organisation rules as the commands pick them, the founding
workflow's dates on the day of the previous step, and the note recorded on a
founding approval read back."""
import datetime as dt
import json

import pytest
from sqlalchemy import select

from services.orgs import commands, queries
from services.orgs.founding import FoundingRequest
from services.orgs.rules import RULE_SETS
from shared.errors import InvalidInput
from shared.tables import events

D = dt.date
DAY = dt.timedelta(days=1)
TODAY = D(2024, 3, 1)
UNIT = {"name": "Nano Tech Co.", "unit_type": "enterprise"}
SECRETARY_ONLY = [{"role": "secretary", "name": "Wang Fang"}]


@pytest.fixture
def root(run):
    return run(commands.create_org, today=TODAY, name="Lake District Committee", kind="committee",
               created_on=D(2010, 1, 1))


def request_branch(run, parent_id, requested_on, name="Nano Branch"):
    return run(commands.request_founding, parent_id, today=TODAY, proposed_name=name, kind="branch", unit=UNIT,
               full_members=3, probationary_members=0, founding_members=[{"name": f"M{i}"} for i in range(3)],
               proposed_committee=SECRETARY_ONLY, requested_on=requested_on)


def payloads(db, aggregate_id):
    with db.connect() as conn:
        rows = conn.execute(select(events.c.event_type, events.c.payload).where(
            events.c.aggregate_id == aggregate_id).order_by(events.c.aggregate_version)).all()
    return [(event_type, json.loads(payload)) for event_type, payload in rows]


# ---- 6. the first day of the organisation rules ---------------------------------------------------

def test_rule_start_a_founding_request_dated_2013_12_31_is_refused(run, root):
    assert RULE_SETS[0].effective_from == D(2014, 1, 1)
    with pytest.raises(InvalidInput, match="no organisation rules are in force on 2013-12-31"):
        request_branch(run, root, D(2013, 12, 31))


@pytest.mark.parametrize("requested_on", [D(2014, 1, 1), D(2014, 1, 2)])
def test_rule_start_a_founding_request_from_2014_01_01_is_judged_by_the_2014_rules(run, read, db, root,
                                                                                   requested_on):
    request_id = request_branch(run, root, requested_on)
    request = read(queries.get_founding_request, request_id, TODAY)
    assert (request["state"], request["requested_on"]) == ("requested", requested_on)
    [(event_type, payload)] = payloads(db, request_id)
    assert (event_type, payload["rules_version"]) == ("orgs.founding_requested", "2014")


@pytest.mark.parametrize("elected_on, ok", [(D(2013, 12, 31), False), (D(2014, 1, 1), True)])
def test_rule_start_a_committee_elected_on_the_first_day_of_the_rules(run, read, root, elected_on, ok):
    elect = lambda: run(commands.elect_committee, root, today=elected_on, elected_on=elected_on,
                        seats=SECRETARY_ONLY)
    if ok:
        elect()
        committee = read(queries.get_committee, root, TODAY)
        assert (committee["elected_on"], committee["term_ends_on"]) == (elected_on, D(2019, 1, 1))
    else:
        with pytest.raises(InvalidInput, match="no organisation rules"):
            elect()


# ---- the founding workflow: a step on the day of the one before ------------------------------------

REQUESTED_ON = D(2024, 1, 31)


def submitted(rules, committee):
    request = FoundingRequest.submit(
        "r1", rules=rules, parent=committee, proposed_name="Nano Branch", kind="branch", unit=UNIT,
        covered_units=[], full_members=3, probationary_members=0, founding_members=[{"name": f"M{i}"} for i in range(3)],
        proposed_committee=SECRETARY_ONLY, requested_on=REQUESTED_ON)
    request.mark_saved(len(request.pending_events))
    return request


@pytest.mark.parametrize("decided_on, ok", [(REQUESTED_ON - DAY, False), (REQUESTED_ON, True),
                                            (REQUESTED_ON + DAY, True)])
@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_founding_decision_on_the_day_of_the_request_is_accepted(rules, committee, decision, decided_on, ok):
    request = submitted(rules, committee)
    decide = (lambda: request.approve(decided_on)) if decision == "approve" else \
        (lambda: request.reject(decided_on, "no unit"))
    if ok:
        decide()
        assert request.decided_on == decided_on
    else:
        with pytest.raises(InvalidInput, match="before the request"):
            decide()


@pytest.mark.parametrize("confirmed_on, ok", [(D(2024, 2, 19), False), (D(2024, 2, 20), True)])
def test_founding_confirmation_on_the_day_of_the_founding_meeting_is_accepted(rules, committee, confirmed_on, ok):
    request = submitted(rules, committee)
    request.approve(D(2024, 2, 10))
    request.elect_committee(rules, D(2024, 2, 20), SECRETARY_ONLY)
    if ok:
        request.confirm(confirmed_on, "branch-1")
        assert request.state == "confirmed"
    else:
        with pytest.raises(InvalidInput, match="before the founding meeting"):
            request.confirm(confirmed_on, "branch-1")


# ---- 7. the note recorded on a founding approval read back ---------------------------------------------

def test_recorded_founding_approval_note_read_back(run, read, db, root):
    request_id = request_branch(run, root, D(2024, 1, 15))
    note = "approved at the committee's meeting of 1 February; 经党委会议研究同意"
    run(commands.approve_founding, request_id, today=TODAY, decided_on=D(2024, 2, 1), note=note)
    request = read(queries.get_founding_request, request_id, TODAY)
    assert (request["state"], request["decided_on"], request["note"]) == ("approved", D(2024, 2, 1), note)
    listed = read(queries.list_founding_requests, root, "approved", 50, 0, TODAY)["items"]
    assert [r["note"] for r in listed] == [note]
    event_type, payload = payloads(db, request_id)[-1]
    assert (event_type, payload["note"]) == ("orgs.founding_approved", note)


@pytest.mark.parametrize("note", [None, ""])
def test_recorded_founding_approval_without_a_note_reads_back_none(run, read, root, note):
    request_id = request_branch(run, root, D(2024, 1, 15))
    run(commands.approve_founding, request_id, today=TODAY, note=note)
    assert read(queries.get_founding_request, request_id, TODAY)["note"] is None


def test_recorded_founding_approval_note_survives_the_later_steps(run, read, root):
    request_id = request_branch(run, root, D(2024, 1, 15))
    run(commands.approve_founding, request_id, today=TODAY, decided_on=D(2024, 2, 1), note="see the minutes")
    run(commands.elect_founding_committee, request_id, today=D(2024, 2, 20), meeting_date=D(2024, 2, 20), seats=SECRETARY_ONLY)
    run(commands.confirm_founding, request_id, today=TODAY)
    request = read(queries.get_founding_request, request_id, TODAY)
    assert (request["state"], request["note"]) == ("confirmed", "see the minutes")


def test_rule_start_the_refusal_names_the_date_it_was_asked_for():
    import datetime as dt

    from services.members.rules import rules_in_force as member_rules
    from services.members.transfers.rules import transfer_rules_in_force
    from services.orgs.rules import rules_in_force as org_rules
    from shared.errors import InvalidInput
    for find in (member_rules, transfer_rules_in_force, org_rules):
        with pytest.raises(InvalidInput) as refused:
            find(dt.date(2013, 12, 31))
        assert refused.value.fields == {"date": "2013-12-31"}, find.__module__


def test_dues_rule_boundaries_are_the_rule_sets_start_dates_in_order():
    import datetime as dt

    from services.dues.rules import RULE_SETS, rule_boundaries
    assert rule_boundaries() == sorted(r.effective_from for r in RULE_SETS)
    assert rule_boundaries()[0] == dt.date(2008, 1, 1)
    import dataclasses
    later = dataclasses.replace(RULE_SETS[0], effective_from=dt.date(2030, 1, 1))
    assert rule_boundaries([later, RULE_SETS[0]]) == [dt.date(2008, 1, 1), dt.date(2030, 1, 1)]
