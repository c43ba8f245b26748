"""Where this service's schemas live: its command and response schemas are
the published contract in ``shared.contracts.orgs`` (the gateway validates
with the same ones), its event payload schemas are in the platform catalog
(``shared.catalog.orgs``). Nothing is private to the service yet."""
from shared.catalog import orgs as events  # noqa: F401
from shared.contracts import orgs as contract  # noqa: F401
