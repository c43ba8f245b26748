"""The members service (with orgs, for its events) in real nameko containers,
over RabbitMQ and PostgreSQL, driven by RPC as the gateway drives it."""
import datetime as dt
import uuid

import pytest
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import func, select, text

from members_it_helpers import known_to_members, publish_raw, wait_for
from shared.dates import add_months
from services.members.org_replica import known_orgs
from shared import codec
from shared.access import DISTRICT_ADMIN, Grant, Principal
from shared.contracts.members import id_number_check_digit
from shared.errors import Conflict, InvalidInput, NotFound, RuleViolation
from shared.tables import events, inbox, outbox
from stage_history import history

DISTRICT = Principal("district-admin", (Grant(DISTRICT_ADMIN),))
UNIT = {"name": "Nano Tech Co.", "unit_type": "enterprise", "address": "1 Lake Road"}
DAY = dt.timedelta(days=1)


def id_number(birth_date: dt.date, seq: str) -> str:
    first17 = "320506" + birth_date.strftime("%Y%m%d") + seq
    return first17 + id_number_check_digit(first17)


def person(name, seq, stage="applicant", birth_date=dt.date(1996, 5, 4), **dates):
    return {"name": name, "gender": "female", "birth_date": birth_date.isoformat(), "ethnicity": "汉族",
            "education": "本科", "employer": "纳米科技有限公司", "id_number": id_number(birth_date, seq),
            "phone": f"138{seq}{seq[:2]}678"[:11], "stage": stage,
            **{k: v.isoformat() for k, v in dates.items()}}


def full_member(name, seq, org_id):
    return person(name, seq, stage="full", **history("full", full_on=dt.date(2016, 7, 1))) | \
        {"org_id": org_id}


def found_tree(orgs, members, name="Nano Tech Branch"):
    """A committee and a branch with a party group, once members knows them."""
    root = orgs.create_org({"name": f"Lake District Committee {uuid.uuid4().hex[:6]}", "kind": "committee"})
    branch = orgs.create_org({"name": name, "kind": "branch", "parent_id": root["id"], "unit": UNIT,
                              "full_members": 5})
    group = orgs.create_org({"name": "Lab Building Group", "kind": "group", "parent_id": branch["id"]})
    for org in (root, branch, group):
        wait_for(lambda: known_to_members(members, org["id"]), what=f"members to know {org['name']}")
    return root, branch, group


