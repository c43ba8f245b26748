"""Reading a request: a JSON object body of bounded size, and query parameters.

On a real socket the gateway's web server (``server.py``) has already read
the body into memory, bounded in size and in time, before a worker runs:
``read_body`` then reads from memory. It still enforces the limit itself,
for requests built any other way (tests, other servers).
"""
import json

from marshmallow import ValidationError
from werkzeug.http import parse_options_header

from .responses import HttpError

MAX_BODY_BYTES = 64 * 1024
_READ_CHUNK = 16 * 1024
JSON_MEDIA_TYPE = "application/json"
_JSON_CHARSETS = frozenset({"utf-8", "utf8"})
BODY_ENVIRON_KEY = "ejia.body"  # the body, as read by the web server (server.py)


UPLOAD_PATHS = ("/api/v1/imports/",)
MAX_UPLOAD_BYTES = 16 * 1024 * 1024
"""A roster file (XLSX or CSV; the district's 6,234 members are ~1 MB): the one body allowed to be large."""


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
UPLOAD_MEDIA = (XLSX, CSV, "application/csv", "application/octet-stream")
"""What an upload may be sent as: none is a type a browser form sends across origins unasked."""


def upload_media_problem(content_type: str) -> str | None:
    mimetype, _ = parse_options_header(content_type or "")
    return None if mimetype.lower() in UPLOAD_MEDIA else "Must be an XLSX or CSV file: " + ", ".join(UPLOAD_MEDIA)


def body_limit(path: str) -> int:
    return MAX_UPLOAD_BYTES if path.startswith(UPLOAD_PATHS) else MAX_BODY_BYTES


def too_large(limit: int = MAX_BODY_BYTES) -> HttpError:
    return HttpError(413, "payload_too_large",
                     f"The request body is larger than {limit} bytes.")


def is_chunked(environ) -> bool:
    return environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked"


def read_stream(stream, limit: int = MAX_BODY_BYTES) -> bytes:
    """Everything ``stream`` gives until EOF, refused (413) past ``limit``
    bytes: at most ``limit + 1`` bytes are ever read."""
    chunks, size = [], 0
    while True:
        chunk = stream.read(min(_READ_CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)


def read_body(request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The raw body, refused (413) past ``limit`` bytes, whether announced by
    Content-Length or only found while reading (chunked or lying clients).
    A body the web server has already read is returned again on every call."""
    buffered = request.environ.get(BODY_ENVIRON_KEY)
    if buffered is not None:
        if len(buffered) > limit:
            raise too_large(limit)
        return buffered
    length = request.content_length
    if length is not None and length > limit:
        raise too_large(limit)
    if is_chunked(request.environ):
        # eventlet terminates chunked input itself; werkzeug's request.stream
        # would see no Content-Length and give an empty stream.
        stream = request.environ["wsgi.input"]
    else:
        stream = request.stream
    return read_stream(stream, limit)


def json_media_type_problem(content_type: str) -> str | None:
    """None when ``content_type`` announces JSON (``application/json`` or
    ``application/*+json``, optionally with ``charset=utf-8``), else why not."""
    mimetype, options = parse_options_header(content_type or "")
    mimetype = mimetype.lower()
    if not (mimetype == JSON_MEDIA_TYPE or (mimetype.startswith("application/") and mimetype.endswith("+json"))):
        return "Must be application/json."
    charset = options.get("charset")
    if charset is not None and charset.lower() not in _JSON_CHARSETS:
        return "JSON must be sent as UTF-8."
    return None


def read_json_object(request) -> dict:
    """The body as a JSON object; an empty body is an empty object."""
    raw = read_body(request)
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise HttpError(400, "malformed_json", "The request body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise HttpError(400, "invalid_input", "The request body must be a JSON object.",
                        {"_schema": ["Must be a JSON object."]})
    return value


def read_query(request, schema) -> dict:
    """Query parameters loaded by ``schema`` (typed, defaults filled in);
    anything it refuses, or does not know, is a 400 naming the parameter."""
    try:
        return schema.load(request.args.to_dict())
    except ValidationError as exc:
        raise HttpError(400, "invalid_input", "Invalid query parameters; see fields.",
                        exc.messages) from None


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")
