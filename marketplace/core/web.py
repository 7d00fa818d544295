"""Small helpers shared by views: turning domain errors into form errors, safe redirects."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash

from .errors import DomainError, ValidationFailed


def apply_domain_error(form, exc: DomainError, aliases: dict[str, str] | None = None) -> None:
    """Show a DomainError on the form: under its field when it names one, as a flash otherwise.

    `aliases` maps a service's argument names to the form's field names (minutes -> hours fields).
    """
    placed = False
    aliases = aliases or {}
    errors = getattr(exc, "errors", None) or {}
    if isinstance(errors, dict):
        for name, message in errors.items():
            name = aliases.get(name, name)
            field = getattr(form, name, None) if form is not None else None
            if field is not None:
                field.errors = list(field.errors) + [message]
                placed = True
    if exc.field and form is not None and getattr(form, exc.field, None) is not None and not placed:
        field = getattr(form, exc.field)
        field.errors = list(field.errors) + [exc.message]
        placed = True
    if not placed or isinstance(exc, ValidationFailed) and len(errors) > 1:
        flash(exc.message, "error")


def is_safe_next(target: str | None) -> bool:
    """Only local paths are followed after login, so a link cannot send people elsewhere."""
    if not target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//")
