"""The platform's event catalog. Each service's published events are
registered in a module here, so that consumers validate against the same
schemas without importing the producing service."""
from .registry import EventCatalog, EventSpec, InvalidEvent

catalog = EventCatalog()

from . import orgs  # noqa: E402,F401  (registers the orgs events)
from . import dues  # noqa: E402,F401  (registers the dues events)
from . import members  # noqa: E402,F401  (registers the members events)
from . import transfers  # noqa: E402,F401  (registers the transfer events, members' exchange)
from . import identity  # noqa: E402,F401  (registers the identity events)

__all__ = ["catalog", "EventCatalog", "EventSpec", "InvalidEvent"]
