"""The authorisation matrix, generated from the policy table: every route of
the gateway x {anonymous, member of branch A, org_admin of A, org_admin of
the sibling branch B, org_admin of the committee C above both,
district_admin, auditor, integration}, on a real platform (RabbitMQ,
PostgreSQL, every service).

What each caller should get is worked out here from the world this test
builds (which organisation each route's scope lands in) and the role table
in docs/access.md, not by calling the policy code: 401 for anonymous on
anything not public, 403 outside the caller's scope, 200 for an allowed read.
An allowed write is sent with an unknown field, so it passes the policy and
is then refused by the contract (400): the world does not change under the
matrix, and it proves the gate let it through."""
import datetime as dt
import re

import pytest

from access_helpers import as_role
from services.demo_members import id_number
from services.gateway import policy
from services.gateway.service import GatewayService, http_routes
from roster_rows import roster_row
from shared.contracts.members import COLUMNS
from stage_history import history_json

pytestmark = pytest.mark.integration

TODAY = dt.date.today()
UNIT = {"name": "纳米科技有限公司", "unit_type": "enterprise"}
CALLERS = ("anonymous", "member_a", "admin_a", "admin_b", "admin_c", "district_admin", "auditor", "integration")


def member_body(org_id, sequence, stage="full"):
    birth = dt.date(1990, 5, 4)
    return {"name": f"党员{sequence}", "gender": "female", "birth_date": birth.isoformat(), "ethnicity": "汉族",
            "education": "本科", "employer": "纳米科技有限公司", "id_number": id_number("320506", birth, sequence),
            "phone": "13812345678", "org_id": org_id, "stage": stage,
            **history_json(stage, admitted_on="2015-07-01", full_on="2016-07-01" if stage == "full" else None)}


@pytest.fixture
def world(platform):
    """Committee C with branches A and B; A's committee; a full member of A
    with a transfer to B under way (its letter issued); a founding request to C; an alliance of B
    and C; a staff account."""
    c = platform.call("POST", "/api/v1/orgs", 201, json={"name": "独墅湖党工委", "kind": "committee"}).json()["id"]
    a, b = (platform.call("POST", "/api/v1/orgs", 201, json={
        "name": name, "kind": "branch", "parent_id": c, "unit": UNIT, "full_members": 5}).json()["id"]
        for name in ("纳米科技党支部", "生物医药党支部"))
    member = platform.until("POST", "/api/v1/members", 201, json=member_body(a, 11))["id"]
    platform.until("POST", "/api/v1/members", 201, json=member_body(b, 12))
    transfer = platform.until("POST", "/api/v1/transfers", 201, json={
        "member_id": member, "to_org_id": b, "scope": "in_city", "grounds": "employer_change"})["id"]
    for action in ("approve", "issue-letter"):  # a letter to print
        platform.call("POST", f"/api/v1/transfers/{transfer}/{action}", 200, json={})
    founding = platform.call("POST", f"/api/v1/orgs/{c}/founding-requests", 201, json={
        "proposed_name": "量子实验室党支部", "unit": {"name": "量子实验室", "unit_type": "research_institute"},
        "full_members": 3, "founding_members": [{"name": n} for n in ("王芳", "李强", "张伟")],
        "proposed_committee": [{"role": "secretary", "name": "王芳"}]}).json()["id"]
    platform.call("PUT", f"/api/v1/orgs/{a}/committee", 200, json={
        "elected_on": TODAY.isoformat(), "seats": [{"role": "secretary", "name": "党员11"}]})
    alliance = platform.call("POST", "/api/v1/alliances", 201, json={"name": "高校联盟", "member_org_ids": [b, c]}).json()["id"]
    platform.call("POST", "/api/v1/accounts", 201, json={
        "username": "matrix-staff", "display_name": "矩阵", "password": "a long passphrase", "kind": "staff",
        "roles": [{"role": "org_admin", "org_id": a}]})
    platform.until("GET", f"/api/v1/members/{member}/dues", 200)
    headers_row = ",".join(header for header, _, _, _ in COLUMNS[:11])
    cells = {**roster_row(77, branch=a), "出生日期": "1990-05-04", "转为正式党员日期": "2018-01-10"}
    roster = (f"{headers_row}\n" + ",".join(str(cells.get(h, "")) for h, _, _, _ in COLUMNS[:11]) + "\n").encode()
    job = platform.call("POST", "/api/v1/imports/members", 202, params={"org_id": a}, data=roster,
                        headers={**as_role("district_admin"), "Content-Type": "text/csv"}).json()["id"]
    headers = {"anonymous": {}, "member_a": as_role("member", subject="member-a", member_id=member),
               "admin_a": as_role("org_admin", a, "admin-a"), "admin_b": as_role("org_admin", b, "admin-b"),
               "admin_c": as_role("org_admin", c, "admin-c"), "district_admin": as_role("district_admin"),
               "auditor": as_role("auditor"), "integration": as_role("integration")}
    return {"A": a, "B": b, "C": c, "member": member, "transfer": transfer, "founding": founding, "job": job,
            "roster": roster,
            "alliance": alliance, "headers": headers, "lineage": {a: (a, c), b: (b, c), c: (c,)}}


def path_values(world):
    return {"org_id": world["A"], "member_id": world["member"], "request_id": world["founding"],
            "transfer_id": world["transfer"], "alliance_id": world["alliance"], "username": "matrix-staff",
            "job_id": world["job"],
            "path:asset": "swagger-ui.css"}


