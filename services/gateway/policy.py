"""Who may call which route: one table, ``POLICY``, with an entry for every
route of the gateway, checked in one place (``authorize``, called by
``http.api`` before any handler runs). A route without an entry, or an entry
without a route, stops the gateway from starting (``check_routes``).

A rule has a kind and, for most kinds, a scope: where in the organisation
tree the request lands.

| kind        | who passes                                                                  |
|-------------|-----------------------------------------------------------------------------|
| public      | anyone, signed in or not                                                    |
| signed_in   | any valid access token                                                      |
| directory   | staff and members (the organisation tree is no secret inside the platform) |
| read        | district_admin; an auditor of the district or of an ancestor; an org_admin of the scope's organisation or an ancestor; the member themself where ``self_service`` |
| write       | district_admin; an org_admin of the scope's organisation or an ancestor; the member themself where ``self_service`` |

The answer is 401 without a valid token, 404 when the record the scope
names does not exist, and 403 when the caller's roles do not cover it.
Scopes are resolved from the gateway's ``ScopeIndex`` (scope.py).
"""
from dataclasses import dataclass, field

from shared.access import MEMBER, STAFF_ROLES, Principal
from shared.errors import Forbidden, InvalidInput, NotFound, Unauthorized

PUBLIC, SIGNED_IN, DIRECTORY, READ, WRITE = "public", "signed_in", "directory", "read", "write"


@dataclass(frozen=True)
class Target:
    """What a request concerns: organisation lineages that must ALL be
    covered (an empty tuple with ``district`` means the whole district), and
    the member it is about, if any."""
    lineages: tuple = ()
    member_id: str | None = None
    district: bool = False


DISTRICT = Target(district=True)


class Request:
    """What a scope may look at: path values, the JSON body, the query, and
    the worker's index and proxies."""

    def __init__(self, path_values: dict, body: dict | None, query: dict, index, orgs, members):
        self.path = path_values
        self.body = body if isinstance(body, dict) else {}
        self.query = query
        self.index, self.orgs, self.members = index, orgs, members

    def value(self, source: str, name: str, required: bool = True):
        where = {"path": self.path, "body": self.body, "query": self.query}[source]
        value = where.get(name)
        if value is None and required:
            raise InvalidInput(f"{name} is required", {name: ["Missing data for required field."]})
        if value is not None and (not isinstance(value, str) or not 1 <= len(value) <= 64):
            raise InvalidInput(f"{name} must be an id", {name: ["Must be a string of 1 to 64 characters."]})
        return value

    def lineage(self, org_id):
        return self.index.lineage(org_id, self.orgs)

    def named(self, source: str, name: str, find):
        """``find()``, with a NotFound about a value from the body or the
        query naming the field it came from."""
        try:
            return find()
        except NotFound as exc:
            if source == "path":
                raise
            raise NotFound(exc.message, {name: exc.message}) from None


# -- scopes: each turns a request into a Target -----------------------------------
@dataclass(frozen=True)
class District:
    def target(self, request):
        return DISTRICT


@dataclass(frozen=True)
class Org:
    """The organisation named by ``name`` (path, body or query); ``parent``:
    its parent's instead (acts that belong to the level above). Without a
    value (``optional``), the district."""
    name: str = "org_id"
    source: str = "path"
    parent: bool = False
    optional: bool = False

    def target(self, request):
        org_id = request.value(self.source, self.name, required=not self.optional)
        if org_id is None:
            return DISTRICT
        lineage = request.named(self.source, self.name, lambda: request.lineage(org_id))
        if self.parent:
            lineage = lineage[1:]
        return Target((lineage,)) if lineage else DISTRICT


@dataclass(frozen=True)
class CallersOwn:
    """A search within the caller's own scope: any staff role passes (the
    service narrows to what the caller covers); an organisation named in the
    query must be covered, as ``Org``."""
    name: str = "org_id"

    def target(self, request):
        if request.value("query", self.name, required=False) is None:
            return Target()
        return Org(self.name, source="query").target(request)


@dataclass(frozen=True)
class ImportJob:
    """The organisation an import job is for."""

    def target(self, request):
        return Target((request.lineage(request.index.import_job_org(request.value("path", "job_id"),
                                                                    request.members)),))


