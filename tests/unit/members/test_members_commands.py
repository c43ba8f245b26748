"""Command handlers and queries against a SQLite event store and read models:
the branch from orgs' events, sponsors from the members read model, personal
data in its own table (never in events or the outbox), masking, deadlines."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from members_builders import TIMELINE, TODAY, VOTE, make_id_number
from services.members import commands, org_replica, personal, projections, queries
from shared import codec
from shared.access import DISTRICT_ADMIN, Grant, Principal
from shared.errors import Conflict, InvalidInput, NotFound, RuleViolation
from shared.tables import events, inbox, outbox
from stage_history import history
from unit.orgs_feed import org_event, to_members

D = dt.date
T = TIMELINE
DISTRICT = Principal("district-admin", (Grant(DISTRICT_ADMIN),))
UNIT = {"name": "Nano Tech Co.", "unit_type": "enterprise", "address": None}


@pytest.fixture
def deliver(db):
    """Deliver an orgs event to the members projection, through the inbox."""
    return to_members(db)


@pytest.fixture
def tree(deliver):
    deliver(org_event("orgs.org_created", "committee-1", 1))
    deliver(org_event("orgs.branch_founded", "branch-1", 1))
    deliver(org_event("orgs.branch_founded", "branch-2", 1, name="Other Branch"))
    deliver(org_event("orgs.org_created", "group-1", 1, name="Lab Group", kind="group", parent_id="branch-1"))


def registration(name="Li Ming", birth_date=D(1995, 5, 4), seq="123", phone="13812345678", **fields):
    data = {"name": name, "gender": "male", "birth_date": birth_date, "ethnicity": "Han", "education": "Master",
            "employer": "Nano Tech Co.", "id_number": make_id_number(birth_date, seq), "phone": phone,
            "org_id": "branch-1", "stage": "applicant", "applied_on": T["applied_on"]}
    data.update(fields)
    return data


def register(run, **fields):
    """Registered through the handler; the earlier steps' dates of a later stage filled in."""
    data = registration(**fields)
    data.update(history(data["stage"], **{name: day for name, day in data.items() if name.endswith("_on") and day}))
    return run(commands.register_member, today=TODAY, **data)


def register_full(run, name, seq, org_id="branch-1", full_on=D(2016, 7, 1), **fields):
    return register(run, name=name, seq=seq, org_id=org_id, stage="full", applied_on=None, full_on=full_on,
                    **fields)


def count(db, table, *where):
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def pipeline(run, member_id, step, **fields):
    return run(commands.pipeline_step, member_id, step, today=TODAY, **fields)


# ---- registration ------------------------------------------------------------------

def test_registration_needs_an_active_branch_known_from_orgs_events(run, deliver, tree):
    with pytest.raises(NotFound) as missing:
        register(run, org_id="no-such-org")
    assert missing.value.fields == {"org_id": "no-such-org"}
    with pytest.raises(RuleViolation) as refused:
        register(run, org_id="committee-1")
    assert refused.value.rule == "members.registration.active_branch"
    with pytest.raises(RuleViolation) as refused:
        register(run, group_id="group-1", org_id="branch-2", seq="124")
    assert refused.value.fields == {"group_id": "group-1"}
    with pytest.raises(NotFound) as missing:
        register(run, group_id="no-group")
    assert missing.value.fields == {"group_id": "no-group"}
    member_id = register(run, group_id="group-1")
    deliver(org_event("orgs.org_dissolved", "branch-2", 2))
    with pytest.raises(RuleViolation) as refused:
        register(run, org_id="branch-2", seq="125")
    assert refused.value.rule == "members.registration.active_branch"
    assert member_id


