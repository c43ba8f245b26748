"""Domain errors. The gateway maps them to HTTP: 400, 401, 403, 404, 409, 422, 429.

Every error keeps its constructor arguments in ``args`` so that it survives
serialisation across RPC and is rebuilt as the same type on the caller side.
"""


class DomainError(Exception):
    code = "domain_error"
    http_status = 400

    def __init__(self, message, fields=None):
        super().__init__(message, fields or {})
        self.message = message
        self.fields = fields or {}

    def to_dict(self):
        return {"code": self.code, "message": self.message, "fields": self.fields}

    def __str__(self):
        return self.message


class InvalidInput(DomainError):
    """Input that does not have the right shape; ``fields`` names what is wrong."""
    code = "invalid_input"
    http_status = 400


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class Conflict(DomainError):
    """A write lost a race or contradicts the current state; retry after reloading."""
    code = "conflict"
    http_status = 409


class RuleViolation(DomainError):
    """A domain rule refused the command; ``rule`` names the rule."""
    code = "rule_violation"
    http_status = 422

    def __init__(self, rule, message, fields=None):
        Exception.__init__(self, rule, message, fields or {})
        self.rule = rule
        self.message = message
        self.fields = fields or {}

    def to_dict(self):
        return {**super().to_dict(), "rule": self.rule}


class Unauthorized(DomainError):
    """Not signed in, or the credentials are wrong (one answer for every reason)."""
    code = "unauthorized"
    http_status = 401


class Forbidden(DomainError):
    """Signed in, but the caller's roles do not cover what was asked."""
    code = "forbidden"
    http_status = 403


class TooManyRequests(DomainError):
    """Throttled; ``fields["retry_after"]`` is the number of seconds to wait."""
    code = "too_many_requests"
    http_status = 429


DOMAIN_ERRORS = (InvalidInput, NotFound, Conflict, RuleViolation, Unauthorized, Forbidden, TooManyRequests)
