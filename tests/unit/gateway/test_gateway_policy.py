"""The policy's decisions on a fixed tree, the scope index's bookkeeping, and
the gateway refusing to start without its secrets."""
import datetime as dt

import pytest

from services.gateway import policy
from services.gateway.auth import check_config
from services.gateway.scope import MEMBER_TTL, ScopeIndex
from shared.access import Grant, Principal
from shared.errors import Forbidden, InvalidInput, NotFound, Unauthorized

# committee C > branches A, B; member m in A; transfer t from A to B; founding request f to C
LINEAGES = {"A": ["A", "C"], "B": ["B", "C"], "C": ["C"]}


class Orgs:
    def __init__(self):
        self.calls = 0

    def lineage(self, org_id):
        self.calls += 1
        if org_id not in LINEAGES:
            raise NotFound(f"organisation {org_id} does not exist")
        return LINEAGES[org_id]

    def get_founding_request(self, request_id):
        return {"parent_id": "C"}


class Members:
    def __init__(self):
        self.calls = 0
        self.record = {"org_id": "A", "version": 3}

    def member_place(self, member_id):
        self.calls += 1
        if member_id != "m":
            raise NotFound(f"member {member_id} does not exist")
        return self.record

    def get_transfer(self, transfer_id):
        return {"member_id": "m", "from_org_id": "A", "to_org_id": "B"}


def who(role, org_id=None, member_id=None):
    return Principal(role, (Grant(role, org_id),), role, member_id)


def check(rule, principal, path=None, body=None, index=None):
    index = index or ScopeIndex()
    policy.authorize(rule, principal, lambda: policy.Request(path or {}, body, {}, index, Orgs(), Members()))


def outcome(rule, principal, **kwargs):
    try:
        check(rule, principal, **kwargs)
        return "ok"
    except Unauthorized:
        return 401
    except Forbidden:
        return 403
    except NotFound:
        return 404


CALLERS = {"admin_a": who("org_admin", "A"), "admin_b": who("org_admin", "B"), "admin_c": who("org_admin", "C"),
           "district": who("district_admin"), "auditor": who("auditor"), "auditor_b": who("auditor", "B"),
           "member": who("member", member_id="m"), "other_member": who("member", member_id="n"),
           "integration": who("integration")}


@pytest.mark.parametrize("rule,path,allowed", [
    (policy.read(policy.Org()), {"org_id": "A"}, {"admin_a", "admin_c", "district", "auditor"}),
    (policy.write(policy.Org()), {"org_id": "A"}, {"admin_a", "admin_c", "district"}),
    (policy.write(policy.Org(parent=True)), {"org_id": "A"}, {"admin_c", "district"}),
    (policy.read(policy.Member(), self_service=True), {"member_id": "m"},
     {"admin_a", "admin_c", "district", "auditor", "member"}),
    (policy.write(policy.Member(parent=True)), {"member_id": "m"}, {"admin_c", "district"}),
    (policy.write(policy.Transfer("receiving")), {"transfer_id": "t"}, {"admin_b", "admin_c", "district"}),
    (policy.write(policy.Transfer("sending"), self_service=True), {"transfer_id": "t"},
     {"admin_a", "admin_c", "district", "member"}),
    (policy.read(policy.Transfer()), {"transfer_id": "t"}, {"admin_a", "admin_b", "admin_c", "district",
                                                            "auditor", "auditor_b"}),
    (policy.write(policy.FoundingParent()), {"request_id": "f"}, {"admin_c", "district"}),
    (policy.write(policy.District()), {}, {"district"}),
    (policy.read(policy.District()), {}, {"district", "auditor"}),
    (policy.directory(), {}, set(CALLERS) - {"integration"}),
    (policy.signed_in(), {}, set(CALLERS)),
])
def test_who_passes_each_kind_of_rule(rule, path, allowed):
    got = {name for name, principal in CALLERS.items() if outcome(rule, principal, path=path) == "ok"}
    assert got == allowed
    assert outcome(rule, None, path=path) == 401


def test_public_routes_need_no_token():
    assert outcome(policy.public(), None) == "ok"


def test_grants_need_every_named_organisation_and_the_member():
    rule = policy.write(policy.Grants())
    assert outcome(rule, CALLERS["admin_a"], body={"role": "org_admin", "org_id": "A"}) == "ok"
    assert outcome(rule, CALLERS["admin_a"], body={"role": "org_admin", "org_id": "C"}) == 403
    assert outcome(rule, CALLERS["admin_a"], body={"role": "district_admin", "org_id": None}) == 403
    assert outcome(rule, CALLERS["district"], body={"role": "district_admin", "org_id": None}) == "ok"
    assert outcome(rule, CALLERS["admin_a"], body={"roles": [{"role": "org_admin", "org_id": "A"},
                                                             {"role": "auditor", "org_id": "B"}]}) == 403
    assert outcome(rule, CALLERS["admin_a"], body={"kind": "member", "member_id": "m", "roles": []}) == "ok"
    assert outcome(rule, CALLERS["admin_b"], body={"kind": "member", "member_id": "m", "roles": []}) == 403


def test_an_unknown_record_is_404_and_a_missing_scope_field_is_400():
    assert outcome(policy.read(policy.Member()), CALLERS["district"], path={"member_id": "nobody"}) == 404
    assert outcome(policy.read(policy.Org()), CALLERS["admin_c"], path={"org_id": "Z"}) == 404
    with pytest.raises(InvalidInput) as raised:
        check(policy.write(policy.Member("member_id", source="body")), CALLERS["admin_a"], body={})
    assert "member_id" in raised.value.fields