def test_personal_data_is_stored_apart_from_events_and_masked(run, read, db, tree):
    member_id = register(run)
    id_number = make_id_number()
    with db.connect() as conn:
        stored = conn.execute(select(personal.member_secrets)).all()
        bodies = [row.payload for row in conn.execute(select(events.c.payload))]
        bodies += [row.body for row in conn.execute(select(outbox.c.body))]
    assert [r.member_id for r in stored] == [member_id]
    assert all(id_number.encode() not in bytes(r.id_number) and b"13812345678" not in bytes(r.phone)
               for r in stored)
    assert bodies and not any(id_number in body or "13812345678" in body for body in bodies)
    masked = read(queries.get_member, member_id)
    assert (masked["id_number"], masked["phone"], masked["personal_revealed"], masked["birth_date"]) == \
        ("3205**********" + id_number[-4:], "138****5678", False, None)
    revealed = read(queries.get_member, member_id, DISTRICT)
    assert (revealed["id_number"], revealed["phone"], revealed["personal_revealed"]) == \
        (id_number, "13812345678", True)
    assert (masked["org_name"], masked["stage"], masked["talk_due_on"], masked["version"]) == \
        ("Nano Branch", "applicant", D(2022, 2, 10), 1)


def test_an_id_number_is_registered_once(run, db, tree):
    register(run)
    with pytest.raises(Conflict) as duplicate:
        register(run, name="Someone Else", phone="13900000000")
    assert make_id_number() not in str(duplicate.value) and duplicate.value.fields == {"id_number": "already registered"}
    assert count(db, events) == 1 and count(db, projections.members) == 1


def test_a_racing_duplicate_is_a_conflict_without_the_id_number(db, tree):
    with db.begin() as conn:
        personal.save_personal_data(conn, "m-1", id_number=make_id_number(), phone="13812345678")
    with db.begin() as conn:
        with pytest.raises(Conflict) as duplicate:
            personal.save_personal_data(conn, "m-2", id_number=make_id_number(), phone="13812345679")
    assert duplicate.value.__suppress_context__ and make_id_number() not in repr(duplicate.value)


def test_an_update_changes_personal_data_in_the_same_transaction(run, read, db, tree):
    member_id = register(run)
    with pytest.raises(Conflict):
        run(commands.update_member, member_id, today=TODAY, phone="13987654321", expected_version=2)
    changed = run(commands.update_member, member_id, today=TODAY, phone="13987654321", group_id="group-1",
                  expected_version=1)
    assert changed == ["phone", "group_id"]
    member = read(queries.get_member, member_id, DISTRICT)
    assert (member["phone"], member["group_id"], member["group_name"], member["version"]) == \
        ("13987654321", "group-1", "Lab Group", 2)
    with db.connect() as conn:
        payload = codec.loads(conn.execute(select(events.c.payload).where(events.c.aggregate_version == 2)).scalar())
    assert (payload["changed"], payload["personal_data_changed"]) == (["group_id"], ["phone"])
    assert "13987654321" not in str(payload)
    other = register(run, name="Zhang Wei", seq="222", birth_date=D(1990, 1, 1))
    with pytest.raises(Conflict):
        run(commands.update_member, other, today=TODAY, id_number=make_id_number(), birth_date=D(1995, 5, 4))
    with pytest.raises(NotFound):
        run(commands.update_member, "nobody", today=TODAY, name="X")


# ---- the pipeline through the command handlers ------------------------------------------

