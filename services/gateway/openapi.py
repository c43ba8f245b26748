"""The OpenAPI 3 document, generated from the routes declared with ``api``
and the contract schemas they name (apispec + its MarshmallowPlugin)."""
import functools
import inspect
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from shared.contracts.common import Money

from . import policy
from .http import CLIENT_KEY_MAX

TITLE = "eJia API"
VERSION = "1.0.0"
OPENAPI_VERSION = "3.0.3"

TAGS = [
    {"name": "orgs", "description": "Organisation tree (党组织): read, rename, dissolve, history"},
    {"name": "founding", "description": "Founding a branch (支部成立): request, decide, elect, confirm"},
    {"name": "committees", "description": "Branch committees (支委会) and due elections"},
    {"name": "alliances", "description": "Alliances (联盟) of organisations across the tree"},
    {"name": "members", "description": "Member records and status (党员管理); personal data masked "
                                       "unless authorised"},
    {"name": "pipeline", "description": "The development pipeline (党员发展): applicant, activist, "
                                        "candidate, probationary, full"},
    {"name": "transfers", "description": "Transfers of organisational relationship (关系转接): request, "
                                         "letter, accept, report in, complete"},
    {"name": "dues", "description": "Dues (党费): base, statement, payments, reductions, reports"},
    {"name": "auth", "description": "Sign-in (登录), tokens, and who I am"},
    {"name": "accounts", "description": "Accounts and their roles (within the caller's own scope)"},
    {"name": "ops", "description": "Health and documentation"},
]

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message", "fields"],
        "additionalProperties": False,
        "properties": {
            "code": {"type": "string", "example": "invalid_input"},
            "message": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": True,
                       "description": "What is wrong with each named field or parameter."},
            "rule": {"type": "string", "description": "The domain rule refused (422 only)."},
        },
    }},
}

HEALTH_SCHEMA = {
    "type": "object",
    "required": ["status", "services"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded"]},
        "service": {"type": "string", "example": "gateway"},
        "services": {"type": "object", "additionalProperties": {"type": "string"},
                     "description": "Each service: ok, timeout or unavailable."},
    },
}

# Error responses: (status, component name, description).
ERRORS = {
    400: ("InvalidInput", "The body, a parameter or the JSON is invalid (fields names them)."),
    401: ("Unauthorized", "No valid bearer access token (missing, expired, tampered with, not ours)."),
    403: ("Forbidden", "The caller's roles do not cover this organisation or member."),
    404: ("NotFound", "No such resource."),
    409: ("Conflict", "Conflicts with the current state (e.g. a concurrent change); reload and retry."),
    413: ("PayloadTooLarge", "The body is larger than 64 KiB."),
    415: ("UnsupportedMediaType", "The body is not application/json."),
    422: ("RuleViolation", "A domain rule refused the command (rule names it)."),
    429: ("TooManyRequests", "Too many failed attempts; come back after Retry-After seconds."),
    500: ("InternalError", "Unexpected failure."),
    503: ("ServiceUnavailable", "A service did not answer; retry shortly."),
}

_PATH_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def openapi_path(rule: str) -> str:
    """``/orgs/<org_id>`` -> ``/orgs/{org_id}``."""
    return _PATH_PARAM.sub(r"{\1}", rule)


def api_routes(service_cls):
    """(handler name, Route) for each ``api`` entrypoint, in a stable order."""
    found = [(name, member.route) for name, member in inspect.getmembers(service_cls)
             if callable(member) and hasattr(member, "route")]
    return sorted(found, key=lambda item: (item[1].path, item[1].method))


@functools.lru_cache(maxsize=8)
def build_spec(service_cls) -> dict:
    marshmallow = MarshmallowPlugin()
    spec = APISpec(
        title=TITLE, version=VERSION, openapi_version=OPENAPI_VERSION,
        plugins=[marshmallow],
        info={"description": "HTTP API of the eJia party-member service platform. "
                             "Errors always have the shape of the Error schema. "
                             "Sign in with POST /api/v1/auth/token and send the access token as "
                             "'Authorization: Bearer <token>': its sub is the actor recorded on every "
                             "event, and its roles (district_admin, org_admin of an organisation and "
                             "its subtree, member, auditor, integration) decide what it may do "
                             "(x-ejia-policy on each operation). Only /health, the documentation "
                             "and the sign-in routes are open without one."},
        security=[{"bearer": []}],
    )
    marshmallow.map_to_openapi_type(Money, "string", None)  # amounts travel as strings, never JSON numbers
    for tag in TAGS:
        spec.tag(tag)
    _add_components(spec)
    paths = {}
    for name, route in api_routes(service_cls):
        methods = route.methods
        for method in methods:
            op_id = name if len(methods) == 1 else f"{name}_{method.lower()}"
            paths.setdefault(route.path, {})[method.lower()] = _operation(op_id, route)
    for rule, operations in paths.items():
        params = [_path_param(p) for p in _PATH_PARAM.findall(rule)]
        spec.path(path=openapi_path(rule), operations=operations, parameters=params or None)
    _add_ops_paths(spec)
    return spec.to_dict()


