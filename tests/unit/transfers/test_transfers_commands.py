"""Transfer command handlers, the saga's steps and the read model, on a
SQLite event store: both streams saved in one transaction, the member's
branch flipping only at completion, one open transfer per member, the
sweep with an explicit day, compensation when the receiving branch is
dissolved, redelivered events changing nothing."""
import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select

from services.members import commands as member_commands
from services.members.transfers import commands as commands
from services.members.transfers import projections as transfer_projections, queries as transfer_queries, saga as transfer_saga
from services.members.projections import MEMBERS, members
from shared import codec
from shared.catalog import catalog
from shared.envelope import Envelope
from services.members.transfers.rules import transfer_rules_in_force
from shared.errors import Conflict, NotFound, RuleViolation
from shared.tables import events, inbox, outbox
from transfers_builders import DAY, register_full
from unit.orgs_feed import org_event

TODAY = dt.date.today()
UNIT = {"name": "Nano Tech Co.", "unit_type": "enterprise", "address": None}


def register(run, seq="123", org_id="branch-a"):
    return register_full(run, seq, org_id, TODAY)


def request(run, member_id, to_org_id="branch-b", **fields):
    return run(commands.request_transfer, today=TODAY, member_id=member_id, to_org_id=to_org_id,
               scope=fields.pop("scope", "elsewhere"), grounds="employer_change", **fields)


def step(run, transfer_id, action, **fields):
    return run(commands.transfer_step, transfer_id, action, today=TODAY, **fields)


def member_row(read, member_id):
    return read(lambda conn: conn.execute(select(members).where(members.c.id == member_id)).first())


def stream_types(read, aggregate_id):
    return read(lambda conn: conn.execute(select(events.c.event_type).where(events.c.aggregate_id == aggregate_id)
                                          .order_by(events.c.aggregate_version)).scalars().all())


def to_reported_in(run, transfer_id, **report):
    step(run, transfer_id, "approve")
    step(run, transfer_id, "issue-letter", clearance=None)
    step(run, transfer_id, "accept")
    step(run, transfer_id, "report-in", **report)


def test_a_transfer_completes_and_the_member_moves_exactly_at_completion(run, read, store, tree):
    member_id = register(run)
    transfer_id = request(run, member_id, to_group_id="group-b", reason="new job")
    step(run, transfer_id, "approve", decided_by="branch committee")
    clearance = {"member_id": member_id, "org_id": "branch-a", "paid_up_to": "2026-12", "outstanding": "0.00",
                 "owed_months": [], "settled": True}
    step(run, transfer_id, "issue-letter", clearance=clearance, reference="No. 12")
    step(run, transfer_id, "accept")
    step(run, transfer_id, "report-in")
    assert member_row(read, member_id).org_id == "branch-a", "the sending branch until completion"
    assert run(commands.complete_reported_in, transfer_id, today=TODAY) == "completed"
    row = member_row(read, member_id)
    assert (row.org_id, row.group_id, row.version) == ("branch-b", "group-b", 3)

    got = read(transfer_queries.get_transfer, store, transfer_id, TODAY)
    assert got["state"] == "completed" and got["final"] is True
    assert got["letter"]["dues"] == {"paid_up_to": "2026-12", "outstanding": "0.00", "settled": True,
                                     "source": "dues_service"}
    assert (got["from_org_name"], got["to_org_name"], got["placed_group_id"]) == ("Nano Branch", "Bio Branch",
                                                                                   "group-b")
    assert [e["event_type"] for e in got["timeline"]] == [
        "transfers.requested", "transfers.approved", "transfers.letter_issued", "transfers.accepted",
        "transfers.reported_in", "transfers.completed"]
    assert got["timeline"][1]["payload"]["decided_by"] == "branch committee"
    assert stream_types(read, member_id) == ["members.member_registered", "members.transfer_opened",
                                             "members.transfer_completed"]
    # the same transaction: both streams' last events share the outbox, routed apart
    keys = read(lambda conn: dict(conn.execute(select(outbox.c.event_id, outbox.c.routing_key)).all()))
    assert "members.transfer_completed" in keys.values() and "transfers.completed" in keys.values()
    assert run(commands.complete_reported_in, transfer_id, today=TODAY) is None
    assert step(run, transfer_id, "complete") == "already_completed"
    assert len(stream_types(read, transfer_id)) == 6, "completing again records nothing"