def test_a_member_goes_from_application_to_full_membership(run, read, tree):
    sponsors = [register_full(run, "Sponsor A", "301"), register_full(run, "Sponsor B", "302")]
    member_id = register(run)
    pipeline(run, member_id, "record-talk", talked_on=T["talked_on"], talked_by="Wang Fang")
    pipeline(run, member_id, "designate-activist", activist_on=T["activist_on"])
    pipeline(run, member_id, "assign-contacts", assigned_on=T["assigned_on"], contact_ids=[sponsors[0]])
    pipeline(run, member_id, "record-assessment", assessed_on=D(2022, 9, 1), result="good")
    pipeline(run, member_id, "approve-candidate", candidate_on=T["candidate_on"],
             public_notice_from=T["notice"][0], public_notice_to=T["notice"][1], filed_on=D(2023, 3, 8))
    pipeline(run, member_id, "assign-sponsors", assigned_on=T["sponsors_on"], sponsor_ids=sponsors)
    pipeline(run, member_id, "record-political-review", reviewed_on=T["reviewed_on"], passed=True)
    pipeline(run, member_id, "record-training", completed_on=T["trained_on"], days=2, class_hours=0)
    pipeline(run, member_id, "record-training", completed_on=T["trained_on"], days=0, class_hours=24)
    by_records = {"attendee_ids": sponsors, "yes": 2, "no": 0, "abstain": 0}  # the branch's two full members
    pipeline(run, member_id, "admission-vote", meeting_date=T["meeting_date"], **by_records)
    pipeline(run, member_id, "approve-admission", approved_on=T["approved_on"], special=False)
    pipeline(run, member_id, "confirm-full", meeting_date=T["full_meeting"], approved_on=T["full_approved_on"],
             eligible_voters=2, present_voters=2, yes=2, no=0, abstain=0)
    member = read(queries.get_member, member_id)
    assert (member["stage"], member["status"], member["admitted_on"], member["full_on"]) == \
        ("full", "active", T["meeting_date"], D(2024, 4, 3))
    assert [s["member_id"] for s in member["sponsors"]] == sponsors
    assert [c["name"] for c in member["contacts"]] == ["Sponsor A"]
    assert member["training"]["days"] == 2 and member["training"]["class_hours"] == 24
    assert member["admission_vote"]["approved_on"] == "2023-05-10"
    assert (member["full_vote"]["yes"], member["full_vote"]["counted_from"], member["version"]) == (2, "records", 13)
    assert (member["admission_vote"]["eligible_voters"], member["admission_vote"]["attendee_ids"]) == (2, sponsors)
    assert member["candidate_decision"]["public_notice_working_days"] == 5
    assert [a["result"] for a in member["assessments"]] == ["good"]


def _candidate_at_the_vote(run, name="Candidate", seq="311"):
    return register(run, name=name, seq=seq, stage="candidate", applied_on=None, activist_on=T["activist_on"],
                    candidate_on=T["candidate_on"])


def test_a_vote_counts_its_eligible_voters_from_the_records(run, read, tree):
    """The issue's case: 3 eligible declared in a branch with more full members
    on record is refused naming both; attendees must be among them."""
    full = [register_full(run, f"Full {i}", f"40{i}") for i in range(4)]
    register_full(run, "Elsewhere", "409", org_id="branch-2")
    register_full(run, "Late", "408", full_on=D(2024, 1, 1))  # full after the meeting: no vote at it
    member_id = _candidate_at_the_vote(run)
    ready(run, member_id, full[:2])
    vote = lambda **counts: pipeline(run, member_id, "admission-vote", meeting_date=T["meeting_date"], **counts)
    with pytest.raises(RuleViolation) as refused:
        vote(eligible_voters=3, present_voters=2, yes=2, no=0, abstain=0)
    assert (refused.value.rule, refused.value.fields) == \
        ("members.vote.eligible_count", {"eligible_voters": 3, "on_record": 4})
    with pytest.raises(RuleViolation) as outsider:
        vote(attendee_ids=[full[0], full[1], member_id], yes=3, no=0, abstain=0)
    assert (outsider.value.rule, outsider.value.fields) == ("members.vote.attendee", {"attendee_ids": member_id})
    with pytest.raises(RuleViolation) as miscount:
        vote(attendee_ids=full[:3], present_voters=4, yes=3, no=0, abstain=0)
    assert miscount.value.rule == "members.vote.present_count"
    with pytest.raises(RuleViolation) as quorum:
        vote(attendee_ids=full[:2], yes=2, no=0, abstain=0)  # 2 of 4 is no quorum
    assert quorum.value.rule == "members.pipeline.vote_quorum"
    vote(attendee_ids=full[:3], yes=3, no=0, abstain=0)
    recorded = read(queries.get_member, member_id)["admission_vote"]
    assert (recorded["eligible_voters"], recorded["present_voters"], recorded["counted_from"]) == (4, 3, "records")


