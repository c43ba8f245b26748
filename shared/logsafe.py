"""Log lines nobody can forge.

Log messages carry text from clients (a request path, an id, an exception
message quoting input). A newline in it would start a line of the client's
choosing in the log (``...\\n2024-01-01 ERROR payments: refund sent``).
``SafeFormatter`` escapes CR, LF and every other control character (C0, DEL,
C1, U+2028/U+2029) in the formatted line as ``\\n``, ``\\r``, ``\\x1b``...;
a traceback keeps its real newlines, with the exception messages in it
escaped the same way. Tabs are kept.

``install()`` sets the root logger up with it (stderr); nameko's config
names it in its LOGGING section (``(): shared.logsafe.SafeFormatter``).
"""
import logging
import re
import sys
import traceback

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _replacement(match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str) -> str:
    """``text`` with control characters written as escapes (one line)."""
    return _UNSAFE.sub(_replacement, text)


class SafeFormatter(logging.Formatter):
    """A ``logging.Formatter`` whose message part is always one line.

    Takes ``fmt`` (or ``format``, as nameko's YAML spells it) and the usual
    Formatter arguments; the default format is ``FORMAT``.
    """

    def __init__(self, fmt=None, datefmt=None, style="%", validate=True, *, defaults=None, format=None):
        super().__init__(fmt or format or FORMAT, datefmt, style, validate, defaults=defaults)

    def format(self, record):
        # Another handler may have cached its own, unescaped, traceback text
        # on the record: make ours, and leave the record as it was.
        cached = record.exc_text
        if record.exc_info:
            record.exc_text = None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    def formatMessage(self, record):
        return escape(super().formatMessage(record))

    def formatException(self, ei):
        try:
            exception = traceback.TracebackException(*ei)
            _escape_messages(exception, set())
            text = "".join(exception.format())
        except Exception:  # never lose the traceback over its escaping
            return super().formatException(ei)
        return text[:-1] if text.endswith("\n") else text

    def formatStack(self, stack_info):
        return stack_info  # code, not client text


def _escape_messages(exception, seen: set):
    """Escape the message of ``exception`` (a TracebackException) and of
    those chained to it or grouped in it."""
    if exception is None or id(exception) in seen:
        return
    seen.add(id(exception))
    if isinstance(getattr(exception, "_str", None), str):
        exception._str = escape(exception._str)
    notes = getattr(exception, "__notes__", None)
    if isinstance(notes, list):
        exception.__notes__ = [escape(str(note)) for note in notes]
    if getattr(exception, "msg", None) and isinstance(exception.msg, str):  # SyntaxError
        exception.msg = escape(exception.msg)
    _escape_messages(exception.__cause__, seen)
    _escape_messages(exception.__context__, seen)
    for grouped in getattr(exception, "exceptions", None) or ():
        _escape_messages(grouped, seen)


def install(level=logging.INFO, stream=None) -> logging.Handler:
    """The root logger at ``level``, to ``stream`` (stderr) through a
    ``SafeFormatter``; replaces the root logger's handlers."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(SafeFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    return handler
