"""Peer reviewer pages: jobs open for review (or why not), one answer under review, the decision."""
from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..core.errors import DomainError, ValidationFailed
from ..core.permissions import Role, good_standing_required, require, role_required
from ..core.time import utcnow
from ..core.web import apply_domain_error
from ..extensions import db
from ..jobs.models import Job
from . import disputes, peer
from .forms import PostForm, ReviewDecisionForm
from .models import ReviewItem

bp = Blueprint("quality_peer", __name__, url_prefix="/quality/reviewing")


@bp.route("")
@role_required(Role.WORKER)
def queue():
    now = utcnow()
    jobs = list(db.session.scalars(sa.select(Job).where(Job.review_policy == "peer",
                                                        Job.status.in_(("published", "paused"))).order_by(Job.id)))
    waiting = dict(db.session.execute(sa.select(ReviewItem.job_id, sa.func.count(ReviewItem.id)).where(
        ReviewItem.is_known.is_(False), ReviewItem.status == "open").group_by(ReviewItem.job_id)).all())
    cards = [{"job": job, "waiting": waiting.get(job.id, 0), "blockers": peer.reviewer_blockers(current_user, job, now),
              "held": peer.live_review(job.id, current_user.id, now)} for job in jobs]
    return render_template("quality/reviewing.html", cards=cards, record=disputes.reviewer_record(current_user.id),
                           form=PostForm())


@bp.route("/jobs/<int:job_id>/start", methods=["POST"])
@role_required(Role.WORKER)
@good_standing_required
def start(job_id):
    job = db.session.get(Job, job_id)
    require(job is not None and job.is_live, 404)
    if not PostForm().validate_on_submit():
        flash("The form had expired; try again.", "error")
        return redirect(url_for("quality_peer.queue"))
    try:
        review = peer.claim_review(job, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("quality_peer.queue"))
    db.session.commit()
    return redirect(url_for("quality_peer.review", review_id=review.id))


def _page(review, form, status: int = 200):
    item = review.item
    job = db.session.get(Job, review.job_id)
    return render_template("quality/review_task.html", review=review, item=item, job=job, task=item.task,
                           answer=peer.answer_under_review(item), form=form,
                           seconds_left=max(0, int((review.expires_at - utcnow()).total_seconds()))), status


@bp.route("/<int:review_id>")
@role_required(Role.WORKER)
def review(review_id):
    try:
        held = peer.get_own_review(review_id, current_user)
    except DomainError:
        require(False, 404)
    return _page(held, ReviewDecisionForm())


@bp.route("/<int:review_id>", methods=["POST"])
@role_required(Role.WORKER)
@good_standing_required
def decide(review_id):
    try:
        held = peer.get_own_review(review_id, current_user)
    except DomainError:
        require(False, 404)
    form = ReviewDecisionForm()
    if not form.validate_on_submit():
        return _page(held, form, 422)
    corrected = None
    if form.decision.data == "correct":
        try:
            corrected = json.loads(form.corrected_json.data or "")
        except ValueError:
            form.corrected_json.errors = list(form.corrected_json.errors) + ["is not valid JSON"]
            return _page(held, form, 422)
    try:
        done = peer.decide(held.id, current_user, form.decision.data, reason=form.reason.data or "",
                           corrected_answer=corrected)
    except ValidationFailed as exc:
        db.session.rollback()
        apply_domain_error(form, exc, aliases={"corrected_answer": "corrected_json"})
        return _page(peer.get_own_review(review_id, current_user), form, exc.status)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("quality_peer.queue"))
    job_id = done.job_id
    db.session.commit()
    flash("Review recorded. Thank you!", "success")
    if request.form.get("next"):
        return start_next(job_id)
    return redirect(url_for("quality_peer.queue"))


def start_next(job_id: int):
    job = db.session.get(Job, job_id)
    try:
        review = peer.claim_review(job, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "info")
        return redirect(url_for("quality_peer.queue"))
    db.session.commit()
    return redirect(url_for("quality_peer.review", review_id=review.id))
