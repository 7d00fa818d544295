"""Admin pages: the dashboard and the audit log browser."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template, request

from ..accounts.models import User
from ..core import audit
from ..core.permissions import Role, role_required
from ..core.time import utcnow
from ..extensions import db
from ..moderation import services as moderation

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@role_required(Role.ADMIN)
def dashboard():
    counts = dict(db.session.execute(sa.select(User.role, sa.func.count(User.id)).group_by(User.role)).all())
    recent = audit.search(limit=10)
    return render_template("admin/dashboard.html", counts=counts, recent=recent, users=_people_of(recent),
                           appeals=moderation.appeal_figures(utcnow()))


def _people_of(events) -> dict:
    """The accounts that decided, or that the decisions concern, by id (one query)."""
    ids = {e.actor_id for e in events} | {e.subject_user_id for e in events}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids - {None})))}


@bp.route("/audit")
@role_required(Role.ADMIN)
def audit_log():
    """Browse and filter every decision: by action prefix, actor e-mail or subject e-mail."""
    action = request.args.get("action", "").strip() or None
    actor = _user_by_email(request.args.get("actor", ""))
    subject = _user_by_email(request.args.get("subject", ""))
    before = request.args.get("before", type=int)
    unknown = [name for name, value, found in (("actor", request.args.get("actor", ""), actor),
                                                 ("subject", request.args.get("subject", ""), subject))
               if value.strip() and found is None]
    events = [] if unknown else audit.search(action=action, actor_id=actor.id if actor else None,
                                             subject_user_id=subject.id if subject else None,
                                             before_id=before, limit=50)
    return render_template("admin/audit.html", events=events, users=_people_of(events), unknown=unknown, args=request.args)


def _user_by_email(email: str):
    email = email.strip().lower()
    if not email:
        return None
    return db.session.scalar(sa.select(User).where(User.email == email))
