"""Scheduled bodies of the kernel: each takes `now`, is idempotent, and returns a count."""
from __future__ import annotations

from flask import current_app

from .notices import send_due_emails


def send_outbox(now) -> int:
    """Deliver due e-mails from the outbox (SMTP when configured, the log otherwise)."""
    return send_due_emails(now, current_app.config)
