"""Sign-in, the caller's own account (``/me``), and accounts with their
roles (identity service). A mixin of ``GatewayService``.

The identity service checks passwords and keeps refresh tokens; the gateway
signs the short-lived access token from the account it answers with, so
every other request is checked without a call (``auth.py``, ``policy.py``).
"""
from nameko.rpc import RpcProxy

from shared.access import ROLE_LABELS, Principal
from shared.contracts import identity as c
from shared.errors import NotFound

from .http import V1, api
from .responses import is_unavailable

ACCOUNT = V1 + "/accounts/<username>"

TOKEN_EXAMPLE = {"username": "secretary-demo", "password": "ejia-demo"}
CREATE_EXAMPLE = {"username": "wang.fang", "display_name": "王芳", "password": "a long passphrase",
                  "kind": "staff", "roles": [{"role": "org_admin", "org_id": "0b6e8f3c-5d1a-4c2e-9f7a-2a4b6c8d0e1f"}]}
ROLE_EXAMPLE = {"role": "org_admin", "org_id": "0b6e8f3c-5d1a-4c2e-9f7a-2a4b6c8d0e1f"}
SIGN_IN_NOTE = ("A wrong password and an unknown username get the same 401. Repeated failures for one "
                "username or from one address are throttled: 429 with Retry-After.")
ME_NOTE = ("Any signed-in account. For an account bound to a member: their record (personal data shown, "
           "it is their own), stage and next pipeline deadline, dues status and open transfer, fetched "
           "in parallel (the dues status is kept between changes of the account: dues_status.py); a part "
           "whose service does not answer is null and named in `unavailable`.")


def _session(auth, session: dict) -> dict:
    """The token answer for an identity session: a new access token and the refresh token."""
    return {**auth.issue(Principal.from_account(session["account"])), "refresh_token": session["refresh_token"]}


class IdentityApi:
    identity = RpcProxy("identity")

    # -- sign-in -----------------------------------------------------------
    @api("POST", V1 + "/auth/token", tag="auth", summary="Sign in: a bearer access token and a refresh token",
         description=SIGN_IN_NOTE, body=c.TokenIn, response=c.TokenOut, example=TOKEN_EXAMPLE,
         errors=(401, 429))
    def sign_in(self, data, request):
        return _session(self.auth, self.identity.sign_in(data["username"], data["password"],
                                                         client_address(request)))

    @api("POST", V1 + "/auth/refresh", tag="auth", body=c.RefreshIn, response=c.TokenOut, errors=(401,),
         summary="Trade a refresh token for new tokens (each refresh token works once; a replay ends the session)")
    def refresh(self, data):
        return _session(self.auth, self.identity.refresh(data["refresh_token"]))

    @api("POST", V1 + "/auth/logout", tag="auth", body=c.LogoutIn, response=c.LogoutOut,
         summary="Sign out: the refresh token and every token renewed from it stop working")
    def logout(self, data):
        return self.identity.logout(data["refresh_token"])

    # -- the caller's own account -------------------------------------------
    @api("GET", V1 + "/me", tag="auth", summary="Who I am: account, roles, and my member record",
         description=ME_NOTE, response=c.WhoAmIOut)
    def me(self, caller):
        answer = {"account": {"username": caller.subject, "display_name": caller.display_name},
                  "roles": [{**grant.to_dict(), "label": ROLE_LABELS[grant.role]} for grant in caller.grants],
                  "member": None, "unavailable": []}
        if caller.member_id:
            mid = caller.member_id
            record = self.members.me.call_async(mid)
            statement = self.dues_status.get(mid)
            if statement is None:
                version = self.dues_status.version(mid)
                statement = _part(self.dues.status.call_async(mid), "dues", answer["unavailable"], absent_ok=True)
                if statement is not None:
                    self.dues_status.put(mid, statement, version)
            me = _part(record, "members", answer["unavailable"])
            if me is not None:
                answer["member"] = {**me["member"], "next_deadline": me["next_deadline"],
                                    "open_transfer": me["open_transfer"],
                                    "dues": statement}
        return answer

    @api("POST", V1 + "/me/password", tag="auth", body=c.OwnPasswordIn, response=c.SignInAccountOut, errors=(429,),
         summary="Change my password (the current one is asked again)")
    def change_own_password(self, data, caller, request):
        check = self.identity.sign_in(caller.subject, data["current_password"], client_address(request))
        self.identity.logout(check["refresh_token"])
        return self.identity.change_password(caller.subject, {"new_password": data["new_password"]})

    # -- accounts and roles ------------------------------------------------
    @api("GET", V1 + "/accounts", tag="accounts", query=c.AccountListIn, response=c.AccountPageOut,
         summary="Accounts, a page at a time (org_id: those holding a role there)")
    def list_accounts(self, limit, offset, org_id=None):
        return self.identity.list_accounts(limit=limit, offset=offset, org_id=org_id)

    @api("POST", V1 + "/accounts", tag="accounts", status=201, body=c.CreateAccountIn, response=c.SignInAccountOut,
         example=CREATE_EXAMPLE, summary="Create an account (roles only within your own scope)")
    def create_account(self, data):
        return self.identity.create_account(data)

    @api("GET", ACCOUNT, tag="accounts", response=c.SignInAccountOut, summary="Get an account")
    def get_account(self, username):
        return self.identity.get_account(username)

    @api("POST", ACCOUNT + "/roles", tag="accounts", body=c.RoleIn, response=c.SignInAccountOut, example=ROLE_EXAMPLE,
         summary="Grant a role (on an organisation within your own scope)")
    def grant_role(self, username, data):
        return self.identity.grant_role(username, data)

    @api("POST", ACCOUNT + "/roles/revoke", tag="accounts", body=c.RoleIn, response=c.SignInAccountOut,
         example=ROLE_EXAMPLE, summary="Revoke a role (on an organisation within your own scope)")
    def revoke_role(self, username, data):
        return self.identity.revoke_role(username, data)

    @api("POST", ACCOUNT + "/disable", tag="accounts", body=c.DisableAccountIn, response=c.SignInAccountOut,
         summary="Disable an account: it can no longer sign in or refresh")
    def disable_account(self, username, data):
        return self.identity.disable_account(username, data)


def client_address(request) -> str | None:
    """The address the throttle counts failures for: the peer's (a proxy in
    front of the gateway must be the one to set it)."""
    return (request.remote_addr or "")[:100] or None


def _part(reply, service: str, unavailable: list, absent_ok: bool = False):
    """One part of a composed read: its value, or None (named in
    ``unavailable``) when its service cannot answer; a domain error is still
    an error, except NotFound where ``absent_ok`` (an applicant has no dues
    account yet)."""
    try:
        return reply.result()
    except NotFound:
        if absent_ok:
            return None
        raise
    except Exception as exc:
        if is_unavailable(exc):
            unavailable.append(service)
            return None
        raise
