"""Transfers of organisational relationship (组织关系转接, docs/domain.md §3), a
saga of the members service: its vocabulary, command schemas (``...In``: RPC
``data`` and HTTP bodies) and response schemas (``...Out``).

Rule numbers (letter validity, the report-in window) are versioned rule data
in the members service, not here: a schema never refuses what a rule
revision would allow.

Split by job: ``commands`` (what a caller sends), ``answers`` (what comes
back); the vocabulary is ``shared.vocabulary``. Callers import this package
only, so a schema can move between modules without touching them.
"""

from ...vocabulary import (  # noqa: F401 (published here)
    DUES_SOURCES,
    FINAL_TRANSFER_STATES,
    GROUNDS,
    PENDING_TRANSFER_STATES,
    SCOPES,
    SIDES,
    TRANSFER_STATES,
)
from ..common import ID, MONTH, Date, PageIn, Text, page_of  # noqa: F401 (published here)
from .answers import *  # noqa: F401,F403
from .commands import *  # noqa: F401,F403