def concrete(path, world):
    values = path_values(world)
    return re.sub(r"<([^>]+)>", lambda m: values[m.group(1)], path)


def target(rule, world):
    """(the organisations whose admins the scope lands in, the member it is
    about), worked out from this world; None for the district."""
    scope, a, b, c = rule.scope, world["A"], world["B"], world["C"]
    if isinstance(scope, policy.District):
        return None, None
    if isinstance(scope, policy.Org):
        org = {"parent_id": c}.get(scope.name, a)
        return (world["lineage"][org][1:] if scope.parent else world["lineage"][org]), None
    if isinstance(scope, policy.Member):
        return (world["lineage"][a][1:] if scope.parent else world["lineage"][a]), world["member"]
    if isinstance(scope, policy.FoundingParent):
        return world["lineage"][c], None
    if isinstance(scope, policy.Transfer):
        orgs = {"sending": world["lineage"][a], "receiving": world["lineage"][b],
                "either": world["lineage"][a] + world["lineage"][b]}[scope.side]
        return orgs, world["member"]
    if isinstance(scope, policy.Grants):
        return world["lineage"][a], None
    if isinstance(scope, policy.ImportJob):
        return world["lineage"][a], None
    if isinstance(scope, policy.CallersOwn):  # no org in the query: every staff role, within its own scope
        return (a, b, c), None
    raise AssertionError(f"the matrix does not know scope {scope!r}")


def allowed(rule, caller, world) -> bool:
    if rule.kind == policy.PUBLIC:
        return True
    if caller == "anonymous":
        return False
    if rule.kind == policy.SIGNED_IN:
        return True
    if rule.kind == policy.DIRECTORY:
        return caller != "integration"
    orgs, member = target(rule, world)
    if caller == "district_admin":
        return True
    if caller == "auditor":
        return rule.kind == policy.READ
    if caller == "member_a":
        return rule.self_service and member == world["member"]
    if caller.startswith("admin_") and orgs:
        return world[caller[-1].upper()] in orgs
    return False


def request_for(method, path, rule, world):
    """(query, body) for the request: the scope's own fields filled in, and
    for a write an unknown field so the contract refuses it after the gate."""
    query = {}
    if "dues-report" in path or "payments.xlsx" in path:
        query["year"] = TODAY.year
    if path.endswith("/imports/members") and method == "POST":
        query["org_id"] = world["A"]
    if path.endswith("/accounts") and method == "GET":
        query["org_id"] = world["A"]
    if path == "/api/v1/members" and method == "GET":
        query["q"] = "党员"
    if method == "GET":
        return query, None
    body = {"__matrix__": 1}
    scope = rule.scope
    if isinstance(scope, (policy.Org, policy.Member)) and scope.source == "body":
        body[scope.name] = world["C"] if scope.name == "parent_id" else \
            world["member"] if isinstance(scope, policy.Member) else world["A"]
    if isinstance(scope, policy.Grants):
        if path.endswith("/accounts"):
            body["roles"] = [{"role": "org_admin", "org_id": world["A"]}]
        else:
            body.update(role="org_admin", org_id=world["A"])
    return query, body


def test_every_route_has_a_policy_entry_and_a_route_without_one_stops_the_gateway():
    routes = http_routes(GatewayService)
    assert {policy.route_key(m, p) for m, p in routes} == set(policy.POLICY)

    from services.gateway.http import V1, api

    class WithAnOpenDoor(GatewayService):
        @api("GET", V1 + "/open-door", tag="test", summary="no policy entry")
        def open_door(self):
            return {}

    with pytest.raises(RuntimeError, match="no entry for GET /api/v1/open-door"):
        policy.check_routes(http_routes(WithAnOpenDoor))


def test_the_authorisation_matrix(platform, world):
    wrong = []
    checked = 0
    for key, rule in sorted(policy.POLICY.items()):
        methods, path = key.split(" ", 1)
        method = methods.split(",")[0]
        query, body = request_for(method, path, rule, world)
        url = concrete(path, world)
        for caller in CALLERS:
            if path.endswith("/imports/members") and method == "POST":  # an upload: the file is the body
                sent = {"data": world["roster"], "headers": {**world["headers"][caller], "Content-Type": "text/csv"}}
            else:
                sent = {"headers": world["headers"][caller], **({"json": body} if body is not None else {})}
            response = platform.call(method, url, params=query, **sent)
            status = response.status_code
            checked += 1
            if not allowed(rule, caller, world):
                expected = 401 if caller == "anonymous" else 403
                if status != expected:
                    wrong.append(f"{key} as {caller}: {status}, expected {expected}: {response.text[:160]}")
            elif method == "GET":
                if status != 200:
                    wrong.append(f"{key} as {caller}: {status}, expected 200: {response.text[:160]}")
            elif status in (401, 403) or status >= 500:
                wrong.append(f"{key} as {caller}: {status}, expected the policy to let it through: "
                             f"{response.text[:160]}")
    assert checked == len(policy.POLICY) * len(CALLERS)
    assert not wrong, f"{len(wrong)} of {checked} answers were wrong:\n" + "\n".join(wrong)


def test_unknown_records_are_404_for_staff_and_401_for_anonymous(platform, world):
    for path in ("/api/v1/members/no-such-member", "/api/v1/transfers/no-such-transfer",
                 "/api/v1/founding-requests/no-such-request", "/api/v1/orgs/no-such-org/members"):
        assert platform.call("GET", path, headers=world["headers"]["admin_c"]).status_code == 404, path
        assert platform.call("GET", path, headers={}).status_code == 401, path