def _add_components(spec):
    spec.components.security_scheme("bearer", {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "The access token from POST /api/v1/auth/token (HS256 JWT: iss, aud, sub, "
                       "iat, exp, name, roles, mid)."})
    spec.components.schema("Error", ERROR_SCHEMA)
    spec.components.schema("Health", HEALTH_SCHEMA)
    for name, description in ERRORS.values():
        spec.components.response(name, {"description": description, "content": _json("Error")})
    spec.components.parameter("CorrelationId", "header", {
        "name": "X-Correlation-Id", "required": False,
        "schema": {"type": "string"},
        "description": "Ties this request to the events it causes; echoed in the response. Up to 128 of "
                       "A-Z a-z 0-9 . _ : -; a new one is made when it is absent or not of that shape, "
                       "so any value is accepted."})
    spec.components.parameter("IdempotencyKey", "header", {
        "name": "Idempotency-Key", "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": CLIENT_KEY_MAX, "pattern": r"^[\x20-\x7e]+$"},
        "description": "Send the same key again to retry this request safely: a command that creates "
                       "something runs once per key, and a retry answers as the first run did. The same "
                       "key with a different body is a 409. Keys are yours: another caller's never clash."})


def _operation(op_id, route) -> dict:
    schema = route.response or {"type": "object"}
    if route.many:
        schema = {"type": "array", "items": schema}
    success = {"description": route.summary, "content": {"application/json": {"schema": schema}}}
    if route.media:
        success = {"description": route.summary,
                   "content": {route.media: {"schema": {"type": "string", "format": "binary"}}}}
    operation = {
        "operationId": op_id, "tags": [route.tag], "summary": route.summary,
        "parameters": ["CorrelationId"],
        "responses": {str(route.status): success},
    }
    if route.description:
        operation["description"] = route.description
    rule = policy.POLICY[policy.route_key(route.method, route.path)]
    operation["x-ejia-policy"] = _policy_text(rule)
    statuses = {500, 503}
    if rule.kind == policy.PUBLIC:
        operation["security"] = [{}]
    else:
        statuses.update({401, 403})
    if "<" in route.path or route.body is not None or route.query is not None:
        statuses.add(404)  # the path, the body or a filter names a record that may not exist
    if route.method == "POST":
        operation["parameters"].append("IdempotencyKey")
    if route.query is not None:
        operation["parameters"].append({"in": "query", "schema": route.query})
        statuses.add(400)
    if route.body is not None:
        required = any(field.required for field in route.body().fields.values())
        content = {"schema": route.body}
        example = route.example if route.example is not None else _valid_example(route.body)
        if example:
            content["example"] = example
        operation["requestBody"] = {"required": required, "content": {"application/json": content}}
        statuses.update({400, 413, 415})
    if route.upload:
        operation["requestBody"] = {"required": True, "content": {
            media: {"schema": {"type": "string", "format": "binary"}} for media in route.upload}}
        statuses.update({400, 413})
    if route.method != "GET":
        statuses.update({409, 422})  # any command may meet a concurrent change or a rule
    statuses.update(route.errors)
    for status in sorted(statuses):
        operation["responses"][str(status)] = ERRORS[status][0]
    return operation


def _policy_text(rule) -> str:
    """The route's rule, for a person reading the document."""
    if rule.scope is None:
        return rule.kind
    scope = type(rule.scope).__name__
    fields = {k: v for k, v in vars(rule.scope).items() if v not in (None, False, "path", "org_id", "member_id")}
    detail = f"{scope}({', '.join(f'{k}={v}' for k, v in fields.items())})"
    return f"{rule.kind} {detail}" + (" or the member themself" if rule.self_service else "")


def schema_example(schema_cls) -> dict:
    """A request example made of the examples in the schema's field metadata
    (nested schemas included); fields without one are left out."""
    example = {}
    for name, field in schema_cls().fields.items():
        if field.dump_only:
            continue
        value = field.metadata.get("example")
        nested = getattr(field, "nested", None) or getattr(getattr(field, "inner", None), "nested", None)
        if value is None and isinstance(nested, type):
            inner = schema_example(nested)
            value = ([inner] if hasattr(field, "inner") else inner) if inner else None
        if value is not None:
            example[field.data_key or name] = value
    return example


def _valid_example(schema_cls) -> dict | None:
    """``schema_example``, if the schema accepts it (else no example)."""
    example = schema_example(schema_cls)
    return example if example and not schema_cls().validate(example) else None


def _path_param(name) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _add_ops_paths(spec):
    spec.path(path="/health", operations={"get": {
        "operationId": "health", "security": [], "tags": ["ops"],
        "summary": "Is the gateway up, and do the services answer?",
        "responses": {"200": {"description": "All services answer.", "content": _json("Health")},
                      "503": {"description": "Some service does not answer.",
                              "content": _json("Health")}}}})
    spec.path(path="/openapi.json", operations={"get": {
        "operationId": "openapi", "security": [], "tags": ["ops"], "summary": "This OpenAPI document",
        "responses": {"200": {"description": "The OpenAPI 3 document.",
                              "content": {"application/json": {"schema": {"type": "object"}}}}}}})
    spec.path(path="/docs", operations={"get": {
        "operationId": "docs", "security": [], "tags": ["ops"], "summary": "Interactive documentation (Swagger UI)",
        "responses": {"200": {"description": "An HTML page.",
                              "content": {"text/html": {"schema": {"type": "string"}}}}}}})


def _json(schema_name) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}}
