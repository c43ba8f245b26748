"""The members service's published language: its vocabulary (glossary names),
the format of personal identifiers, command schemas (``...In``: RPC ``data``
and HTTP bodies) and response schemas (``...Out``).

Rule numbers (ages, periods, windows, thresholds) are not here: they are
versioned rule data in the service, so a schema never refuses what a rule
revision would allow. What is here is shape and format: an ID number's
check digit, dates in the order the pipeline needs them.

Personal data: validation messages never repeat the value they refuse.

Split by job: ``commands`` (what a caller sends), ``answers`` (what comes
back); the vocabulary is ``shared.vocabulary``. Callers import this package
only, so a schema can move between modules without touching them.
"""

from ...identifiers import (  # noqa: F401 (published here)
    PHONE_PATTERN,
    id_number_birth_date,
    id_number_check_digit,
    id_number_problem,
    mask_id_number,
    mask_phone,
    normalise_id_number,
    stage_date_problems,
)
from ...vocabulary import (  # noqa: F401 (published here)
    ASSESSMENT_RESULTS,
    DEADLINE_KINDS,
    DUES_PAYING_STAGES,
    DUES_PAYING_STATUSES,
    FINAL_STATUSES,
    GENDERS,
    IN_GOOD_STANDING,
    PROFILE_FIELDS,
    STAGE_DATES,
    STAGES,
    STATUSES,
)
from ..common import ID, Date, PageIn, Text, page_of  # noqa: F401 (published here)
from .answers import *  # noqa: F401,F403
from .commands import *  # noqa: F401,F403
from .fields import IdNumber, Phone  # noqa: F401 (published here)
from .roster import *  # noqa: F401,F403
