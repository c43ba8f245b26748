"""Running a command again when it lost a race on a stream."""
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_incrementing

from .errors import Conflict

CONFLICT_RETRIES = 5


def retry_conflicts(fn, attempts: int = CONFLICT_RETRIES):
    """Call ``fn`` again when it raised Conflict (another writer appended to the
    stream it read), up to ``attempts`` calls in all, then let the Conflict
    through: for event handlers, sweeps and jobs, where there is no caller to
    send a 409 to. ``fn`` must open its own transaction on each call."""
    return retry(retry=retry_if_exception_type(Conflict), stop=stop_after_attempt(attempts),
                 wait=wait_incrementing(start=0.01, increment=0.01), reraise=True)(fn)()
