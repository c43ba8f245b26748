"""The account aggregate's rules, without I/O."""
import pytest

from services.identity.domain import Account
from shared.errors import Conflict, InvalidInput, NotFound


def staff(**kwargs):
    return Account.create("a-1", **{"username": "li.ming", "display_name": "Li Ming", "kind": "staff", **kwargs})


def events(account):
    return [(e.event_type, e.payload) for e in account.pending_events]


def test_a_staff_account_records_its_creation_and_roles():
    account = staff(roles=[{"role": "district_admin", "org_id": None}])
    assert events(account) == [
        ("identity.account_created", {"username": "li.ming", "display_name": "Li Ming", "kind": "staff",
                                      "member_id": None}),
        ("identity.role_granted", {"role": "district_admin", "org_id": None})]
    assert account.grants == [("district_admin", None)]


def test_a_member_account_gets_the_member_role_in_the_same_command():
    account = Account.create("a-2", username="m_0001", display_name="Zhao Lei", kind="member", member_id="m-1")
    assert [t for t, _ in events(account)] == ["identity.account_created", "identity.role_granted"]
    assert account.grants == [("member", None)]


@pytest.mark.parametrize("username", ["ab", "Li.Ming", "li ming", "李明", "x" * 65, "a/b", ""])
def test_usernames_are_3_to_64_lowercase_characters(username):
    with pytest.raises(InvalidInput) as err:
        staff(username=username)
    assert "username" in err.value.fields


@pytest.mark.parametrize("kwargs, field", [
    ({"kind": "member"}, "member_id"),
    ({"kind": "staff", "member_id": "m-1"}, "member_id"),
    ({"kind": "robot"}, "kind"),
    ({"display_name": "  "}, "display_name"),
    ({"roles": [{"role": "org_admin", "org_id": None}]}, "org_id"),
    ({"roles": [{"role": "district_admin", "org_id": "org-1"}]}, "org_id"),
    ({"roles": [{"role": "integration", "org_id": "org-1"}]}, "org_id"),
    ({"roles": [{"role": "root", "org_id": None}]}, "role"),
    ({"roles": [{"role": "member", "org_id": None}]}, "role"),  # a staff account is no member
])
def test_bad_accounts_are_refused_naming_the_field(kwargs, field):
    with pytest.raises(InvalidInput) as err:
        staff(**kwargs)
    assert field in err.value.fields


def test_an_auditor_may_or_may_not_name_an_organisation():
    account = staff(roles=[{"role": "auditor", "org_id": None}, {"role": "auditor", "org_id": "org-1"}])
    assert account.grants == [("auditor", None), ("auditor", "org-1")]


def test_granting_a_held_role_is_a_no_op_and_revoking_an_unheld_one_is_not_found():
    account = staff(roles=[{"role": "org_admin", "org_id": "org-1"}])
    account.mark_saved(2)
    account.grant_role("org_admin", "org-1")
    assert events(account) == []
    with pytest.raises(NotFound) as err:
        account.revoke_role("org_admin", "org-2")
    assert err.value.fields == {"role": "org_admin", "org_id": "org-2"}
    account.revoke_role("org_admin", "org-1")
    assert events(account) == [("identity.role_revoked", {"role": "org_admin", "org_id": "org-1"})]
    assert account.grants == []


def test_a_password_change_records_nothing_about_the_password():
    account = staff()
    account.mark_saved(1)
    account.change_password()
    assert events(account) == [("identity.password_changed", {})]


def test_a_disabled_account_cannot_change_and_disabling_twice_is_a_no_op():
    account = staff()
    account.mark_saved(1)
    with pytest.raises(InvalidInput):
        account.disable(" ")
    account.disable("left the district")
    account.disable("again")
    assert events(account) == [("identity.account_disabled", {"reason": "left the district"})]
    for change in (lambda: account.grant_role("auditor"), lambda: account.change_password()):
        with pytest.raises(Conflict):
            change()
