"""The platform's event catalog. Each service's published events are classes
in a module here, so that consumers validate against the same classes
without importing the producing service."""
from ..event import Event, InvalidEvent
from .registry import EventCatalog, json_schema

catalog = EventCatalog()

from . import orgs  # noqa: E402,F401  (registers the orgs events)
from . import dues  # noqa: E402,F401  (registers the dues events)
from . import members  # noqa: E402,F401  (registers the members events)
from . import transfers  # noqa: E402,F401  (registers the transfer events, members' exchange)
from . import identity  # noqa: E402,F401  (registers the identity events)

__all__ = ["catalog", "Event", "EventCatalog", "InvalidEvent", "json_schema"]