def test_a_person_goes_from_application_to_full_member_over_rpc(orgs, members, members_as, members_db):
    today = dt.date.today()
    _, branch, group = found_tree(orgs, members)
    branch_id = branch["id"]
    sponsor_a = members.register_member(full_member("王芳", "301", branch_id))
    sponsor_b = members.register_member(full_member("李强", "302", branch_id))

    applied = add_months(today, -40)
    applicant = members.register_member({**person("张敏", "123", applied_on=applied), "org_id": branch_id,
                                         "group_id": group["id"]})
    member_id = applicant["id"]
    assert (applicant["stage"], applicant["status"], applicant["version"]) == ("applicant", "active", 1)
    assert applicant["id_number"].startswith("3205**********") and applicant["phone"].startswith("138****")
    assert applicant["talk_due_on"] == add_months(applied, 1).isoformat()
    assert (applicant["org_name"], applicant["group_name"]) == ("Nano Tech Branch", "Lab Building Group")

    def step(name, **data):
        return members.pipeline_step(member_id, name, {k: v.isoformat() if isinstance(v, dt.date) else v
                                                       for k, v in data.items()})

    activist_on = add_months(applied, 1)
    candidate_on = add_months(activist_on, 12) + 7 * DAY
    meeting = candidate_on + 30 * DAY
    step("record-talk", talked_on=applied + 10 * DAY, talked_by="王芳")
    step("designate-activist", activist_on=activist_on, decided_by="支部委员会")
    step("assign-contacts", contact_ids=[sponsor_a["id"]], assigned_on=activist_on + 5 * DAY)
    step("record-assessment", assessed_on=add_months(activist_on, 6), result="good")
    with pytest.raises(RuleViolation) as refused:
        step("approve-candidate", candidate_on=add_months(activist_on, 12) - DAY,
             public_notice_from=candidate_on - 21 * DAY, public_notice_to=candidate_on - 8 * DAY)
    assert refused.value.rule == "members.pipeline.activist_period"
    step("approve-candidate", candidate_on=candidate_on, public_notice_from=candidate_on - 14 * DAY,
         public_notice_to=candidate_on - DAY)
    step("assign-sponsors", sponsor_ids=[sponsor_a["id"], sponsor_b["id"]], assigned_on=candidate_on + 3 * DAY)
    step("record-political-review", reviewed_on=candidate_on + 10 * DAY, passed=True)
    step("record-training", completed_on=candidate_on + 20 * DAY, days=3)
    with pytest.raises(RuleViolation) as refused:  # the branch has its two sponsors as full members on record
        step("admission-vote", meeting_date=meeting, eligible_voters=12, present_voters=10, yes=9, no=1, abstain=0)
    assert (refused.value.rule, str(refused.value.fields["on_record"])) == ("members.vote.eligible_count", "2")
    with pytest.raises(RuleViolation) as refused:
        step("admission-vote", meeting_date=meeting, present_voters=2, yes=1, no=1, abstain=0)
    assert refused.value.rule == "members.pipeline.vote_majority"
    voted = step("admission-vote", meeting_date=meeting, attendee_ids=[sponsor_a["id"], sponsor_b["id"]], yes=2,
                 no=0, abstain=0)
    assert (voted["admission_vote"]["eligible_voters"], voted["admission_vote"]["counted_from"]) == (2, "records")
    assert voted["admission_vote"]["approval_due_on"] == add_months(meeting, 3).isoformat()
    admitted = step("approve-admission", approved_on=meeting + 20 * DAY)
    probation_ends_on = add_months(meeting, 12)
    assert (admitted["stage"], admitted["admitted_on"], admitted["probation_ends_on"]) == \
        ("probationary", meeting.isoformat(), probation_ends_on.isoformat())
    confirmed = step("confirm-full", meeting_date=probation_ends_on + 5 * DAY, present_voters=2, yes=2, no=0,
                     abstain=0, approved_on=probation_ends_on + 20 * DAY)
    assert (confirmed["stage"], confirmed["full_on"], confirmed["version"]) == \
        ("full", probation_ends_on.isoformat(), 12)

    assert members.get_member(member_id, reveal_personal=True)["personal_revealed"] is False  # no token: masked
    member = members_as(DISTRICT).get_member(member_id)
    assert member["id_number"] == id_number(dt.date(1996, 5, 4), "123") and member["personal_revealed"] is True
    assert [s["member_id"] for s in member["sponsors"]] == [sponsor_a["id"], sponsor_b["id"]]
    assert member["training"]["days"] == 3 and member["political_review"]["passed"] is True
    page = members.list_members(branch_id, stage="full")
    assert [m["name"] for m in page["items"]] == ["张敏", "李强", "王芳"] and page["total"] == 3
    assert members.pipeline_due(branch_id) == {"as_of": today.isoformat(), "due": [], "overdue": []}

    with members_db.connect() as conn:
        rows = conn.execute(select(events.c.event_type, events.c.payload).where(
            events.c.aggregate_id == member_id).order_by(events.c.aggregate_version)).all()
        bodies = [row.body for row in conn.execute(select(outbox.c.body))]
        wait_for(lambda: conn.execute(select(func.count()).select_from(outbox).where(
            outbox.c.published_at.is_(None))).scalar_one() == 0, what="the outbox to drain")
    assert [r.event_type for r in rows][-3:] == ["members.admission_voted", "members.admission_approved",
                                                 "members.confirmed_full"]
    payloads = [codec.loads(r.payload) for r in rows]
    assert all({"org_id", "group_id", "stage", "status"} <= set(p) for p in payloads)
    assert not any(member["id_number"] in b or member["phone"] in b for b in bodies)


