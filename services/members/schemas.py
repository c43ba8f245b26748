"""Where this service's schemas live: its command and response schemas are
the published contract in ``shared.contracts.members`` (the gateway validates
with the same ones), its event payload schemas are in the platform catalog
(``shared.catalog.members``). Nothing is private to the service yet."""
from shared.catalog import members as events  # noqa: F401
from shared.contracts import members as contract  # noqa: F401
