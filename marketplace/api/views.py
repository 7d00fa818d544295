"""/api/v1 endpoints and the API token settings page. Errors share one shape: {"error": {"code", "message"}}."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..accounts import tokens as token_service
from ..accounts.models import ApiToken
from ..core.errors import DomainError
from ..core.permissions import require
from ..core.time import utcnow
from ..core.web import apply_domain_error
from ..extensions import csrf, db
from . import auth  # noqa: F401  (registers the bearer-token loader)
from .forms import TokenForm

# No url_prefix: JSON routes spell out /api/v1, the settings page lives under /settings.
bp = Blueprint("api", __name__)


@bp.route("/api/v1/me")
@csrf.exempt
def me():
    """The account behind the session or token."""
    if not current_user.is_authenticated:
        abort(401)
    return jsonify({"id": current_user.id, "email": current_user.email, "role": current_user.role,
                    "role_label": current_user.role_label, "display_name": current_user.display_name,
                    "in_good_standing": current_user.in_good_standing})


@bp.route("/settings/api-tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """Create, list and revoke personal API tokens; a new token is shown once, right after creation."""
    require(not current_user.is_admin, 404)
    form = TokenForm(role=current_user.role)
    created = None
    if form.validate_on_submit():
        try:
            token, created = token_service.create_token(
                current_user, name=form.name.data, scopes=form.scopes.data,
                expires_in_days=int(form.expires_in_days.data) if form.expires_in_days.data else None)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            form = TokenForm(role=current_user.role, formdata=None)
    status = 422 if request.method == "POST" and created is None else 200
    return render_template("api/tokens.html", form=form, created=created,
                           tokens=token_service.tokens_of(current_user.id), scopes=token_service.SCOPES,
                           now=utcnow()), status


@bp.route("/settings/api-tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id):
    token = db.session.get(ApiToken, token_id)
    require(token is not None and token.user_id == current_user.id, 404)
    try:
        token_service.revoke_token(token, current_user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(f"Token “{token.name}” revoked: it stops working at once.", "success")
    return redirect(url_for("api.tokens"))