def test_an_integration_account_is_refused_without_a_lookup():
    index = ScopeIndex()
    assert outcome(policy.read(policy.Member()), CALLERS["integration"], path={"member_id": "nobody"},
                   index=index) == 403


def test_the_index_reads_an_unseen_record_once_and_events_move_members():
    now = [0.0]
    index = ScopeIndex(clock=lambda: now[0])
    orgs, members = Orgs(), Members()
    assert index.lineage("A", orgs) == ("A", "C") and index.lineage("A", orgs) == ("A", "C")
    assert orgs.calls == 1
    assert index.member_org("m", members) == "A" and index.member_org("m", members) == "A"
    assert members.calls == 1
    index.apply({"event_type": "members.transfer_completed", "aggregate_id": "m", "aggregate_version": 5,
                 "payload": {"org_id": "B"}})
    assert index.member_org("m", members) == "B"
    # An older event arriving late never moves the member back.
    index.apply({"event_type": "members.profile_updated", "aggregate_id": "m", "aggregate_version": 4,
                 "payload": {"org_id": "A"}})
    assert index.member_org("m", members) == "B"
    now[0] += MEMBER_TTL + 1  # re-read after the TTL: a lost event cannot last
    members.record = {"org_id": "C", "version": 9}
    assert index.member_org("m", members) == "C" and members.calls == 2
    index.apply({"event_type": "transfers.transfer_requested", "aggregate_id": "t2", "aggregate_version": 1,
                 "payload": {"member_id": "m", "from_org_id": "A", "to_org_id": "C"}})
    assert index.transfer("t2", members).to_org_id == "C"


def test_an_import_jobs_organisation_is_asked_once():
    class Jobs:
        calls = 0

        def get_import_job(self, job_id):
            Jobs.calls += 1
            return {"id": job_id, "org_id": "A"}
    index, jobs = ScopeIndex(), Jobs()
    assert index.import_job_org("j1", jobs) == index.import_job_org("j1", jobs) == "A" and Jobs.calls == 1


def test_the_gateway_refuses_to_start_without_its_secrets():
    with pytest.raises(RuntimeError, match="JWT_SECRET"):
        check_config({"MASTER_KEY": "k"})
    with pytest.raises(RuntimeError, match="at least 32 bytes"):
        check_config({"JWT_SECRET": "short", "MASTER_KEY": "k"})
    with pytest.raises(RuntimeError, match="MASTER_KEY"):
        check_config({"JWT_SECRET": "s" * 32})
    check_config({"JWT_SECRET": "s" * 32, "MASTER_KEY": "k"})


def test_what_me_keeps_of_dues_is_dropped_by_the_accounts_events_the_month_and_time():
    from services.gateway.dues_status import TTL, DuesStatusCache
    now, today = [0.0], [dt.date(2026, 12, 1)]
    cache = DuesStatusCache(clock=lambda: now[0], today=lambda: today[0])
    cache.put("m", {"paid_up_to": "2026-11"}, cache.version("m"))
    assert cache.get("m") == {"paid_up_to": "2026-11"}
    cache.apply({"aggregate_type": "dues_account", "aggregate_id": "other"})
    assert cache.get("m") is not None
    cache.apply({"aggregate_type": "dues_account", "aggregate_id": "m"})  # e.g. dues.payment_recorded
    assert cache.get("m") is None
    # an answer read before a payment never outlives the payment's event
    version = cache.version("m")
    cache.forget("m")
    cache.put("m", {"paid_up_to": "2026-11"}, version)
    assert cache.get("m") is None
    cache.put("m", {"paid_up_to": "2026-12"}, cache.version("m"))
    today[0] = dt.date(2027, 1, 1)  # a new month: this month's amount and arrears are new
    assert cache.get("m") is None
    cache.put("m", {"paid_up_to": "2026-12"}, cache.version("m"))
    now[0] += TTL + 1
    assert cache.get("m") is None
    cache.put("m", {}, cache.version("m"))
    cache.apply({"aggregate_type": "dues_policy", "aggregate_id": "branch-1"})
    assert cache.get("m") is None


def test_a_verified_token_kept_for_the_next_request_still_expires():
    import time

    import shared.access as access
    from access_helpers import SECRET, token
    issued = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=60 + access.LEEWAY_SECONDS - 1)
    value = token("li", "district_admin", lifetime=60, now=issued)  # one second of leeway left
    assert access.verify_access_token(SECRET, value).subject == "li"
    assert access.verify_access_token(SECRET, value).subject == "li"  # the kept answer
    time.sleep(1.5)
    with pytest.raises(access.TokenInvalid, match="expired"):
        access.verify_access_token(SECRET, value)


def test_grants_refuse_an_org_id_that_is_not_an_id_and_name_an_unknown_one():
    rule = policy.write(policy.Grants())
    with pytest.raises(InvalidInput) as refused:
        check(rule, CALLERS["district"], body={"role": "org_admin", "org_id": 42})
    assert "org_id" in refused.value.fields
    with pytest.raises(NotFound) as unknown:
        check(rule, CALLERS["district"], body={"role": "org_admin", "org_id": "Z"})
    assert "org_id" in unknown.value.fields
