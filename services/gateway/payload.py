"""Reading a request: a JSON object body of bounded size, and query parameters."""
import json

from marshmallow import ValidationError

from .responses import HttpError

MAX_BODY_BYTES = 64 * 1024
_READ_CHUNK = 16 * 1024


def too_large() -> HttpError:
    return HttpError(413, "payload_too_large",
                     f"The request body is larger than {MAX_BODY_BYTES} bytes.")


def read_body(request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The raw body, refused (413) past ``limit`` bytes, whether announced by
    Content-Length or only found while reading (chunked or lying clients)."""
    length = request.content_length
    if length is not None and length > limit:
        raise too_large()
    if request.headers.get("Transfer-Encoding", "").lower() == "chunked":
        # eventlet terminates chunked input itself; werkzeug's request.stream
        # would see no Content-Length and give an empty stream.
        stream = request.environ["wsgi.input"]
    else:
        stream = request.stream
    chunks, size = [], 0
    while True:
        chunk = stream.read(min(_READ_CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise too_large()
        chunks.append(chunk)


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