def test_a_member_is_registered_only_into_an_active_branch_known_from_orgs_events(orgs, members, members_db):
    root, branch, group = found_tree(orgs, members)
    with pytest.raises(NotFound) as missing:
        members.register_member({**person("A", "401", applied_on=dt.date(2024, 1, 10)), "org_id": "no-such-org"})
    assert missing.value.fields == {"org_id": "no-such-org"}
    for org_id, group_id, field in ((root["id"], None, "org_id"), (group["id"], None, "org_id")):
        with pytest.raises(RuleViolation) as refused:
            members.register_member({**person("B", "402", applied_on=dt.date(2024, 1, 10)), "org_id": org_id,
                                     "group_id": group_id})
        assert refused.value.rule == "members.registration.active_branch" and field in refused.value.fields

    other = orgs.create_org({"name": "Other Branch", "kind": "branch", "parent_id": root["id"], "unit": UNIT,
                             "full_members": 3})
    wait_for(lambda: known_to_members(members, other["id"]), what="members to know the other branch")
    with pytest.raises(RuleViolation) as refused:
        members.register_member({**person("C", "403", applied_on=dt.date(2024, 1, 10)), "org_id": other["id"],
                                 "group_id": group["id"]})
    assert refused.value.fields == {"group_id": group["id"]}
    orgs.dissolve_org(other["id"], {"reason": "merged into Nano Tech Branch"})

    def dissolved_for_members():
        with members_db.connect() as conn:
            return conn.execute(select(known_orgs.c.status).where(known_orgs.c.id == other["id"])).scalar() == \
                "dissolved"

    wait_for(dissolved_for_members, what="members to see the branch dissolved")
    with pytest.raises(RuleViolation) as refused:
        members.register_member({**person("D", "404", applied_on=dt.date(2024, 1, 10)), "org_id": other["id"]})
    assert refused.value.rule == "members.registration.active_branch" and "dissolved" in refused.value.message
    with pytest.raises(InvalidInput) as invalid:
        members.register_member({**person("E", "405", applied_on=dt.date(2024, 1, 10)), "org_id": branch["id"],
                                 "id_number": "320506199605041230"})
    assert "id_number" in invalid.value.fields and "320506199605041230" not in str(invalid.value.fields)
    member = members.register_member({**person("F", "406", applied_on=dt.date(2024, 1, 10)),
                                      "org_id": branch["id"], "group_id": group["id"]})
    assert member["group_id"] == group["id"]
    def stored():
        with members_db.connect() as conn:
            return (conn.execute(select(func.count()).select_from(events)).scalar_one(),
                    conn.execute(select(func.count()).select_from(outbox)).scalar_one(),
                    conn.execute(text("SELECT count(*) FROM members")).scalar_one())

    before = stored()
    with pytest.raises(Conflict) as duplicate:  # the same ID number: refused, nothing of it kept
        members.register_member({**person("G", "406", applied_on=dt.date(2024, 1, 10)), "org_id": branch["id"]})
    assert duplicate.value.fields == {"id_number": "already registered"}
    assert stored() == before
    with pytest.raises(NotFound) as missing:
        members.pipeline_step(member["id"], "promote", {})
    assert missing.value.fields == {"step": "promote"}
    assert members.ping() == "pong"


