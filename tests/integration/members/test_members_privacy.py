"""Personal data private for real, on PostgreSQL with the members service in
a real nameko container: who sees it is decided from the caller's signed
access token (forwarded in the RPC context), never from what the caller
asks; no plain ID number or phone in any table, event, outbox row or log
line; erasure; the member's history and own summary."""
import datetime as dt
import logging

import pytest
from sqlalchemy import text

from members_it_helpers import wait_for
from services.members.service import MembersService
from services.members.vault import VaultMisconfigured
from shared.access import AUDITOR, DISTRICT_ADMIN, MEMBER, ORG_ADMIN, Grant, Principal
from shared.errors import Conflict
from test_members_service import found_tree, id_number, person

pytestmark = pytest.mark.integration

DISTRICT = Principal("district-admin", (Grant(DISTRICT_ADMIN),))
SCANNED_TYPES = ("text", "character varying", "character", "bytea", "json", "jsonb")


def admin_of(org_id):
    return Principal(f"admin-{org_id}", (Grant(ORG_ADMIN, org_id),))


def scan_database(engine, needles: list[str]) -> list[tuple]:
    """(table, column, needle) for every text, bytea or JSON value of every
    table of the database that contains one of ``needles``."""
    found = []
    with engine.connect() as conn:
        columns = conn.execute(text(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public'")).all()
        assert {"member_secrets", "member_keys", "events", "outbox", "members"} <= {c.table_name for c in columns}
        for table, column, data_type in columns:
            if data_type not in SCANNED_TYPES:
                continue
            for (value,) in conn.execute(text(f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL')):
                raw = bytes(value) if data_type == "bytea" else str(value).encode("utf-8")
                found.extend((table, column, n) for n in needles if n.encode("utf-8") in raw)
    return found


def test_no_plain_id_number_or_phone_anywhere_in_the_database_or_the_logs(orgs, members, members_as, members_db,
                                                                             caplog):
    caplog.set_level(logging.DEBUG)
    _, branch, group = found_tree(orgs, members)
    people = [{**person(f"成员{i}", f"7{i:02d}", applied_on=dt.date(2024, 1, 10)), "org_id": branch["id"],
               "phone": f"1391234{i:04d}"} for i in range(5)]
    admin = members_as(DISTRICT)
    registered = [admin.register_member(p) for p in people]
    assert all(r["personal_revealed"] and r["id_number"] == p["id_number"] for r, p in zip(registered, people))
    new_phone = "13700009999"
    admin.update_member(registered[0]["id"], {"phone": new_phone})
    with pytest.raises(Conflict) as duplicate:
        members.register_member({**people[1], "name": "又一个"})
    assert duplicate.value.message == "this ID number is already registered"
    admin.list_members(branch["id"])
    admin.member_history(registered[0]["id"])
    admin.me(registered[0]["id"])
    admin.erase_personal_data(registered[4]["id"], {"reason": "asked to be forgotten"})

    needles = [p["id_number"] for p in people] + [p["phone"] for p in people] + [new_phone]
    wait_for(lambda: members_db.connect().execute(text(
        "SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar_one() == 0, what="the outbox to drain")
    assert scan_database(members_db, needles) == []
    # Everything logged, at DEBUG, but the replies this test's own RPC client
    # logs at DEBUG (nameko's RpcReply.result, on the caller's side: the
    # answers it was entitled to, not the members service's log).
    service_side = [r for r in caplog.records if not (r.name == "nameko.rpc" and r.msg.startswith("RPC reply"))]
    logged = "\n".join(logging.Formatter("%(name)s %(message)s").format(r) for r in service_side)  # + tracebacks
    assert len(service_side) > 20 and any(r.name.startswith("nameko.containers") for r in service_side)
    assert not [n for n in needles if n in logged]


def test_who_sees_personal_data_is_decided_from_the_verified_token(orgs, members, members_as, members_config):
    root, branch, group = found_tree(orgs, members)
    sibling = orgs.create_org({"name": "Sibling Branch", "kind": "branch", "parent_id": root["id"],
                               "unit": {"name": "Other Co.", "unit_type": "enterprise", "address": None},
                               "full_members": 3})
    body = {**person("张敏", "801", applied_on=dt.date(2024, 1, 10)), "org_id": branch["id"]}
    member = members.register_member(body)
    assert (member["personal_revealed"], member["birth_date"]) == (False, None) and "*" in member["id_number"]
    member_id = member["id"]
    myself = Principal("zhangmin", (Grant(MEMBER),), member_id=member_id)
    forged = Principal("district-admin", (Grant(DISTRICT_ADMIN),))
    cases = [(myself, True), (admin_of(branch["id"]), True), (admin_of(root["id"]), True), (DISTRICT, True),
             (admin_of(sibling["id"]), False), (Principal("audit", (Grant(AUDITOR),)), False)]
    for who, revealed in cases:
        shown = members_as(who).get_member(member_id, reveal_personal=True)
        assert shown["personal_revealed"] is revealed, who
        assert (shown["id_number"] == body["id_number"], shown["birth_date"] is not None) == (revealed, revealed)
    assert members.get_member(member_id, reveal_personal=True)["personal_revealed"] is False
    # a token signed with another secret verifies as nobody
    from nameko.standalone.rpc import ServiceRpcProxy
    from shared.access import issue_access_token
    from shared.nameko_adapter import TOKEN_KEY
    bad = issue_access_token("another-secret-" + "x" * 40, forged)
    with ServiceRpcProxy("members", members_config, context_data={TOKEN_KEY: bad}, timeout=20) as proxy:
        assert proxy.get_member(member_id)["personal_revealed"] is False

    mine = members_as(myself).me(member_id)
    assert mine["member"]["id_number"] == body["id_number"] and mine["open_transfer"] is None
    assert mine["next_deadline"]["kind"] == "talk"
    history = members_as(myself).member_history(member_id)
    assert [e["event_type"] for e in history["items"]] == ["members.member_registered"]
    assert history["items"][0]["payload"]["birth_date"] == body["birth_date"]
    assert members.member_history(member_id)["items"][0]["payload"]["birth_date"] is None

    erased = members_as(DISTRICT).erase_personal_data(member_id, {"reason": "left the party, asked"})
    assert (erased["id_number"], erased["phone"], erased["personal_data_erased"]) == (None, None, True)
    with pytest.raises(Conflict):
        members.erase_personal_data(member_id, {"reason": "again"})
    assert [e["event_type"] for e in members.member_history(member_id)["items"]] == \
        ["members.member_registered", "members.personal_data_erased"]
    again = members.register_member({**body, "name": "张敏 (new record)"})
    assert members_as(DISTRICT).get_member(again["id"])["id_number"] == body["id_number"]
    assert id_number(dt.date(1996, 5, 4), "801") == body["id_number"]


def test_the_service_does_not_start_without_a_master_key(members_config, container_factory):
    config = {k: v for k, v in members_config.items() if k != "MASTER_KEY"}
    with pytest.raises(VaultMisconfigured) as refused:
        container_factory(MembersService, config).start()
    assert "MASTER_KEY" in str(refused.value)