def test_a_branch_with_no_full_member_on_record_votes_on_its_declared_count(run, read, tree):
    member_id = _candidate_at_the_vote(run, seq="321")
    sponsors = [register_full(run, f"Sponsor {i}", f"42{i}", org_id="branch-2") for i in range(2)]
    ready(run, member_id, sponsors)
    with pytest.raises(InvalidInput) as missing:
        pipeline(run, member_id, "admission-vote", meeting_date=T["meeting_date"], present_voters=8, yes=7, no=1,
                 abstain=0)
    assert set(missing.value.fields) == {"eligible_voters"}
    pipeline(run, member_id, "admission-vote", meeting_date=T["meeting_date"], **VOTE)
    recorded = read(queries.get_member, member_id)["admission_vote"]
    assert (recorded["eligible_voters"], recorded["counted_from"]) == (10, "declared")


def ready(run, member_id, sponsors):
    """A candidate with sponsors, a passed review and training: ready for the vote."""
    pipeline(run, member_id, "assign-sponsors", assigned_on=T["sponsors_on"], sponsor_ids=sponsors)
    pipeline(run, member_id, "record-political-review", reviewed_on=T["reviewed_on"], passed=True)
    pipeline(run, member_id, "record-training", completed_on=T["trained_on"], days=3, class_hours=0)


def test_sponsors_are_read_from_the_members_read_model(run, tree):
    full = register_full(run, "Sponsor A", "301")
    probationary = register(run, name="Probationer", seq="302", stage="probationary", applied_on=None,
                            admitted_on=D(2024, 7, 1))
    candidate = register(run, seq="303", stage="candidate", applied_on=None, activist_on=D(2022, 1, 1),
                         candidate_on=D(2023, 2, 1))
    with pytest.raises(RuleViolation) as refused:
        pipeline(run, candidate, "assign-sponsors", sponsor_ids=[full, probationary])
    assert refused.value.rule == "members.pipeline.sponsor_full_member"
    with pytest.raises(NotFound) as missing:
        pipeline(run, candidate, "assign-sponsors", sponsor_ids=[full, "ghost"])
    assert missing.value.fields == {"sponsor_ids": "ghost"}


def test_unknown_steps_and_members_are_not_found(run, tree):
    member_id = register(run)
    with pytest.raises(NotFound) as missing:
        pipeline(run, member_id, "promote")
    assert missing.value.fields == {"step": "promote"}
    with pytest.raises(NotFound):
        pipeline(run, "nobody", "record-talk", talked_by="W")
    with pytest.raises(Conflict):
        pipeline(run, member_id, "record-talk", talked_by="W", expected_version=5)


def test_status_changes_are_judged_on_their_own_date(run, read, tree):
    member_id = register_full(run, "Zhao Lei", "401")
    run(commands.change_status, member_id, today=TODAY, status="lost_contact", changed_on=D(2024, 1, 31),
        reason="no reply")
    with pytest.raises(RuleViolation):
        run(commands.change_status, member_id, today=TODAY, status="suspended", changed_on=D(2024, 7, 30),
            reason="unreachable")
    run(commands.change_status, member_id, today=TODAY, status="suspended", changed_on=D(2024, 7, 31),
        reason="unreachable")
    member = read(queries.get_member, member_id)
    assert (member["status"], member["status_since"]) == ("suspended", D(2024, 7, 31))
    assert member["status_detail"]["grounds"] == "unreachable"
    assert member["status_detail"]["lost_contact_since"] == "2024-01-31"
    with pytest.raises(InvalidInput):
        run(commands.change_status, member_id, today=TODAY, status="active", changed_on=D(2013, 1, 1), reason="r")


# ---- queries ---------------------------------------------------------------------------