def test_a_redelivered_orgs_event_has_one_effect(orgs, members, containers, members_config, members_db, orgs_db):
    _, branch, _ = found_tree(orgs, members, name="First Name Branch")
    member = members.register_member({**person("H", "501", applied_on=dt.date(2024, 1, 10)), "org_id": branch["id"]})
    orgs.rename_org(branch["id"], {"name": "Second Name Branch"})
    wait_for(lambda: members.get_member(member["id"])["org_name"] == "Second Name Branch",
             what="members to see the rename")

    with orgs_db.connect() as conn:
        bodies = {codec.loads(body)["event_type"]: codec.loads(body) for body in conn.execute(
            select(outbox.c.body).where(outbox.c.body.contains(branch["id"]))).scalars()}
    founded, renamed = bodies["orgs.branch_founded"], bodies["orgs.org_renamed"]
    for body, entrypoint in ((founded, "on_branch_founded"), (renamed, "on_org_renamed"), (founded, "on_branch_founded")):
        with entrypoint_waiter(containers["members"], entrypoint, timeout=20,
                               callback=lambda ctx, result, exc: ctx.args[0].event_id == body["event_id"]) as waited:
            publish_raw(members_config["AMQP_URI"], body, "orgs.events", body["event_type"])
        assert waited.get() is False, "a redelivered event is not applied again"

    assert members.get_member(member["id"])["org_name"] == "Second Name Branch"
    with members_db.connect() as conn:
        for body in (founded, renamed):
            assert conn.execute(select(func.count()).select_from(inbox).where(
                inbox.c.event_id == body["event_id"])).scalar_one() == 1
        versions = dict(conn.execute(text("SELECT projection, version FROM projection_versions "
                                          "WHERE aggregate_id = :id"), {"id": branch["id"]}).all())
    assert versions == {"members.known_orgs.name": 2, "members.known_orgs.status": 1}


def test_concurrent_conflicting_commands_leave_one_winner(orgs, members, members_db):
    _, branch, _ = found_tree(orgs, members)
    same_person = {**person("I", "601", applied_on=dt.date(2024, 1, 10)), "org_id": branch["id"]}
    calls = [members.register_member.call_async(dict(same_person)) for _ in range(6)]
    won, refused = [], []
    for call in calls:
        try:
            won.append(call.result())
        except Conflict as exc:
            refused.append(exc)
    assert len(won) == 1 and len(refused) == 5
    assert all(same_person["id_number"] not in f"{exc} {exc.fields}" for exc in refused)

    member_id = won[0]["id"]
    talks = [members.pipeline_step.call_async(member_id, "record-talk",
                                              {"talked_on": "2024-01-20", "talked_by": f"Secretary {i}"})
             for i in range(6)]
    recorded = 0
    for call in talks:
        try:
            call.result()
            recorded += 1
        except Conflict:
            pass
    assert recorded == 1
    with members_db.connect() as conn:
        types = conn.execute(select(events.c.event_type).where(events.c.aggregate_id == member_id)
                             .order_by(events.c.aggregate_version)).scalars().all()
        people = conn.execute(select(func.count()).select_from(events).where(
            events.c.event_type == "members.member_registered")).scalar_one()
    assert types == ["members.member_registered", "members.talk_recorded"] and people == 1
    assert members.get_member(member_id)["talk"]["talked_on"] == "2024-01-20"


def test_a_redelivered_registration_under_its_idempotency_key_answers_as_the_first(orgs, members_config,
                                                                                   containers, members_db):
    """A replica killed between its commit and its answer: the broker hands
    the same request (same headers, so the same key) to another replica,
    which must answer with the first registration, not a 409 for the
    caller's own ID number. Here the request is simply delivered twice."""
    from nameko.standalone.rpc import ServiceRpcProxy

    from shared.nameko_adapter import ACTOR_KEY, IDEMPOTENCY_KEY

    def registering(key):
        return ServiceRpcProxy("members", members_config, timeout=20,
                               context_data={ACTOR_KEY: "district-admin", IDEMPOTENCY_KEY: key})

    with registering("admin:first") as members:
        root, branch, _ = found_tree(orgs, members)
        body = {**person("Zhou Min", "411", applied_on=dt.date(2024, 1, 10)), "org_id": branch["id"]}
        first = members.register_member(body)
    with registering("admin:first") as redelivered:
        again = redelivered.register_member(body)
        with pytest.raises(Conflict) as other_request:
            redelivered.register_member({**body, "name": "Zhou Ming"})
    assert again["id"] == first["id"] and again["name"] == "Zhou Min"
    assert "different request" in other_request.value.message
    with registering("admin:second") as fresh:
        with pytest.raises(Conflict) as taken:  # a new key for the same person: a real conflict
            fresh.register_member(body)
    assert "already registered" in taken.value.message
    with members_db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events)
                            .where(events.c.event_type == "members.member_registered")).scalar_one() == 1
