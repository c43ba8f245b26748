"""The platform's event catalog. Each service's published events are classes
in a module here, so that consumers validate against the same classes
without importing the producing service."""
from ..event import Event, InvalidEvent
from .registry import EventCatalog, catalog, json_schema

# Each module registers its service's events in ``catalog`` as it is imported.
from . import orgs  # noqa: F401
from . import dues  # noqa: F401
from . import members  # noqa: F401
from . import transfers  # noqa: F401  (the transfer events, on members' exchange)
from . import identity  # noqa: F401

__all__ = ["catalog", "Event", "EventCatalog", "InvalidEvent", "json_schema"]