def test_members_of_a_branch_by_name_filtered(run, read, tree):
    register(run, name="Zhang San", seq="501")
    register_full(run, "Li Si", "502")
    register(run, name="Wang Wu", seq="503")
    register_full(run, "Chen Liu", "504", org_id="branch-2")
    page = read(queries.list_members, "branch-1", None, None, 50, 0)
    assert [m["name"] for m in page["items"]] == ["Li Si", "Wang Wu", "Zhang San"] and page["total"] == 3
    assert not any({"id_number", "phone", "birth_date"} & set(m) for m in page["items"])  # a row, not a record
    page = read(queries.list_members, "branch-1", "applicant", "active", 1, 1)
    assert [m["name"] for m in page["items"]] == ["Zhang San"] and page["total"] == 2
    with pytest.raises(NotFound):
        read(queries.list_members, "nowhere", None, None, 50, 0)


def test_a_list_row_says_who_where_since_when_and_what_is_due(run, read, tree):
    """The lean row (``MemberRowOut``): exactly its fields, JSON-ready, the
    stage's own date, the soonest deadline of an active member (as
    pipeline_due has them), the party group, and the full record's path."""
    from shared.contracts.members import MEMBER_PATH, MemberRowOut
    applicant = register(run, name="Applicant", seq="601", applied_on=D(2026, 12, 10), group_id="group-1")
    register(run, name="Activist", seq="602", stage="activist", applied_on=D(2025, 11, 1), activist_on=D(2026, 1, 5))
    register(run, name="Probationer", seq="603", stage="probationary", applied_on=None, admitted_on=D(2026, 1, 2))
    pipeline(run, register(run, name="Talked", seq="605", applied_on=D(2026, 12, 20)), "record-talk",
             talked_on=D(2026, 12, 22), talked_by="W")
    lost = register_full(run, "Veteran", "606")
    run(commands.change_status, lost, today=TODAY, status="lost_contact", changed_on=D(2026, 12, 1),
        reason="no reply")
    rows = {row["name"]: row for row in read(queries.list_members, "branch-1", None, None, 50, 0)["items"]}
    assert rows["Applicant"] == {
        "id": applicant, "href": MEMBER_PATH + applicant, "name": "Applicant", "gender": "male", "org_id": "branch-1",
        "group_id": "group-1", "group_name": "Lab Group", "stage": "applicant", "stage_since": "2026-12-10",
        "status": "active", "status_since": None, "next_deadline": {"kind": "talk", "due_on": "2027-01-10"}}
    assert rows["Activist"]["next_deadline"] == {"kind": "assessment", "due_on": "2026-07-05"}  # overdue: soonest
    assert rows["Activist"]["stage_since"] == "2026-01-05" and rows["Activist"]["group_id"] is None
    assert rows["Probationer"]["next_deadline"] == {"kind": "probation_end", "due_on": "2027-01-02"}
    assert rows["Talked"]["next_deadline"] is None  # the talk is held: nothing due
    assert (rows["Veteran"]["stage"], rows["Veteran"]["stage_since"]) == ("full", "2016-07-01")
    assert (rows["Veteran"]["status"], rows["Veteran"]["status_since"], rows["Veteran"]["next_deadline"]) == \
        ("lost_contact", "2026-12-01", None)
    for row in rows.values():
        assert set(row) == set(MemberRowOut().fields) and codec.to_jsonable(row) == row
        MemberRowOut().load(row)  # the schema the OpenAPI document shows accepts it as it is


