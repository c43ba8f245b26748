"""Where this service's schemas live: its command and response schemas are
the published contract in ``shared.contracts.dues`` (the gateway validates
with the same ones), its event payload schemas are in the platform catalog
(``shared.catalog.dues``). Nothing is private to the service yet."""
from shared.catalog import dues as events  # noqa: F401
from shared.contracts import dues as contract  # noqa: F401
