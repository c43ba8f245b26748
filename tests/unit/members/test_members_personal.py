"""Personal data private for real: the vault (envelope encryption, the keyed
hash of ID numbers), who sees what (decided from the verified principal and
the member's lineage), erasure, the member's history and their own summary."""
import base64
import datetime as dt
import os

import pytest
from sqlalchemy import select

from members_builders import TIMELINE, TODAY, make_id_number
from services.members import commands, personal, queries
from services.members.transfers import commands as transfer_commands
from services.members.vault import Vault, VaultError, VaultMisconfigured, new_master_key
from shared import codec
from shared.access import AUDITOR, DISTRICT_ADMIN, MEMBER, ORG_ADMIN, Grant, Principal
from shared.errors import Conflict, NotFound
from shared.tables import events, outbox
from test_members_commands import org_event
from stage_history import history

D = dt.date
PHONE = "13812345678"


@pytest.fixture
def vault():
    return Vault(os.urandom(32))


@pytest.fixture
def tree(db):
    from services.members import org_replica
    from shared.inbox import Inbox
    box = Inbox(db)
    for envelope in (org_event("orgs.org_created", "district-1", 1, name="District", parent_id=None),
                     org_event("orgs.org_created", "committee-1", 1, parent_id="district-1"),
                     org_event("orgs.org_created", "committee-2", 1, name="Other Committee", parent_id="district-1"),
                     org_event("orgs.branch_founded", "branch-1", 1),
                     org_event("orgs.branch_founded", "branch-2", 1, name="Sibling Branch"),
                     org_event("orgs.branch_founded", "branch-3", 1, name="Far Branch", parent_id="committee-2"),
                     org_event("orgs.org_created", "group-1", 1, name="Lab Group", kind="group",
                               parent_id="branch-1")):
        box.handle(f"members.on_{envelope.event_type.split('.')[1]}", envelope, org_replica.apply_org_event)


def registration(seq="123", stage="applicant", org_id="branch-1", phone=PHONE, **fields):
    data = {"name": f"Person {seq}", "gender": "male", "birth_date": D(1995, 5, 4), "ethnicity": "Han",
            "education": "Master", "employer": "Nano Tech Co.", "id_number": make_id_number(seq=seq),
            "phone": phone, "org_id": org_id, "stage": stage}
    if stage == "applicant":
        data["applied_on"] = TIMELINE["applied_on"]
    else:
        data.update(history("full", full_on=D(2016, 7, 1)))
    return {**data, **fields}


@pytest.fixture
def register(uow, vault, tree):
    def register(**fields):
        with uow() as u:
            return commands.register_member(u, today=TODAY, vault=vault, **registration(**fields))
    return register


@pytest.fixture
def read(db, vault):
    def read(member_id, principal=None):
        with db.connect() as conn:
            return queries.get_member(conn, member_id, principal, vault=vault)
    return read


def admin_of(org_id):
    return Principal(f"admin-{org_id}", (Grant(ORG_ADMIN, org_id),))


DISTRICT = Principal("district", (Grant(DISTRICT_ADMIN),))


# ---- the vault -------------------------------------------------------------------------

def test_the_vault_round_trips_and_binds_each_ciphertext_to_its_member_and_field(vault):
    key = vault.new_data_key()
    wrapped = vault.wrap("m-1", key)
    assert key not in wrapped and vault.unwrap("m-1", wrapped) == key
    blob = vault.encrypt(key, "m-1", "id_number", make_id_number())
    assert make_id_number().encode() not in blob and vault.decrypt(key, "m-1", "id_number", blob) == make_id_number()
    assert vault.encrypt(key, "m-1", "phone", PHONE) != vault.encrypt(key, "m-1", "phone", PHONE)  # fresh nonces
    with pytest.raises(VaultError):
        vault.unwrap("m-2", wrapped)  # a wrapped key moved to another member
    with pytest.raises(VaultError):
        vault.decrypt(key, "m-1", "phone", blob)  # moved to another field
    with pytest.raises(VaultError):
        vault.decrypt(key, "m-2", "id_number", blob)
    with pytest.raises(VaultError) as wrong:
        Vault(os.urandom(32)).unwrap("m-1", wrapped)  # another master key
    assert key.hex() not in str(wrong.value)
    with pytest.raises(VaultError):
        vault.decrypt(vault.new_data_key(), "m-1", "id_number", blob)