def test_list_pages_hold_each_member_once_and_always_the_total(run, read, tree):
    ids = [register(run, name=name, seq=f"7{i:02d}") for i, name in enumerate(["Wu", "Li", "Li", "Bai", "Zhou"])]
    pages = [read(queries.list_members, "branch-1", None, None, 2, offset) for offset in (0, 2, 4)]
    assert [(p["total"], p["limit"], p["offset"], len(p["items"])) for p in pages] == \
        [(5, 2, 0, 2), (5, 2, 2, 2), (5, 2, 4, 1)]
    listed = [row["id"] for p in pages for row in p["items"]]
    assert sorted(listed) == sorted(ids) and len(set(listed)) == 5
    names = [row["name"] for p in pages for row in p["items"]]
    assert names == ["Bai", "Li", "Li", "Wu", "Zhou"]  # by name, then id: a stable order across pages
    past_the_end = read(queries.list_members, "branch-1", None, None, 2, 10)
    assert (past_the_end["items"], past_the_end["total"]) == ([], 5)
    assert read(queries.list_members, "branch-1", "full", None, 2, 0) == {"items": [], "total": 0, "limit": 2,
                                                                         "offset": 0}
    assert read(queries.list_members, "branch-2", None, None, 50, 3)["total"] == 0  # known, empty
    with pytest.raises(NotFound):
        read(queries.list_members, "nowhere", None, None, 50, 5)
    assert codec.loads(queries.page_json(pages[0])) == pages[0]  # what the gateway sends on as it is


def test_pipeline_deadlines_of_a_branch(run, read, tree):
    applicant = register(run, name="Applicant", seq="601", applied_on=D(2026, 12, 10))
    activist = register(run, name="Activist", seq="602", stage="activist", applied_on=D(2025, 11, 1),
                        activist_on=D(2026, 1, 5))
    probationary = register(run, name="Probationer", seq="603", stage="probationary", applied_on=None,
                            admitted_on=D(2026, 1, 2))
    register(run, name="Talked", seq="604", applied_on=D(2026, 12, 20))
    pipeline(run, register(run, name="Talked", seq="605", applied_on=D(2026, 12, 20)), "record-talk",
             talked_on=D(2026, 12, 22), talked_by="W")
    due = read(queries.pipeline_due, "branch-1", D(2027, 1, 4))
    overdue = [(i["name"], i["kind"], i["due_on"]) for i in due["overdue"]]
    assert overdue == [("Activist", "assessment", D(2026, 7, 5)), ("Probationer", "probation_end", D(2027, 1, 2))]
    upcoming = [(i["name"], i["kind"], i["due_on"]) for i in due["due"]]
    assert upcoming == [("Activist", "candidate_eligibility", D(2027, 1, 5)),
                        ("Applicant", "talk", D(2027, 1, 10)),
                        ("Talked", "talk", D(2027, 1, 20))]
    assert due["overdue"][1]["days_left"] == -2 and due["overdue"][1]["member_id"] == probationary
    assert {i["member_id"] for i in due["due"]} >= {applicant, activist}
    assert read(queries.pipeline_due, "branch-2", D(2027, 1, 4)) == {"as_of": D(2027, 1, 4), "due": [],
                                                                     "overdue": []}


# ---- orgs' events --------------------------------------------------------------------------

def test_a_redelivered_orgs_event_has_one_effect(db, deliver, read):
    founded = org_event("orgs.branch_founded", "branch-9", 1)
    assert deliver(founded) is True
    assert deliver(founded) is False
    assert count(db, inbox, inbox.c.event_id == founded.event_id) == 1
    assert count(db, org_replica.known_orgs) == 1


def test_orgs_events_out_of_order_never_regress_the_projection(db, deliver):
    deliver(org_event("orgs.org_dissolved", "branch-9", 3))
    deliver(org_event("orgs.org_renamed", "branch-9", 2, name="Second Name"))
    with db.connect() as conn:
        assert org_replica.org_view(conn, "branch-9").kind is None  # not known as a branch yet
    deliver(org_event("orgs.branch_founded", "branch-9", 1, name="First Name"))
    with db.connect() as conn:
        org = org_replica.org_view(conn, "branch-9")
    assert (org.kind, org.parent_id, org.name, org.status) == ("branch", "committee-1", "Second Name", "dissolved")
    deliver(org_event("orgs.org_renamed", "branch-8", 3, name="Third"))
    deliver(org_event("orgs.org_renamed", "branch-8", 2, name="Second"))
    deliver(org_event("orgs.branch_founded", "branch-8", 1, name="First"))
    with db.connect() as conn:
        org = org_replica.org_view(conn, "branch-8")
    assert (org.name, org.status) == ("Third", "active")