@dataclass(frozen=True)
class Member:
    """The member named by ``name``: their branch (or, with ``parent``, the
    level above their branch, which approves admission and full membership)."""
    name: str = "member_id"
    source: str = "path"
    parent: bool = False

    def names_member(self, request):
        return request.value(self.source, self.name)

    def target(self, request):
        member_id = request.value(self.source, self.name)
        lineage = request.named(self.source, self.name, lambda: request.lineage(
            request.index.member_org(member_id, request.members)))
        if self.parent:
            lineage = lineage[1:]
        return Target((lineage,) if lineage else (), member_id, district=not lineage)


@dataclass(frozen=True)
class FoundingParent:
    """The parent organisation a founding request was made to."""
    name: str = "request_id"

    def target(self, request):
        parent = request.index.founding_parent(request.value("path", self.name), request.orgs)
        return Target((request.lineage(parent),))


@dataclass(frozen=True)
class Transfer:
    """A transfer's sending side, receiving side, or either; the member it
    moves (for ``self_service``)."""
    side: str = "either"

    def target(self, request):
        sides = request.index.transfer(request.value("path", "transfer_id"), request.members)
        orgs = {"sending": (sides.from_org_id,), "receiving": (sides.to_org_id,),
                "either": (sides.from_org_id, sides.to_org_id)}[self.side]
        union = tuple(dict.fromkeys(org for org_id in orgs for org in request.lineage(org_id)))
        return Target((union,), sides.member_id)


@dataclass(frozen=True)
class Grants:
    """Account management: every organisation a role in the body names, and
    the member a member account binds to, must be the caller's to
    administer; a role without an organisation is the district's."""

    def target(self, request):
        body = request.body
        roles = body.get("roles") if "roles" in body else ([body] if "role" in body else [])
        if not isinstance(roles, list):
            raise InvalidInput("roles must be a list", {"roles": ["Not a valid list."]})
        lineages, member_id = [], body.get("member_id")
        for entry in roles:
            org_id = entry.get("org_id") if isinstance(entry, dict) else None
            if org_id is None:
                return DISTRICT
            if not isinstance(org_id, str) or not 1 <= len(org_id) <= 64:
                raise InvalidInput("a role's org_id must be an id", {"org_id": ["Not a valid id."]})
            lineages.append(request.named("body", "org_id", lambda org_id=org_id: request.lineage(org_id)))
        if isinstance(member_id, str) and member_id:
            lineages.append(request.lineage(request.index.member_org(member_id, request.members)))
        return Target(tuple(lineages)) if lineages else DISTRICT


@dataclass(frozen=True)
class Rule:
    kind: str
    scope: object = None
    self_service: bool = False
    note: str = field(default="", compare=False)


def public():
    return Rule(PUBLIC)


def signed_in():
    return Rule(SIGNED_IN)


def directory():
    return Rule(DIRECTORY)


def read(scope, self_service=False):
    return Rule(READ, scope, self_service)


def write(scope, self_service=False):
    return Rule(WRITE, scope, self_service)


def _may_ever(rule: Rule, principal: Principal) -> bool:
    """Whether any of the caller's roles could pass this kind of rule, before
    looking anything up (an integration account never reaches a member)."""
    roles = {grant.role for grant in principal.grants}
    if rule.kind == DIRECTORY:
        return bool(roles & (STAFF_ROLES | {MEMBER}))
    staff = roles & ({"district_admin", "org_admin"} | ({"auditor"} if rule.kind == READ else set()))
    return bool(staff) or (rule.self_service and MEMBER in roles)


