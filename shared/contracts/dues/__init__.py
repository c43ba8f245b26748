"""The dues service's published language: its vocabulary (glossary names),
command schemas (``...In``: RPC ``data`` and HTTP bodies) and response
schemas (``...Out``). Rule numbers (brackets, the farmer range, the back
payment window) are versioned rule data in the service, not here.

Money is exact: yuan with at most 2 decimals, as a JSON *string* ("12.50").
A JSON number is refused (0.1 as a binary float is not 0.1), and so is a
third decimal; responses carry amounts as strings with exactly 2 places.
Months are "YYYY-MM".

Split by job: ``commands`` (what a caller sends), ``answers`` (what comes
back); the vocabulary is ``shared.vocabulary``. Callers import this package
only, so a schema can move between modules without touching them.
"""

from ...vocabulary import (  # noqa: F401 (published here)
    BASE_POLICIES,
    CATEGORIES,
    FIXED_CATEGORIES,
    MAX_MONTHS,
    MONTH_STATES,
    RATE_CATEGORIES,
    REDUCTION_KINDS,
    REDUCTION_STATES,
    SET_AMOUNT_CATEGORIES,
)
from ..common import ID, MONEY_PATTERN, MONTH, Date, Money, Text  # noqa: F401 (published here)
from .answers import *  # noqa: F401,F403
from .commands import *  # noqa: F401,F403
