"""The identity contract: unknown fields refused, passwords never dumped."""
import pytest
from marshmallow import ValidationError

from shared.contracts import identity as contract
from shared.rpc_io import out, valid
from shared.errors import InvalidInput

ACCOUNT = {"username": "li.ming", "display_name": " Li Ming ", "password": "correct horse battery", "kind": "staff"}


@pytest.mark.parametrize("schema, data", [
    (contract.CreateAccountIn, {**ACCOUNT, "is_admin": True}),
    (contract.RoleIn, {"role": "auditor", "scope": "all"}),
    (contract.TokenIn, {"username": "li.ming", "password": "x", "grant_type": "password"}),
    (contract.RefreshIn, {"refresh_token": "t", "username": "li.ming"}),
    (contract.LogoutIn, {"refresh_token": "t", "all": True}),
    (contract.ChangePasswordIn, {"new_password": "long enough", "old": "x"}),
    (contract.DisableAccountIn, {"reason": "left", "when": "now"}),
    (contract.OwnPasswordIn, {"current_password": "x", "new_password": "long enough", "x": 1}),
    (contract.AccountListIn, {"limit": 5, "role": "member"}),
])
def test_unknown_fields_are_refused(schema, data):
    with pytest.raises(ValidationError):
        schema().load(data)


def test_create_account_defaults_and_trims():
    loaded = contract.CreateAccountIn().load(ACCOUNT)
    assert loaded == {**ACCOUNT, "display_name": "Li Ming", "member_id": None, "roles": []}


@pytest.mark.parametrize("field, value", [("username", "Li Ming"), ("password", "short"), ("kind", "robot"),
                                          ("password", "x" * 129)])
def test_bad_fields_are_named_without_echoing_the_value(field, value):
    with pytest.raises(InvalidInput) as err:
        valid(contract.CreateAccountIn, {**ACCOUNT, field: value})
    assert list(err.value.fields) == [field] and value not in str(err.value.args)


def test_answers_never_carry_a_password():
    account = {"id": "a-1", "username": "li.ming", "display_name": "Li Ming", "kind": "staff", "member_id": None,
               "roles": [{"role": "auditor", "org_id": None}], "disabled": False, "version": 2,
               "created_at": "2024-03-01T09:00:00+00:00", "password": "x", "password_hash": "$argon2id$"}
    assert set(out(contract.SignInAccountOut, account)) == {"id", "username", "display_name", "kind", "member_id",
                                                       "roles", "disabled", "version", "created_at"}
    assert out(contract.TokenOut, {"access_token": "a", "token_type": "Bearer", "expires_in": 900,
                                   "refresh_token": "r"})["token_type"] == "Bearer"
    page = out(contract.AccountPageOut, {"items": [account], "total": 1, "limit": 50, "offset": 0})
    assert "password_hash" not in page["items"][0]
