"""The orgs service's published language: its vocabulary (glossary names),
command schemas (``...In``: RPC ``data`` and HTTP bodies) and response
schemas (``...Out``). Rule numbers are not here: they are versioned rule data
in the service, so a schema never refuses what a rule revision would allow.

Split by job: ``commands`` (what a caller sends), ``answers`` (what comes
back); the vocabulary is ``shared.vocabulary``. Callers import this package
only, so a schema can move between modules without touching them.
"""

from ...vocabulary import BRANCH_KINDS, FOUNDING_STATES, KINDS, ORG_STATUSES, SEAT_ROLES, UNIT_TYPES  # noqa: F401 (published here)
from ..common import ID, MAX_PAGE, Date, PageIn, Text, page_of  # noqa: F401 (published here)
from .answers import *  # noqa: F401,F403
from .commands import *  # noqa: F401,F403
