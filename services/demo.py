"""Demo data for a first start: a district committee with general branches,
branches and party groups, one branch founded through the whole workflow and
one founding request still waiting for its parent; a few hundred members in
those branches (demo_members.py); and their dues bases and payments
(demo_dues.py)."""
import datetime as dt

from .demo_dues import load_dues
from .demo_members import COMMUNITY_EMPLOYERS, DemoBranch, load_members

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


QUANTUM_LAB = "量子信息实验室党支部"
# branch -> (demo members, their employers)
DEMO_MEMBERS = {
    "纳米科技有限公司党支部": (70, ("纳米科技有限公司",)),
    "微纳制造联合党支部": (30, ("微纳器件公司", "精密制造公司")),
    "生物医药研究院党支部": (75, ("生物医药研究院",)),
    "人工智能产业园党支部": (50, ("智算科技有限公司", "机器视觉科技有限公司", "人工智能产业园管理公司")),
    "月亮湾社区第一党支部": (55, COMMUNITY_EMPLOYERS),
    QUANTUM_LAB: (20, ("量子信息实验室",)),
}


def _unit(name, unit_type):
    return {"name": name.replace("党支部", "").replace("联合", ""), "unit_type": unit_type}


def load_demo(orgs, members=None, dues=None, today: dt.date | None = None, member_scale: float = 1.0) -> dict:
    """Create the demo tree through the orgs service's RPC interface, as a
    district organiser would, then (given the members service's proxy) its
    members, ``member_scale`` times the usual number, and (given the dues
    service's too) their dues; return the district committee."""
    today = today or dt.date.today()
    demo_branches = []
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
            group_ids = tuple(orgs.create_org({"name": group, "kind": "group", "parent_id": branch["id"],
                                               "created_on": founded})["id"] for group in groups)
            demo_branches.append(_demo_branch(branch["id"], name, unit_type, group_ids, member_scale))
    quantum_lab = _founding_workflow(orgs, district["id"], today)
    demo_branches.append(_demo_branch(quantum_lab, QUANTUM_LAB, "research_institute", (), member_scale))
    district["demo_branch"] = {"id": demo_branches[0].id, "name": demo_branches[0].name}
    if members is not None:
        district["demo_members"] = load_members(members, demo_branches, today)
        if dues is not None:
            district["demo_dues"] = load_dues(dues, district["demo_members"]["owing_dues"], today)
    return district


def _demo_branch(org_id, name, unit_type, group_ids, scale) -> DemoBranch:
    size, employers = DEMO_MEMBERS[name]
    return DemoBranch(org_id, name, unit_type, employers, max(3, round(size * scale)), group_ids)


def _founding_workflow(orgs, parent_id, today):
    members = [{"name": n} for n in ("王芳", "李强", "张伟", "刘洋", "陈晨")]
    request = orgs.request_founding(parent_id, {
        "proposed_name": QUANTUM_LAB, "unit": {"name": "量子信息实验室",
                                                  "unit_type": "research_institute"},
        "full_members": 4, "probationary_members": 1, "founding_members": members,
        "proposed_committee": [{"role": "secretary", "name": "王芳"},
                               {"role": "deputy_secretary", "name": "李强"}],
        "requested_on": (today - dt.timedelta(days=40)).isoformat()})
    orgs.approve_founding(request["id"], {"decided_on": (today - dt.timedelta(days=30)).isoformat()})
    orgs.elect_founding_committee(request["id"], {
        "meeting_date": (today - dt.timedelta(days=20)).isoformat(),
        "seats": [{"role": "secretary", "name": "王芳"}, {"role": "deputy_secretary", "name": "李强"}]})
    branch_id = orgs.confirm_founding(request["id"], {})["branch_id"]
    orgs.request_founding(parent_id, {
        "proposed_name": "集成电路设计中心党支部", "unit": {"name": "集成电路设计中心",
                                                    "unit_type": "enterprise"},
        "full_members": 5, "founding_members": [{"name": n} for n in ("陈静", "杨磊", "赵敏", "黄涛", "周杰")],
        "proposed_committee": [{"role": "secretary", "name": "陈静"}],
        "requested_on": (today - dt.timedelta(days=5)).isoformat()})
    return branch_id