def test_lists_per_organisation_side_state_and_member(run, read, tree):
    first, second = register(run, "101"), register(run, "102")
    out = request(run, first)
    inward = request(run, second, to_org_id="branch-c")
    step(run, inward, "approve")

    def ids(org_id, **filters):
        page = read(transfer_queries.list_org_transfers, org_id, today=TODAY, **filters)
        return sorted(t["id"] for t in page["items"])

    assert ids("branch-a") == sorted([out, inward])
    assert ids("branch-a", side="receiving") == []
    assert ids("branch-b", side="receiving") == [out] and ids("branch-b", side="sending") == []
    assert ids("committee-2", side="receiving") == sorted([out, inward]), "a committee sees its branches'"
    assert ids("committee-1", side="sending", state="approved") == [inward]
    assert read(transfer_queries.list_member_transfers, first, today=TODAY)["total"] == 1
    with pytest.raises(NotFound):
        read(transfer_queries.list_org_transfers, "no-such-org", today=TODAY)
    with pytest.raises(NotFound):
        read(transfer_queries.list_member_transfers, "no-such-member", today=TODAY)


def test_a_committee_lists_the_transfers_of_its_whole_subtree(run, read, deliver, tree):
    """A branch two levels down (under a general branch) is in its committee's
    list by default; with scope=org, only the branches directly under it.
    Each side's total is the sum over the branches."""
    deliver(org_event("orgs.org_created", "general-2", name="General Branch", kind="general_branch",
                      parent_id="committee-2"))
    deliver(org_event("orgs.branch_founded", "branch-d", name="Deep Branch", parent_id="general-2"))
    into_deep = request(run, register(run, "111"), to_org_id="branch-d")
    into_b = request(run, register(run, "112"), to_org_id="branch-b")

    def page(org_id, **filters):
        return read(transfer_queries.list_org_transfers, org_id, today=TODAY, **filters)

    receiving = page("committee-2", side="receiving")
    assert sorted(t["id"] for t in receiving["items"]) == sorted([into_deep, into_b])
    assert receiving["total"] == sum(page(org_id, side="receiving")["total"] for org_id in ("branch-b", "branch-c",
                                                                                           "branch-d"))
    assert [t["id"] for t in page("general-2")["items"]] == [into_deep]
    assert [t["id"] for t in page("committee-2", side="receiving", scope="org")["items"]] == [into_b]
    assert page("committee-1", side="sending")["total"] == 2 and page("committee-1", side="receiving")["total"] == 0


def test_one_open_transfer_per_member_and_closing_frees_the_member(run, read, tree):
    member_id = register(run)
    first = request(run, member_id)
    with pytest.raises(Conflict) as refused:
        request(run, member_id, to_org_id="branch-c")
    assert refused.value.fields["open_transfer_id"] == first
    step(run, first, "reject", reason="the unit does not exist")
    second = request(run, member_id, to_org_id="branch-c")
    step(run, second, "withdraw")
    assert stream_types(read, member_id)[1:] == ["members.transfer_opened", "members.transfer_closed"] * 2
    assert member_row(read, member_id).org_id == "branch-a"
    page = read(transfer_queries.list_member_transfers, member_id, today=TODAY)
    states = {t["id"]: (t["state"], t["closed_by_side"]) for t in page["items"]}
    assert states == {first: ("rejected", "sending"), second: ("withdrawn", None)}


def test_return_for_correction_and_resubmit_to_another_branch(run, read, tree):
    member_id = register(run)
    transfer_id = request(run, member_id, to_group_id="group-b")
    step(run, transfer_id, "return-for-correction", reason="wrong receiving branch")
    step(run, transfer_id, "resubmit", to_org_id="branch-c")
    page = read(transfer_queries.list_member_transfers, member_id, today=TODAY)
    transfer = page["items"][0]
    assert (transfer["state"], transfer["to_org_id"], transfer["to_group_id"]) == ("requested", "branch-c", None)
    assert transfer["returned_reason"] is None


