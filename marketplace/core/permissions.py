"""View guards: role_required, good_standing_required and require()."""
from __future__ import annotations

from enum import StrEnum
from functools import wraps

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user


class Role(StrEnum):
    WORKER = "worker"  # shown to people as "trainer"
    REQUESTER = "requester"
    ADMIN = "admin"


ROLE_LABELS = {Role.WORKER: "trainer", Role.REQUESTER: "requester", Role.ADMIN: "admin"}


def _is_api() -> bool:
    return request.path.startswith("/api/")


def role_required(*roles: Role):
    """Allow only logged-in users holding one of `roles`; others get 401 (not logged in) or 403."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                if _is_api():
                    abort(401)
                return redirect(url_for("accounts.login", next=request.full_path))
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def good_standing_required(view):
    """Block new work for people not in good standing. They keep reading, earnings and appeals.

    This decorator is how a view declares that it starts new work: it marks the view `requires_good_standing`
    (functools.wraps carries the mark through outer decorators), and tests/moderation/test_suspended_sweep.py
    lists every marked endpoint, so a new room's guarded pages are checked without editing that test's logic.
    """
    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user.is_authenticated and not current_user.in_good_standing:
            if _is_api():
                abort(403, description="Your account is suspended: new work is blocked. "
                                       "Read the notice in your inbox to see why and how to appeal.")
            flash("Your account is suspended, so new work is blocked. The notice explains why and how to appeal.",
                  "error")
            return redirect(url_for("accounts.standing"))
        return view(*args, **kwargs)
    wrapped.requires_good_standing = True
    return wrapped


def require(condition: bool, status: int = 403) -> None:
    """Abort with `status` (403 by default, 404 to hide existence) unless the policy holds."""
    if not condition:
        abort(status)