def test_per_member_keys_differ_and_the_id_number_index_is_stable_and_keyed(vault):
    assert vault.new_data_key() != vault.new_data_key()
    master = os.urandom(32)
    same, other = Vault(master), Vault(os.urandom(32))
    index = same.id_number_index(make_id_number())
    assert index == Vault(master).id_number_index(make_id_number()) and len(index) == 64
    assert index != other.id_number_index(make_id_number())
    assert index != same.id_number_index(make_id_number(seq="124"))
    assert make_id_number() not in index


def test_a_master_key_is_32_bytes_of_urlsafe_base64():
    assert Vault.from_config({"MASTER_KEY": new_master_key()})
    for bad in (None, "", "not base64 !!", base64.urlsafe_b64encode(os.urandom(16)).decode()):
        with pytest.raises(VaultMisconfigured) as refused:
            Vault.from_config({"MASTER_KEY": bad})
        assert "MASTER_KEY" in str(refused.value)
    with pytest.raises(VaultMisconfigured):
        Vault.from_config({})


def test_the_service_refuses_to_start_without_a_valid_master_key():
    from unittest import mock

    from services.members.service import PersonalDataVault
    provider = PersonalDataVault()
    provider.container = mock.Mock(config={})
    with pytest.raises(VaultMisconfigured) as refused:
        provider.setup()
    assert "members service not started" in str(refused.value) and "MASTER_KEY" in str(refused.value)
    provider.container = mock.Mock(config={"MASTER_KEY": new_master_key()})
    provider.setup()
    assert isinstance(provider.get_dependency(None), Vault)


def test_nothing_plain_is_stored_and_the_wrong_master_key_reads_nothing(db, register, vault):
    member_id = register()
    with db.connect() as conn:
        secrets = conn.execute(select(personal.member_secrets)).one()
        wrapped = conn.execute(select(personal.member_keys.c.wrapped_key)).scalar_one()
        bodies = [r.payload for r in conn.execute(select(events.c.payload))] + \
            [r.body for r in conn.execute(select(outbox.c.body))]
        assert personal.personal_data_of(conn, member_id, vault=vault) == {"id_number": make_id_number(),
                                                                          "phone": PHONE}
        with pytest.raises(VaultError):
            personal.personal_data_of(conn, member_id, vault=Vault(os.urandom(32)))
    plain = (make_id_number().encode(), PHONE.encode())
    assert not any(p in bytes(value) for p in plain for value in (secrets.id_number, secrets.phone, wrapped))
    assert secrets.id_number_hmac == vault.id_number_index(make_id_number())
    assert not any(make_id_number() in b or PHONE in b for b in bodies)


def test_the_duplicate_id_number_conflict_names_no_one(register):
    first = register()
    with pytest.raises(Conflict) as duplicate:
        register(name="Someone Else", phone="13900000000")
    assert duplicate.value.message == "this ID number is already registered"
    assert duplicate.value.fields == {"id_number": "already registered"}
    assert first not in repr(duplicate.value) and make_id_number() not in repr(duplicate.value)


# ---- who sees it -------------------------------------------------------------------------

@pytest.mark.parametrize("who, revealed", [
    (Principal("li", (Grant(MEMBER),), member_id="SELF"), True),
    (admin_of("branch-1"), True),
    (admin_of("committee-1"), True),
    (admin_of("district-1"), True),
    (DISTRICT, True),
    (admin_of("branch-2"), False),
    (admin_of("committee-2"), False),
    (admin_of("group-1"), False),
    (Principal("audit", (Grant(AUDITOR),)), False),
    (Principal("audit-b", (Grant(AUDITOR, "branch-1"),)), False),
    (Principal("other", (Grant(MEMBER),), member_id="someone-else"), False),
    (Principal("no-role", (), member_id="SELF"), False),
    (None, False),
])
def test_personal_data_is_shown_only_to_those_who_may_see_it(register, read, who, revealed):
    member_id = register(group_id="group-1")
    if who is not None and who.member_id == "SELF":
        who = Principal(who.subject, who.grants, member_id=member_id)
    member = read(member_id, who)
    assert member["personal_revealed"] is revealed and member["personal_data_erased"] is False
    if revealed:
        assert (member["id_number"], member["phone"], member["birth_date"]) == (make_id_number(), PHONE, D(1995, 5, 4))
    else:
        assert (member["id_number"], member["phone"], member["birth_date"]) == \
            ("3205**********" + make_id_number()[-4:], "138****5678", None)