def authorize(rule: Rule, principal: Principal | None, request_factory):
    """Raise Unauthorized (401), NotFound (404, from the scope) or Forbidden
    (403) unless ``principal`` may do what ``rule`` guards. ``request_factory``
    builds the ``Request`` only when a scope needs it."""
    if rule.kind == PUBLIC:
        return
    if principal is None:
        raise Unauthorized("sign in first: send 'Authorization: Bearer <access token>'")
    if rule.kind == SIGNED_IN:
        return
    if not _may_ever(rule, principal):
        raise Forbidden("your roles do not allow this")
    if rule.kind == DIRECTORY:
        return
    request = request_factory()
    if rule.self_service and principal.member_id and getattr(rule.scope, "names_member", None) \
            and principal.is_member(rule.scope.names_member(request)):
        return  # a member on their own record: nothing to look up
    target = rule.scope.target(request)
    if rule.self_service and target.member_id is not None and principal.is_member(target.member_id):
        return
    covers = principal.reads if rule.kind == READ else principal.administers
    if target.district:
        allowed = principal.is_district_admin or (rule.kind == READ and principal.audits_district)
    else:
        allowed = all(covers(lineage) for lineage in target.lineages)
    if not allowed:
        raise Forbidden("this is outside the organisations your roles cover")


# -- the table -----------------------------------------------------------------------
V1 = "/api/v1"
M = V1 + "/members/<member_id>"
O = V1 + "/orgs/<org_id>"
F = V1 + "/founding-requests/<request_id>"
T = V1 + "/transfers/<transfer_id>"
A = V1 + "/alliances/<alliance_id>"
ACC = V1 + "/accounts/<username>"

