"""Search within the caller's scope (issue 14, item 6): by any part of a
name, by exact ID number and by phone (only where the caller may see that
member's personal data), and nothing outside the scope."""
import pytest

from members_builders import BIRTH, make_id_number, register_handled
from services.members import personal, queries
from shared.access import AUDITOR, DISTRICT_ADMIN, MEMBER, ORG_ADMIN, Grant, Principal

DISTRICT = Principal("admin", (Grant(DISTRICT_ADMIN),))
LAKE = Principal("lake-secretary", (Grant(ORG_ADMIN, "committee-1"),))
HILL = Principal("hill-secretary", (Grant(ORG_ADMIN, "branch-3"),))
LAKE_AUDITOR = Principal("lake-auditor", (Grant(AUDITOR, "committee-1"),))


@pytest.fixture
def vault():
    """The vault the command handlers use when none is given (tests only)."""
    return personal.throwaway_vault()


@pytest.fixture
def people(db, run, district):
    """王晓明 in branch-1 (under the general branch), 王明 in branch-3 of the other committee."""
    ids = {"王晓明": register_handled(run, "701", "branch-1", name="王晓明", phone="13911112222"),
           "王明": register_handled(run, "702", "branch-3", name="王明", phone="+86 139-1111-3333")}
    return ids


def search(read, principal, q, vault, **params):
    return read(queries.search_members, principal, q, params.pop("limit", 50), params.pop("offset", 0),
                vault=vault, **params)


def found(read, principal, q, vault, **params):
    return sorted(row["name"] for row in search(read, principal, q, vault, **params)["items"])


def test_a_name_is_found_by_any_part_within_the_callers_scope(read, people, vault):
    assert found(read, DISTRICT, "王", vault) == ["王明", "王晓明"]
    assert found(read, DISTRICT, "晓明", vault) == ["王晓明"]
    assert found(read, LAKE, "王", vault) == ["王晓明"], "nothing of the other committee"
    assert found(read, HILL, "王", vault) == ["王明"]
    assert found(read, LAKE_AUDITOR, "王", vault) == ["王晓明"]
    assert found(read, DISTRICT, "王", vault, org_id="branch-3") == ["王明"]


def test_an_id_number_finds_the_member_only_for_a_caller_who_may_see_it(read, people, vault):
    id_number = make_id_number(BIRTH, "701")
    assert found(read, DISTRICT, id_number, vault) == ["王晓明"]
    assert found(read, LAKE, id_number.lower(), vault) == ["王晓明"]
    assert found(read, HILL, id_number, vault) == [], "outside the caller's scope"
    assert found(read, LAKE_AUDITOR, id_number, vault) == [], "an auditor never sees personal data"
    row = search(read, DISTRICT, id_number, vault)["items"][0]
    assert id_number not in str(row) and "id_number" not in row, "a row shows no personal data"


def test_a_phone_finds_the_member_however_it_is_written(read, people, vault):
    assert found(read, DISTRICT, "13911113333", vault) == ["王明"]
    assert found(read, HILL, "+8613911113333", vault) == ["王明"]
    assert found(read, LAKE, "13911113333", vault) == []
    assert found(read, DISTRICT, "13911112222", vault) == ["王晓明"]


def test_nobody_without_a_staff_scope_finds_anyone(read, people, vault):
    member = Principal("m", (Grant(MEMBER),), member_id=people["王晓明"])
    assert search(read, member, "王", vault)["total"] == 0
    assert search(read, None, "王", vault)["total"] == 0


def test_search_pages_with_the_total(read, people, vault):
    first = search(read, DISTRICT, "Member", vault, limit=4)
    rest = search(read, DISTRICT, "Member", vault, limit=4, offset=4)
    assert first["total"] == rest["total"] == 11 and len(first["items"]) == 4
    names = [row["name"] for row in first["items"] + rest["items"]]
    assert names == sorted(names)


def test_a_phone_index_is_filled_in_for_members_registered_before_it(db, read, people, vault):
    with db.begin() as conn:
        conn.execute(personal.member_phone_index.delete())
    assert found(read, DISTRICT, "13911113333", vault) == []
    with db.begin() as conn:
        assert personal.index_phones(conn, vault, batch=5) == 5
    with db.begin() as conn:
        while personal.index_phones(conn, vault):
            pass
    assert found(read, DISTRICT, "13911113333", vault) == ["王明"]
