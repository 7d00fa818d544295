"""Requester pages: a job's quality settings, the review screen (bulk approve / reject with reasons, filters),
and review items with a known decision for peer-reviewed jobs."""
from __future__ import annotations

import json
from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..core.errors import DomainError
from ..core.permissions import Role, good_standing_required, role_required
from ..core.web import apply_domain_error
from ..extensions import db
from . import disputes, requester_review, rules
from .forms import KnownReviewForm, PostForm, SettingsForm
from .models import ReviewItem
from .views_results import load_job

bp = Blueprint("quality_requester", __name__, url_prefix="/jobs")


def _settings_page(job, form, status: int = 200):
    return render_template("quality/settings.html", job=job, form=form), status


@bp.route("/<int:job_id>/quality-settings", methods=["GET", "POST"])
@role_required(Role.REQUESTER)
def settings(job_id):
    job = load_job(job_id, manage=True)
    row = rules.settings_for(job.id)
    if request.method == "GET":
        form = SettingsForm(formdata=None, is_rule_enabled=row.is_rule_enabled,
                            min_accuracy=round(row.min_accuracy * 100), min_gold_items=row.min_gold_items,
                            window=row.gold_window, return_text=row.return_text,
                            iou_threshold=Decimal(str(row.iou_threshold)),
                            rating_tolerance=Decimal(str(row.rating_tolerance)),
                            reviewer_qualification=row.reviewer_qualification or "")
        return _settings_page(job, form)
    form = SettingsForm()
    if not form.validate_on_submit():
        return _settings_page(job, form, 422)
    try:
        rules.update_settings(job, current_user, is_rule_enabled=form.is_rule_enabled.data,
                              min_accuracy=form.min_accuracy.data / 100, min_gold_items=form.min_gold_items.data,
                              window=form.window.data or None, return_text=form.return_text.data or "",
                              iou_threshold=float(form.iou_threshold.data),
                              rating_tolerance=float(form.rating_tolerance.data or 0),
                              reviewer_qualification=form.reviewer_qualification.data)
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc, aliases={"window": "window"})
        return _settings_page(job, form, exc.status)
    db.session.commit()
    flash("Quality settings saved.", "success")
    return redirect(url_for("quality_results.results", job_id=job.id))


@bp.route("/<int:job_id>/review")
@role_required(Role.REQUESTER)
def review_answers(job_id):
    job = load_job(job_id, manage=True)
    only, code = request.args.get("only", "all"), request.args.get("trainer", "").strip()
    after = request.args.get("after", type=int)
    page = requester_review.review_page(job, only=only, code=code, after=after)
    return render_template("quality/review_answers.html", job=job, page=page, only=only, code=code,
                           filters=requester_review.FILTERS, form=PostForm())


@bp.route("/<int:job_id>/review", methods=["POST"])
@role_required(Role.REQUESTER)
@good_standing_required
def bulk_review(job_id):
    job = load_job(job_id, manage=True)
    back = url_for("quality_requester.review_answers", job_id=job.id, only=request.args.get("only", "all"),
                   trainer=request.args.get("trainer", ""))
    if not PostForm().validate_on_submit():
        flash("The form had expired; reload the page and try again.", "error")
        return redirect(back)
    selected = [int(v) for v in request.form.getlist("selected") if v.isdigit()]
    action = request.form.get("action")
    per_row = {int(k.removeprefix("reason_")): v for k, v in request.form.items()
               if k.startswith("reason_") and k.removeprefix("reason_").isdigit() and v.strip()}
    approve = selected if action == "approve" else []
    reject = selected if action == "reject" else []
    try:
        outcome = requester_review.bulk_review(job, current_user, approve=approve, reject=reject, reasons=per_row,
                                               common_reason=request.form.get("common_reason", ""))
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(back)
    db.session.commit()
    parts = [f"{outcome.approved} approved", f"{outcome.rejected} rejected (each trainer was told why)"]
    flash("; ".join(parts) + ".", "success")
    for line in outcome.skipped[:10]:
        flash(f"Skipped {line}", "warning")
    return redirect(back)


def _known_page(job, form, status: int = 200):
    items = list(db.session.scalars(sa.select(ReviewItem).where(ReviewItem.job_id == job.id,
                                                                ReviewItem.is_known.is_(True))
                                    .order_by(ReviewItem.id.desc())))
    return render_template("quality/known_reviews.html", job=job, form=form, items=items), status


@bp.route("/<int:job_id>/known-reviews", methods=["GET", "POST"])
@role_required(Role.REQUESTER)
def known_reviews(job_id):
    job = load_job(job_id, manage=True)
    if request.method == "GET":
        return _known_page(job, KnownReviewForm(formdata=None))
    form = KnownReviewForm()
    if not form.validate_on_submit():
        return _known_page(job, form, 422)
    try:
        answer = json.loads(form.answer_json.data)
    except ValueError:
        form.answer_json.errors = list(form.answer_json.errors) + ["is not valid JSON"]
        return _known_page(job, form, 422)
    try:
        disputes.seed_known_item(job, current_user, task_seq=form.task_seq.data, answer=answer,
                                 expected_decision=form.expected_decision.data, explanation=form.explanation.data)
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc, aliases={"answer": "answer_json"})
        return _known_page(load_job(job_id, manage=True), form, exc.status)
    db.session.commit()
    flash("Known review item added; reviewers meet it at the gold rate.", "success")
    return redirect(url_for("quality_requester.known_reviews", job_id=job.id))
