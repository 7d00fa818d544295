"""Pages everyone reaches: the code of conduct, a decision about you, your appeals, content-exposure settings.

Admin pages live in admin_pages.py and the requester's blocks in requester_pages.py, on this same blueprint.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..core.errors import DomainError
from ..core.permissions import Role, role_required
from ..core.time import utcnow
from ..core.web import apply_domain_error
from ..extensions import db
from . import services
from .forms import AppealForm, ExposureForm, LiftForm
from .storage import appeal_storage

bp = Blueprint("moderation", __name__)


def refused():
    """A form shown again after a POST means the input was refused: 422."""
    return 422 if request.method == "POST" else 200


@bp.route("/conduct")
def conduct():
    """The code of conduct in force: readable by everyone, logged in or not."""
    return render_template("moderation/conduct.html", version=services.current_version(),
                           versions=services.all_versions())


@bp.route("/conduct/v<int:number>")
def conduct_version(number: int):
    return render_template("moderation/conduct.html", version=services.get_version(number),
                           versions=services.all_versions())


@bp.route("/sanctions/<int:sanction_id>")
@login_required
def sanction_detail(sanction_id: int):
    """A sanction as its subject reads it (reason, clauses, evidence, end date, appeal) or as an admin manages it."""
    sanction = services.get_sanction(sanction_id)
    if sanction.user_id != current_user.id and not current_user.is_admin:
        abort(404)
    decision = services.resolve_decision("sanction", sanction.id)
    return render_template("moderation/sanction.html", sanction=sanction, title=services.sanction_title(sanction),
                           appeal=services.appeal_for("sanction", sanction.id),
                           can_appeal=services.appealable_now(decision, current_user, utcnow()),
                           lift_form=LiftForm())


@bp.route("/blocks/<int:block_id>")
@login_required
def block_detail(block_id: int):
    block = services.get_block(block_id)
    if current_user.id not in (block.trainer_id, block.requester_id) and not current_user.is_admin:
        abort(404)
    decision = services.resolve_decision("requester_block", block.id)
    return render_template("moderation/block.html", block=block, requester=services.requester_name(block.requester),
                           appeal=services.appeal_for("requester_block", block.id),
                           can_appeal=services.appealable_now(decision, current_user, utcnow()))


@bp.route("/appeals")
@login_required
def my_appeals():
    """Your appeals and their outcomes, and the decisions about you that you can still appeal."""
    return render_template("moderation/my_appeals.html", appeals=services.appeals_by(current_user.id),
                           decisions=services.open_decisions_for(current_user, utcnow()),
                           kind_label=services.kind_label)


@bp.route("/appeals/new/<kind>/<int:subject_id>", methods=["GET", "POST"])
@login_required
def file_appeal(kind: str, subject_id: int):
    decision = services.resolve_decision(kind, subject_id)
    services.check_can_appeal(decision, current_user, utcnow())  # refused: a clear error page, nothing written
    form = AppealForm()
    if form.validate_on_submit():
        files = [(f.filename, f.read()) for f in (form.attachments.data or []) if f and f.filename]
        try:
            appeal = services.file_appeal(current_user, kind, subject_id, form.text.data or "", files=files)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            flash("Your appeal is filed. A different admin will decide it in writing.", "success")
            return redirect(url_for("moderation.appeal_detail", appeal_id=appeal.id))
    return render_template("moderation/file_appeal.html", form=form, decision=decision,
                           kind_label=services.kind_label(kind)), refused()


def _load_visible_appeal(appeal_id: int):
    appeal = services.get_appeal(appeal_id)
    if appeal.appellant_id != current_user.id and not current_user.is_admin:
        abort(403, description="This appeal is someone else's: you can read and act only on your own appeals.")
    return appeal


@bp.route("/appeals/<int:appeal_id>")
@login_required
def appeal_detail(appeal_id: int):
    appeal = _load_visible_appeal(appeal_id)
    return render_template("moderation/appeal.html", appeal=appeal, kind_label=services.kind_label(appeal.kind),
                           person=services.person_label, now=utcnow())


@bp.route("/appeals/<int:appeal_id>/attachments/<int:attachment_id>")
@login_required
def appeal_attachment(appeal_id: int, attachment_id: int):
    appeal = _load_visible_appeal(appeal_id)
    attachment = next((a for a in appeal.attachments if a.id == attachment_id), None)
    if attachment is None:
        abort(404)
    data = appeal_storage().read(attachment.storage_key)
    disposition = "inline" if attachment.content_type.startswith("image/") else "attachment"
    safe_name = attachment.filename.replace('"', "")
    return Response(data, mimetype=attachment.content_type,
                    headers={"Content-Disposition": f'{disposition}; filename="{safe_name}"',
                             "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox",
                             "Cache-Control": "private, no-store"})


@bp.route("/settings/content-exposure", methods=["GET", "POST"])
@role_required(Role.WORKER)
def exposure_settings():
    """Opt out of content-warning jobs or lower the daily limit; never affects standing or ratings."""
    policy = services.exposure_policy(current_user)
    form = ExposureForm(data=None if request.method == "POST" else {
        "is_opted_out": not policy.accepts_content_warning_jobs,
        "daily_limit_minutes": policy.personal_limit_minutes})
    if form.validate_on_submit():
        try:
            services.update_exposure(current_user, is_opted_out=form.is_opted_out.data,
                                     daily_limit_minutes=form.daily_limit_minutes.data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            flash("Saved. This choice never affects your standing, ratings or other work.", "success")
            return redirect(url_for("moderation.exposure_settings"))
    form.daily_limit_minutes.render_kw = {"placeholder": f"{policy.platform_limit_minutes} (the platform's limit)"}
    return render_template("moderation/exposure.html", form=form, policy=policy), refused()


from . import admin_pages, requester_pages  # noqa: E402,F401  (their routes join this blueprint)