def test_an_expired_letter_is_refused_at_acceptance_and_reissued(run, read, store, tree):
    member_id = register(run)
    transfer_id = request(run, member_id, requested_on=TODAY - 60 * DAY)
    step(run, transfer_id, "approve", approved_on=TODAY - 59 * DAY)
    step(run, transfer_id, "issue-letter", issued_on=TODAY - 50 * DAY, valid_until=TODAY - 40 * DAY,
         dues_paid_up_to="2026-01")
    with pytest.raises(RuleViolation) as refused:
        step(run, transfer_id, "accept")
    assert refused.value.rule == "members.transfer.letter_expired"
    got = read(transfer_queries.get_transfer, store, transfer_id, TODAY)
    assert got["state"] == "letter_issued" and got["letter"]["expired"] is True
    assert got["letter"]["dues"]["source"] == "issuer"
    step(run, transfer_id, "reissue-letter")
    step(run, transfer_id, "accept")
    got = read(transfer_queries.get_transfer, store, transfer_id, TODAY)
    assert got["letter"]["number"] == 2 and got["state"] == "accepted"
    assert [e["event_type"] for e in got["timeline"]][-3:] == [
        "transfers.letter_expired", "transfers.letter_reissued", "transfers.accepted"]


def test_the_sweep_expires_flags_finishes_and_is_idempotent(run, read, uow, db, deliver, tree):
    ids = [register(run, f"2{i:02d}") for i in range(4)]
    expiring, overdue, reported, dissolving = [request(run, m, to_org_id="branch-c" if i == 3 else "branch-b")
                                               for i, m in enumerate(ids)]
    for transfer_id in (expiring, overdue, reported):
        step(run, transfer_id, "approve")
        step(run, transfer_id, "issue-letter", valid_until=TODAY + 10 * DAY)
    for transfer_id in (overdue, reported):
        step(run, transfer_id, "accept")
    step(run, reported, "report-in")
    deliver(org_event("orgs.org_dissolved", "branch-c", version=2))

    later = TODAY + 40 * DAY
    result = transfer_saga.run_sweep(uow, db.connect, later)
    assert result == {"as_of": later, "letters_expired": [expiring], "reports_overdue": [overdue],
                      "completed": [reported], "cancelled": [dissolving]}
    assert transfer_saga.run_sweep(uow, db.connect, later) == {
        "as_of": later, "letters_expired": [], "reports_overdue": [], "completed": [], "cancelled": []}
    states = read(lambda conn: dict(conn.execute(select(transfer_projections.transfers.c.id,
                                                        transfer_projections.transfers.c.state)).all()))
    assert states == {expiring: "letter_expired", overdue: "report_overdue", reported: "completed",
                      dissolving: "cancelled"}
    assert member_row(read, ids[2]).org_id == "branch-b"
    assert member_row(read, ids[3]).org_id == "branch-a"
    page = read(transfer_queries.list_org_transfers, "branch-b", today=later, state="letter_expired")
    assert [t["id"] for t in page["items"]] == [expiring]


def test_completion_into_a_dissolved_branch_is_compensated(run, read, deliver, tree):
    member_id = register(run)
    transfer_id = request(run, member_id, to_org_id="branch-c")
    to_reported_in(run, transfer_id)
    deliver(org_event("orgs.org_dissolved", "branch-c", version=2))
    assert run(commands.complete_reported_in, transfer_id, today=TODAY) == "cancelled"
    assert member_row(read, member_id).org_id == "branch-a"
    assert stream_types(read, member_id)[-1] == "members.transfer_closed"
    request(run, member_id)  # the member is free again


