"""The identity service's nameko entrypoints: validate input with the
published contract, run one command (in one unit of work for the account
commands), answer from the read model. Passwords are arguments here and go
nowhere but the hasher."""
from eventlet import tpool
from nameko.extensions import DependencyProvider

from shared.contracts import identity as contract
from shared.nameko_adapter import CallContext, EventSourcing, domain_rpc
from shared.rpc_io import identifier as _id, out as _out, valid as _valid

from . import commands, credentials, projections, queries, tables

# argon2 in a real thread, so a sign-in does not stop the process's other work
credentials.offload = tpool.execute


class IdentitySettings(DependencyProvider):
    """The config keys of commands.Settings (REFRESH_TOKEN_SECONDS, SIGNIN_*)."""

    def setup(self):
        self.settings = commands.Settings.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.settings


class IdentityService:
    name = "identity"
    kernel = EventSourcing("identity", read_models=projections.READ_MODELS, metadatas=[tables.metadata])
    ctx = CallContext()
    settings = IdentitySettings()

    @domain_rpc
    def ping(self):
        return "pong"

    def _read(self):
        return self.kernel.db.connect()

    # ---- sessions -----------------------------------------------------------
    @domain_rpc
    def sign_in(self, username, password, client_address=None):
        fields = _valid(contract.SignInIn, {"username": username, "password": password,
                                            "client_address": client_address})
        return _out(contract.SessionOut, commands.sign_in(self.kernel.db, self.settings, **fields))

    @domain_rpc
    def refresh(self, refresh_token):
        fields = _valid(contract.RefreshIn, {"refresh_token": refresh_token})
        return _out(contract.SessionOut, commands.refresh(self.kernel.db, self.settings, **fields))

    @domain_rpc
    def logout(self, refresh_token):
        fields = _valid(contract.LogoutIn, {"refresh_token": refresh_token})
        return _out(contract.LogoutOut, commands.logout(self.kernel.db, **fields))

    # ---- accounts -----------------------------------------------------------
    @domain_rpc
    def get_account(self, username):
        with self._read() as conn:
            return _out(contract.SignInAccountOut, queries.get_account(conn, _id(username, "username")))

    @domain_rpc
    def list_accounts(self, limit=50, offset=0, org_id=None):
        params = _valid(contract.AccountListIn, {"limit": limit, "offset": offset, "org_id": org_id})
        with self._read() as conn:
            return _out(contract.AccountPageOut, queries.list_accounts(conn, **params))

    @domain_rpc
    def create_account(self, data):
        fields = _valid(contract.CreateAccountIn, data)
        # Once per idempotency key; the request's digest is keyed with the
        # service's secret (idempotency.py), so the password in it cannot be guessed from it.
        self.kernel.once("identity.create_account", data,
                         lambda uow: commands.create_account(uow, **fields))
        with self.kernel.db.connect() as conn:
            return _out(contract.SignInAccountOut, queries.get_account(conn, fields["username"]))

    def _account_command(self, command, username, schema_cls, data):
        username = _id(username, "username")
        fields = _valid(schema_cls, data)
        with self.kernel.unit_of_work() as uow:
            command(uow, username, **fields)
            return _out(contract.SignInAccountOut, queries.get_account(uow.conn, username))

    @domain_rpc
    def grant_role(self, username, data):
        return self._account_command(commands.grant_role, username, contract.RoleIn, data)

    @domain_rpc
    def revoke_role(self, username, data):
        return self._account_command(commands.revoke_role, username, contract.RoleIn, data)

    @domain_rpc
    def change_password(self, username, data):
        return self._account_command(commands.change_password, username, contract.ChangePasswordIn, data)

    @domain_rpc
    def disable_account(self, username, data):
        return self._account_command(commands.disable_account, username, contract.DisableAccountIn, data)