def test_a_list_shows_nobodys_personal_data_and_decrypts_nothing(db, register, vault):
    """Whoever asks, a row carries no ID number, phone or birth date, masked or
    not (MemberRowOut's docstring says why): the page is read without the
    caller's principal, and never from the personal data tables; the full
    record still shows them by the caller's scope, member by member."""
    mine = register(seq="123")
    register(seq="124", phone="13900001111")
    with db.connect() as conn:
        rows = queries.list_members(conn, "branch-1", None, None, 50, 0)["items"]
        assert queries.get_member(conn, mine, admin_of("committee-1"), vault=vault)["phone"] == PHONE
        assert queries.get_member(conn, mine, admin_of("branch-2"), vault=vault)["phone"] == "138****5678"
    assert len(rows) == 2
    assert not any({"id_number", "phone", "birth_date", "personal_revealed"} & set(row) for row in rows)
    assert not any(PHONE in str(row) or make_id_number(seq="123") in str(row) for row in rows)
    for page, count in queries._LIST.values():  # every filter's statements
        sql = str(page) + str(count)
        assert personal.member_secrets.name not in sql and personal.member_keys.name not in sql


def test_lineage_walks_up_known_orgs(db, tree):
    with db.connect() as conn:
        assert queries.lineage(conn, "group-1") == ("group-1", "branch-1", "committee-1", "district-1")
        assert queries.lineage(conn, "unknown") == ("unknown",)
        assert queries.lineage(conn, None) == ()


# ---- erasure ---------------------------------------------------------------------------------

def test_erasure_makes_the_data_unrecoverable_and_keeps_the_earlier_events(db, uow, register, read, vault):
    member_id = register()
    with uow() as u:
        commands.update_member(u, member_id, today=TODAY, phone="13987654321", vault=vault)
    with db.connect() as conn:
        before = conn.execute(select(events).where(events.c.aggregate_id == member_id)
                              .order_by(events.c.aggregate_version)).all()
    with uow() as u:
        commands.erase_personal_data(u, member_id, today=TODAY, reason="asked to be forgotten")
    with db.connect() as conn:
        after = conn.execute(select(events).where(events.c.aggregate_id == member_id)
                             .order_by(events.c.aggregate_version)).all()
        assert conn.execute(select(personal.member_keys)).all() == []
        secrets = conn.execute(select(personal.member_secrets)).one()
        assert personal.personal_data_of(conn, member_id, vault=vault) == {}
    assert after[:len(before)] == before
    erased = after[-1]
    assert erased.event_type == "members.personal_data_erased"
    assert codec.loads(erased.payload)["reason"] == "asked to be forgotten"
    assert (secrets.id_number, secrets.phone, secrets.id_number_hmac, secrets.erased_on) == (None, None, None, TODAY)
    shown = read(member_id, DISTRICT)
    assert (shown["id_number"], shown["phone"], shown["birth_date"], shown["personal_data_erased"],
            shown["version"]) == (None, None, D(1995, 5, 4), True, 3)
    masked = read(member_id)
    assert (masked["id_number"], masked["phone"], masked["birth_date"], masked["personal_data_erased"]) == \
        (None, None, None, True)

    with pytest.raises(Conflict) as twice:
        with uow() as u:
            commands.erase_personal_data(u, member_id, today=TODAY, reason="again")
    assert "erased already" in twice.value.message
    with pytest.raises(Conflict):  # not entered again
        with uow() as u:
            commands.update_member(u, member_id, today=TODAY, phone="13900000000", vault=vault)
    with uow() as u:  # other profile fields still change
        assert commands.update_member(u, member_id, today=TODAY, employer="Bio Co.", vault=vault) == ["employer"]
    again = register(name="Same Person, New Record")  # the ID number may be registered again
    assert read(again, DISTRICT)["id_number"] == make_id_number()
    with pytest.raises(NotFound):
        with uow() as u:
            commands.erase_personal_data(u, "nobody", today=TODAY, reason="x")