def test_a_redelivered_reported_in_event_completes_once(run, read, uow, store, tree):
    member_id = register(run)
    transfer_id = request(run, member_id)
    to_reported_in(run, transfer_id)
    reported = read(lambda conn: store.load_stream(conn, transfer_id))[-1]
    assert reported.event_type == "transfers.reported_in"
    assert transfer_saga.on_reported_in(uow, reported, TODAY) == "completed"
    assert transfer_saga.on_reported_in(uow, reported, TODAY) is None
    assert stream_types(read, member_id).count("members.transfer_completed") == 1
    assert read(lambda conn: conn.execute(select(func.count()).select_from(inbox).where(
        inbox.c.consumer == transfer_saga.COMPLETION_CONSUMER)).scalar_one()) == 1


def test_the_dissolution_of_the_receiving_branch_cancels_its_open_transfers_once(run, read, uow, tree):
    moving = [register(run, f"3{i:02d}") for i in range(2)]
    transfers = [request(run, m, to_org_id="branch-c") for m in moving]
    step(run, transfers[1], "withdraw")
    dissolved = org_event("orgs.org_dissolved", "branch-c", version=2)
    assert transfer_saga.on_org_dissolved(uow, dissolved, TODAY) == [transfers[0]]
    assert transfer_saga.on_org_dissolved(uow, dissolved, TODAY) == []
    assert stream_types(read, moving[0])[-1] == "members.transfer_closed"


def test_every_transfer_event_is_projected_and_the_catalog_matches_the_read_models():
    spec_types = {spec["event_type"] for spec in catalog.describe()}
    transfer_types = {t for t in spec_types if t.startswith("transfers.")}
    assert transfer_types == set(transfer_projections.TRANSFERS.by_type)
    member_transfer_types = {t for t in spec_types if t.startswith("members.transfer_")}
    assert member_transfer_types <= set(MEMBERS.by_type)
    wire = catalog.to_wire(Envelope("members.transfer_completed", 1, "member", "m-1", 3, {
        "org_id": "b", "group_id": None, "stage": "full", "status": "active", "transfer_id": "t",
        "from_org_id": "a", "from_group_id": None, "completed_on": TODAY}))
    assert catalog.from_wire(codec.loads(codec.dumps(wire))).payload["completed_on"] == TODAY


def test_a_member_with_an_open_or_completed_transfer_still_takes_member_commands(run, read, tree):
    """The member's stream holds the transfer's events: loading it for a
    profile change or a status change reads past them (it was a 500)."""
    member_id = register(run)
    transfer_id = request(run, member_id, to_group_id="group-b")
    run(member_commands.update_member, member_id, today=TODAY, phone="13900001111")
    to_reported_in(run, transfer_id)
    assert run(commands.complete_reported_in, transfer_id, today=TODAY) == "completed"
    run(member_commands.change_status, member_id, today=TODAY, status="lost_contact", changed_on=TODAY,
        reason="no reply since March")
    row = member_row(read, member_id)
    assert (row.org_id, row.status) == ("branch-b", "lost_contact")


# ---- the letter: dues owed, serials -----------------------------------------------------------

OWING = {"member_id": "m", "org_id": "branch-a", "paid_up_to": "2026-05", "outstanding": "208.54",
         "owed_months": [{"month": "2026-06", "amount": "34.76"}], "settled": False}


def test_a_letter_is_refused_while_dues_are_owed_naming_what_is_owed(run, read, store, tree):
    transfer_id = request(run, register(run, "121"))
    step(run, transfer_id, "approve")
    with pytest.raises(RuleViolation) as refused:
        step(run, transfer_id, "issue-letter", clearance=OWING)
    assert refused.value.rule == "members.transfer.dues_outstanding"
    assert refused.value.fields == {"dues_outstanding": "208.54", "dues_paid_up_to": "2026-05"}
    assert "208.54" in refused.value.message
    assert read(transfer_queries.get_transfer, store, transfer_id, TODAY)["state"] == "approved"
    settled = {**OWING, "outstanding": "0.00", "owed_months": [], "settled": True, "paid_up_to": "2026-06"}
    step(run, transfer_id, "issue-letter", clearance=settled)
    assert read(transfer_queries.get_transfer, store, transfer_id, TODAY)["letter"]["dues"]["settled"] is True


