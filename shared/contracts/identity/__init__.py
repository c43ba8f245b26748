"""The identity service's published language: accounts, their role grants,
sign-in and refresh-token sessions. Command schemas (``...In``) are RPC
``data`` and the gateway's HTTP bodies; response schemas (``...Out``) never
carry a password or its hash. Unknown fields are refused (marshmallow's
default, ``RAISE``).

Split by job: ``commands`` (what a caller sends), ``answers`` (what comes
back); the vocabulary is ``shared.vocabulary``. Callers import this package
only, so a schema can move between modules without touching them.
"""

from ...access import ROLES  # noqa: F401 (published here)
from ...vocabulary import ACCOUNT_KINDS, MAX_GRANTS, MAX_PASSWORD, MIN_PASSWORD, USERNAME_PATTERN  # noqa: F401 (published here)
from ..common import ID, MAX_PAGE, FullMatch, PageIn, Text  # noqa: F401 (published here)
from .answers import *  # noqa: F401,F403
from .commands import *  # noqa: F401,F403
from .fields import PASSWORD, TOKEN, USERNAME  # noqa: F401 (published here)
