"""Demo data for a first start: a district committee with general branches,
branches and party groups, one branch founded through the whole workflow and
one founding request still waiting for its parent."""
import datetime as dt

DISTRICT = "苏州独墅湖科教创新区党工委"

GENERAL_BRANCHES = {
    "纳米城企业党总支": [
        ("纳米科技有限公司党支部", "enterprise", 18, ["研发楼党小组", "生产楼党小组"]),
        ("微纳制造联合党支部", "enterprise", 9, []),
    ],
    "独墅湖高教区党总支": [
        ("生物医药研究院党支部", "research_institute", 32, ["一号实验楼党小组", "二号实验楼党小组"]),
        ("人工智能产业园党支部", "enterprise", 14, ["算法部党小组"]),
    ],
    "月亮湾社区党总支": [
        ("月亮湾社区第一党支部", "community", 25, ["东区党小组", "西区党小组"]),
    ],
}


def _unit(name, unit_type):
    return {"name": name.replace("党支部", "").replace("联合", ""), "unit_type": unit_type}


def load_demo(orgs, today: dt.date | None = None) -> dict:
    """Create the demo tree through the orgs service's RPC interface, as a
    district organiser would; return the district committee's id."""
    today = today or dt.date.today()
    founded = (today - dt.timedelta(days=400)).isoformat()
    district = orgs.create_org({"name": DISTRICT, "kind": "committee", "created_on": founded})
    for general_name, branches in GENERAL_BRANCHES.items():
        general = orgs.create_org({"name": general_name, "kind": "general_branch",
                                   "parent_id": district["id"], "created_on": founded})
        for name, unit_type, full_members, groups in branches:
            kind = "joint_branch" if "联合" in name else "branch"
            branch = orgs.create_org({
                "name": name, "kind": kind, "parent_id": general["id"], "created_on": founded,
                "unit": _unit(name, unit_type), "full_members": full_members,
                "probationary_members": 2,
                **({"covered_units": [{"name": "微纳器件公司", "unit_type": "enterprise"},
                                      {"name": "精密制造公司", "unit_type": "enterprise"}]}
                   if kind == "joint_branch" else {})})
            for group in groups:
                orgs.create_org({"name": group, "kind": "group", "parent_id": branch["id"],
                                 "created_on": founded})
    _founding_workflow(orgs, district["id"], today)
    return district


def _founding_workflow(orgs, parent_id, today):
    members = [{"name": n} for n in ("王芳", "李强", "张伟", "刘洋", "陈晨")]
    request = orgs.request_founding(parent_id, {
        "proposed_name": "量子信息实验室党支部", "unit": {"name": "量子信息实验室",
                                                  "unit_type": "research_institute"},
        "full_members": 4, "probationary_members": 1, "founding_members": members,
        "proposed_committee": [{"role": "secretary", "name": "王芳"},
                               {"role": "deputy_secretary", "name": "李强"}],
        "requested_on": (today - dt.timedelta(days=40)).isoformat()})
    orgs.approve_founding(request["id"], {"decided_on": (today - dt.timedelta(days=30)).isoformat()})
    orgs.elect_founding_committee(request["id"], {
        "meeting_date": (today - dt.timedelta(days=20)).isoformat(),
        "seats": [{"role": "secretary", "name": "王芳"}, {"role": "deputy_secretary", "name": "李强"}]})
    orgs.confirm_founding(request["id"], {})
    orgs.request_founding(parent_id, {
        "proposed_name": "集成电路设计中心党支部", "unit": {"name": "集成电路设计中心",
                                                    "unit_type": "enterprise"},
        "full_members": 5, "founding_members": [{"name": n} for n in ("陈静", "杨磊", "赵敏", "黄涛", "周杰")],
        "proposed_committee": [{"role": "secretary", "name": "陈静"}],
        "requested_on": (today - dt.timedelta(days=5)).isoformat()})