def test_a_rule_set_that_allows_it_issues_the_letter_with_the_arrears_on_it(run, read, store, tree, monkeypatch):
    lenient = dataclasses.replace(transfer_rules_in_force(TODAY), version="lenient-test", letter_with_arrears=True)
    monkeypatch.setattr(commands, "transfer_rules_in_force", lambda on: lenient)
    transfer_id = request(run, register(run, "122"))
    step(run, transfer_id, "approve")
    step(run, transfer_id, "issue-letter", clearance=OWING)
    letter = read(transfer_queries.get_transfer, store, transfer_id, TODAY)["letter"]
    assert (letter["rules_version"], letter["dues"]["outstanding"], letter["dues"]["settled"]) == \
        ("lenient-test", "208.54", False)


def test_letters_are_numbered_per_issuing_committee_and_year(run, read, store, tree):
    def letter(seq, org_id="branch-a"):
        transfer_id = request(run, register(run, seq, org_id=org_id), to_org_id="branch-c")
        step(run, transfer_id, "approve")
        step(run, transfer_id, "issue-letter")
        return read(transfer_queries.get_transfer, store, transfer_id, TODAY)["letter"]
    year = TODAY.year
    first, second = letter("131"), letter("132")
    assert (first["serial"], second["serial"]) == (f"{year}-0001", f"{year}-0002")
    assert first["issuer_id"] == "committee-1"
    other = letter("133", org_id="branch-b")
    assert (other["serial"], other["issuer_id"]) == (f"{year}-0001", "committee-2")


def test_the_letter_document_is_the_letter_as_issued_with_every_name(run, read, tree):
    transfer_id = request(run, register(run, "141"), to_org_id="branch-b")
    with pytest.raises(Conflict):
        read(transfer_queries.letter_document, transfer_id, TODAY)
    step(run, transfer_id, "approve")
    step(run, transfer_id, "issue-letter")
    document = read(transfer_queries.letter_document, transfer_id, TODAY)
    assert (document["issuer_name"], document["from_org_name"], document["to_org_name"]) == \
        ("Lake Committee", "Nano Branch", "Bio Branch")
    assert (document["member"]["name"], document["member"]["stage"], document["serial"]) == \
        ("Member 141", "full", f"{TODAY.year}-0001")


# ---- founding moves its members ----------------------------------------------------------------

def founded(branch_id, founders, request_id="fr-1"):
    return org_event("orgs.branch_founded", branch_id, 1, name="Lab Branch", parent_id="committee-2",
                     founding_request_id=request_id, founding_member_ids=founders, founded_on=TODAY,
                     founded_directly=False)


def test_founding_moves_its_members_into_the_new_branch_through_completed_transfers(run, read, store, uow,
                                                                                    deliver, tree):
    founders = [register(run, "151"), register(run, "152")]
    stays = register(run, "153")
    busy = register(run, "154")
    request(run, busy, to_org_id="branch-c")
    event = founded("branch-new", founders + [busy, "no-such-member"])
    deliver(event)  # the branch, as the members service's tree knows it
    assert transfer_saga.on_branch_founded(uow, event) == founders
    assert transfer_saga.on_branch_founded(uow, event) == [], "once however often the event comes"
    for member_id in founders:
        assert member_row(read, member_id).org_id == "branch-new"
        assert stream_types(read, member_id)[-2:] == ["members.transfer_opened", "members.transfer_completed"]
    assert member_row(read, stays).org_id == member_row(read, busy).org_id == "branch-a"
    page = read(transfer_queries.list_org_transfers, "branch-new", today=TODAY, side="receiving")
    assert page["total"] == 2 and {t["state"] for t in page["items"]} == {"completed"}
    assert {t["grounds"] for t in page["items"]} == {"branch_founding"}
    assert {t["from_org_id"] for t in page["items"]} == {"branch-a"}


def test_a_branch_founded_directly_moves_nobody(uow, tree):
    assert transfer_saga.on_branch_founded(uow, founded("branch-direct", [])) == []
