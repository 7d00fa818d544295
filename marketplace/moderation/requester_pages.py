"""The requester's blocks page: block a trainer from your jobs with a written reason, or lift a block."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..core.errors import DomainError
from ..core.permissions import Role, role_required
from ..core.web import apply_domain_error
from ..extensions import db
from . import services
from .forms import BlockForm, LiftForm
from .views import bp, refused


@bp.route("/requester/blocks", methods=["GET", "POST"])
@role_required(Role.REQUESTER)
def requester_blocks():
    form = BlockForm()
    if form.validate_on_submit():
        try:
            block = services.block_trainer(current_user, form.trainer_id.data, reason=form.reason.data or "")
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            flash(f"{block.trainer.display_name} can no longer work on your jobs. They have been told your reason "
                  "and may appeal to a FairTrain admin.", "success")
            return redirect(url_for("moderation.requester_blocks"))
    return render_template("moderation/requester_blocks.html", form=form, blocks=services.blocks_by(current_user.id),
                           lift_form=LiftForm()), refused()


@bp.route("/requester/blocks/<int:block_id>/lift", methods=["POST"])
@role_required(Role.REQUESTER)
def lift_block(block_id: int):
    block = services.get_block(block_id)
    form = LiftForm()
    form.validate_on_submit()  # the reason is optional when a requester lets someone back
    try:
        services.lift_block(block, current_user, reason=form.reason.data or "")
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash("Block lifted; the trainer has been told.", "success")
    return redirect(url_for("moderation.requester_blocks"))
