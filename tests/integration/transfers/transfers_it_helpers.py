"""Helpers of the transfer integration tests (a uniquely named module: the
test folders have no __init__.py)."""
import datetime as dt
import uuid

from sqlalchemy import func, select

import platform_factory
from platform_factory import known_to_members, wait_for
from services.members.transfers.projections import transfers
from shared.contracts.members import id_number_check_digit
from shared.tables import events
from stage_history import history_json

UNIT = {"name": "Nano Tech Co.", "unit_type": "enterprise", "address": "1 Lake Road"}


def rpc_proxy(service, config, timeout=30):
    """A proxy calling as district-admin, in a conversation of its own."""
    return platform_factory.rpc_proxy(service, config, timeout=timeout)


def id_number(seq: int, birth_date=dt.date(1990, 5, 4)) -> str:
    first17 = "320506" + birth_date.strftime("%Y%m%d") + f"{seq:03d}"
    return first17 + id_number_check_digit(first17)


def found_committees(orgs, members, committees=2, branches=1, groups=False):
    """``committees`` committees with ``branches`` branches each (and a party
    group in each branch), once the members service knows them all.
    Returns {committee id: [branch, ...]} (org dicts, group ids under "group_id")."""
    tree = {}
    for c in range(committees):
        root = orgs.create_org({"name": f"Committee {c} {uuid.uuid4().hex[:6]}", "kind": "committee"})
        tree[root["id"]] = []
        for b in range(branches):
            branch = orgs.create_org({"name": f"Branch {c}.{b}", "kind": "branch", "parent_id": root["id"],
                                      "unit": UNIT, "full_members": 5})
            if groups:
                branch["group_id"] = orgs.create_org({"name": f"Group {c}.{b}", "kind": "group",
                                                      "parent_id": branch["id"]})["id"]
            tree[root["id"]].append(branch)
    every = list(tree) + [b["id"] for bs in tree.values() for b in bs] + \
        [b["group_id"] for bs in tree.values() for b in bs if b.get("group_id")]
    for org_id in every:
        wait_for(lambda: known_to_members(members, org_id), what=f"members to know {org_id}")
    return tree


def full_member(seq: int, org_id: str, name=None) -> dict:
    return {"name": name or f"党员{seq}", "gender": "female", "birth_date": "1990-05-04", "ethnicity": "汉族",
            "education": "本科", "employer": "纳米科技有限公司", "id_number": id_number(seq),
            "phone": "13812345678", "org_id": org_id, "stage": "full",
            **history_json("full", full_on="2016-07-01")}


def request_body(member_id, to_org_id, **extra):
    return {"member_id": member_id, "to_org_id": to_org_id, "scope": "elsewhere", "grounds": "employer_change",
            **extra}


def event_counts(engine, aggregate_id) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(events.c.event_type, func.count()).where(
            events.c.aggregate_id == aggregate_id).group_by(events.c.event_type)).all())


def transfer_state(engine, transfer_id):
    with engine.connect() as conn:
        return conn.execute(select(transfers.c.state).where(transfers.c.id == transfer_id)).scalar()
