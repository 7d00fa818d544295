"""Domain errors: every rule broken raises one of these with a message a person can act on."""
from __future__ import annotations


class DomainError(Exception):
    """A broken business rule. `message` is shown to the user as is; `status` is the HTTP status."""

    status = 400
    code = "invalid_request"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None,
                 status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.field = field


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"

    def __init__(self, message: str, *, errors: dict | list | None = None, **kw):
        super().__init__(message, **kw)
        self.errors = errors or {}


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"