POLICY = {
    # operations and sign-in
    "GET /health": public(),
    "GET /openapi.json": public(),
    "GET /docs": public(),
    "GET /docs/<path:asset>": public(),
    f"POST {V1}/auth/token": public(),
    f"POST {V1}/auth/refresh": public(),
    f"POST {V1}/auth/logout": public(),
    # the caller's own account
    f"GET {V1}/me": signed_in(),
    f"POST {V1}/me/password": signed_in(),
    # accounts and roles: within the caller's own scope
    f"GET {V1}/accounts": read(Org("org_id", source="query", optional=True)),
    f"POST {V1}/accounts": write(Grants()),
    f"GET {ACC}": read(District()),
    f"POST {ACC}/roles": write(Grants()),
    f"POST {ACC}/roles/revoke": write(Grants()),
    f"POST {ACC}/disable": write(District()),
    # organisations
    f"POST {V1}/orgs": write(Org("parent_id", source="body", optional=True)),
    f"GET {V1}/orgs": directory(),
    f"GET {O}": directory(),
    f"GET {O}/tree": directory(),
    f"GET {O}/children": directory(),
    f"PATCH,POST {O}/rename": write(Org()),
    f"POST {O}/dissolve": write(Org(parent=True)),
    f"GET {O}/history": read(Org()),
    f"POST {O}/founding-requests": write(Org()),
    f"GET {O}/founding-requests": read(Org()),
    f"GET {F}": read(FoundingParent()),
    f"POST {F}/approve": write(FoundingParent()),
    f"POST {F}/reject": write(FoundingParent()),
    f"POST {F}/elect-committee": write(FoundingParent()),
    f"POST {F}/confirm": write(FoundingParent()),
    f"PUT {O}/committee": write(Org()),
    f"GET {O}/committee": directory(),
    f"GET {O}/due-elections": read(Org()),
    f"POST {V1}/alliances": write(District()),
    f"GET {V1}/alliances": directory(),
    f"GET {A}": directory(),
    f"POST {A}/members": write(Org("org_id", source="body")),
    f"DELETE {A}/members/<org_id>": write(Org()),
    # members
    f"POST {V1}/members": write(Org("org_id", source="body")),
    f"GET {V1}/members": read(CallersOwn()),
    f"GET {M}": read(Member(), self_service=True),
    f"PATCH {M}": write(Member()),
    f"GET {M}/history": read(Member(), self_service=True),
    f"POST {M}/erase-personal-data": write(District()),
    f"GET {O}/members": read(Org()),
    f"GET {O}/legacy-exceptions": read(Org()),
    f"POST {M}/status": write(Member()),
    f"GET {O}/pipeline/due": read(Org()),
    f"POST {M}/pipeline/record-talk": write(Member()),
    f"POST {M}/pipeline/designate-activist": write(Member()),
    f"POST {M}/pipeline/assign-contacts": write(Member()),
    f"POST {M}/pipeline/record-assessment": write(Member()),
    f"POST {M}/pipeline/approve-candidate": write(Member()),
    f"POST {M}/pipeline/assign-sponsors": write(Member()),
    f"POST {M}/pipeline/record-political-review": write(Member()),
    f"POST {M}/pipeline/record-training": write(Member()),
    f"POST {M}/pipeline/admission-vote": write(Member()),
    f"POST {M}/pipeline/approve-admission": write(Member(parent=True)),  # the committee above the branch
    f"POST {M}/pipeline/confirm-full": write(Member(parent=True)),
    f"POST {M}/pipeline/extend-probation": write(Member(parent=True)),
    f"POST {M}/pipeline/cancel-probation": write(Member(parent=True)),
    # transfers: the sending side approves and issues, the receiving side accepts
    f"POST {V1}/transfers": write(Member("member_id", source="body"), self_service=True),
    f"GET {T}": read(Transfer(), self_service=True),
    f"GET {T}/letter.pdf": read(Transfer(), self_service=True),
    f"GET {O}/transfers": read(Org()),
    f"GET {M}/transfers": read(Member(), self_service=True),
    f"POST {V1}/transfers/sweep": write(District()),
    f"POST {T}/approve": write(Transfer("sending")),
    f"POST {T}/return-for-correction": write(Transfer("sending")),
    f"POST {T}/resubmit": write(Transfer("sending"), self_service=True),
    f"POST {T}/withdraw": write(Transfer("sending"), self_service=True),
    f"POST {T}/reject": write(Transfer("either")),
    f"POST {T}/issue-letter": write(Transfer("sending")),
    f"POST {T}/reissue-letter": write(Transfer("sending")),
    f"POST {T}/accept": write(Transfer("receiving")),
    f"POST {T}/report-in": write(Transfer("receiving")),
    f"POST {T}/complete": write(Transfer("receiving")),
    # dues: the branch keeps the account, the level above approves reductions
    f"PUT {M}/dues-base": write(Member()),
    f"GET {M}/dues": read(Member(), self_service=True),
    f"GET {M}/dues/clearance": read(Member(), self_service=True),
    f"POST {V1}/dues/payments": write(Member("member_id", source="body"), self_service=True),
    f"POST {M}/dues/reductions": write(Member()),
    f"POST {M}/dues/reductions/approve": write(Member(parent=True)),
    f"POST {M}/dues/reductions/reject": write(Member(parent=True)),
    f"POST {M}/dues/arrears-reason": write(Member()),
    f"PUT {O}/dues-base-policy": write(Org()),
    # rosters in and out
    f"GET {V1}/imports/members/template": directory(),
    f"POST {V1}/imports/members": write(Org("org_id", source="query")),
    f"GET {V1}/imports/<job_id>": read(ImportJob()),
    f"GET {O}/roster.xlsx": read(Org()),
    f"GET {O}/dues-report.xlsx": read(Org()),
    f"GET {O}/payments.xlsx": read(Org()),
    f"GET {O}/dues-base-policy": read(Org()),
    f"GET {O}/dues-report": read(Org()),
    f"GET {O}/arrears": read(Org()),
    f"POST {V1}/dues/arrears-check": write(District()),
}
"""``"METHOD PATH"`` (as the route is declared) -> its rule."""


def route_key(method: str, path: str) -> str:
    return f"{method} {path}"


def rule_for(method: str, path: str) -> Rule:
    try:
        return POLICY[route_key(method, path)]
    except KeyError:
        raise LookupError(f"no policy entry for {method} {path}: add one to services/gateway/policy.py") from None


def check_routes(routes) -> None:
    """``routes``: (method, path) of every HTTP entrypoint. Raise unless each
    has an entry and each entry has a route."""
    declared = {route_key(m, p) for m, p in routes}
    missing, stale = sorted(declared - POLICY.keys()), sorted(POLICY.keys() - declared)
    if missing or stale:
        raise RuntimeError("the gateway's policy table does not match its routes: "
                           + "; ".join(filter(None, [
                               "no entry for " + ", ".join(missing) if missing else "",
                               "entries without a route: " + ", ".join(stale) if stale else ""])))
