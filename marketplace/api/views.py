"""/api/v1 endpoints. Errors share one shape: {"error": {"code": ..., "message": ...}}."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify
from flask_login import current_user

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.route("/me")
def me():
    """The account behind the session (or token, once tokens exist)."""
    if not current_user.is_authenticated:
        abort(401)
    return jsonify({"id": current_user.id, "email": current_user.email, "role": current_user.role,
                    "role_label": current_user.role_label, "display_name": current_user.display_name,
                    "in_good_standing": current_user.in_good_standing})