# ---- history and the member's own summary -----------------------------------------------------

def test_member_history_pages_the_members_own_stream_oldest_first(db, store, uow, register, vault):
    member_id = register()
    with uow() as u:
        commands.pipeline_step(u, member_id, "record-talk", today=TODAY, talked_on=D(2022, 1, 20), talked_by="Wang")
    with uow() as u:
        commands.update_member(u, member_id, today=TODAY, phone="13987654321", vault=vault)
    with db.connect() as conn:
        full = queries.member_history(conn, store, member_id, 50, 0, DISTRICT)
        second = queries.member_history(conn, store, member_id, 1, 1)
        with pytest.raises(NotFound):
            queries.member_history(conn, store, "nobody", 50, 0)
    assert [e["event_type"] for e in full["items"]] == ["members.member_registered", "members.talk_recorded",
                                                        "members.profile_updated"]
    assert [e["aggregate_version"] for e in full["items"]] == [1, 2, 3] and full["total"] == 3
    assert {"event_id", "occurred_at", "actor", "payload", "aggregate_type"} <= set(full["items"][0])
    assert full["items"][0]["payload"]["birth_date"] == "1995-05-04"
    assert (second["total"], second["limit"], second["offset"]) == (3, 1, 1)
    assert [e["event_type"] for e in second["items"]] == ["members.talk_recorded"]
    with db.connect() as conn:
        masked = queries.member_history(conn, store, member_id, 50, 0, admin_of("branch-2"))
    assert masked["items"][0]["payload"]["birth_date"] is None
    assert "13987654321" not in str(full) and make_id_number() not in str(full)


def test_me_is_the_record_the_next_deadline_and_the_open_transfer_in_one_call(db, store, uow, register, vault):
    applicant = register(seq="123")
    full = register(seq="124", stage="full")
    with db.connect() as conn:
        mine = queries.me(conn, store, applicant, TODAY, Principal("li", (Grant(MEMBER),), member_id=applicant),
                          vault=vault)
        quiet = queries.me(conn, store, full, TODAY, vault=vault)
    assert mine["member"]["personal_revealed"] is True and mine["member"]["id_number"] == make_id_number()
    assert mine["next_deadline"] == {"kind": "talk", "due_on": D(2022, 2, 10)}
    assert mine["open_transfer"] is None
    assert quiet["member"]["personal_revealed"] is False and quiet["next_deadline"] is None

    with uow() as u:
        transfer_id = transfer_commands.request_transfer(u, today=TODAY, member_id=full, to_org_id="branch-3",
                                                         scope="elsewhere", grounds="employer_change")
    with db.connect() as conn:
        moving = queries.me(conn, store, full, TODAY, vault=vault)
    assert moving["open_transfer"]["id"] == transfer_id and moving["open_transfer"]["final"] is False
    assert moving["open_transfer"]["timeline"][0]["event_type"] == "transfers.requested"
    with uow() as u:
        transfer_commands.transfer_step(u, transfer_id, "withdraw", today=TODAY, reason="staying")
    with db.connect() as conn:
        assert queries.me(conn, store, full, TODAY, vault=vault)["open_transfer"] is None
        with pytest.raises(NotFound):
            queries.me(conn, store, "nobody", TODAY, vault=vault)


def test_the_contract_dumps_me_and_a_members_history():
    from shared.contracts.members import MeOut, MemberOut
    from shared.contracts.orgs import EventPageOut
    assert MemberOut().fields["birth_date"].allow_none and "personal_data_erased" in MemberOut().fields
    dumped = MeOut().dump({"member": {"id": "m-1", "birth_date": None, "personal_data_erased": True},
                           "next_deadline": {"kind": "talk", "due_on": D(2027, 1, 4)}, "open_transfer": None})
    assert dumped["next_deadline"] == {"kind": "talk", "due_on": "2027-01-04"} and dumped["open_transfer"] is None
    assert EventPageOut().dump({"items": [], "total": 0, "limit": 50, "offset": 0})["total"] == 0
