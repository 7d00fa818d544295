"""Trainer pages: my quality (accuracy per job and kind with item counts, the rule's verdict, removals, missed
gold items with the expected answer and explanation), one gold item with its contest, and removals."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from ..assignment.models import Assignment
from ..core.errors import DomainError
from ..core.permissions import Role, require, role_required
from ..core.web import apply_domain_error
from ..extensions import db
from ..jobs.models import Job, Task
from . import contests, disputes, removals, scoring
from .forms import ContestForm, DisputeForm, LiftForm
from .models import GoldContest, GoldScore, QualityRestriction

bp = Blueprint("quality", __name__, url_prefix="/quality")


@bp.route("")
@role_required(Role.WORKER)
def my_quality():
    me = current_user.id
    per_job = scoring.accuracy_by_job(me)
    verdicts = {}
    for row in per_job:
        job = db.session.get(Job, row.job_id)
        verdicts[row.job_id] = removals.decision_for(job, me)
    missed = scoring.missed_items(me, limit=50)
    contest_by_score = {c.score_id: c for c in db.session.scalars(
        sa.select(GoldContest).where(GoldContest.worker_id == me))}
    tasks = {t.id: t for t in db.session.scalars(sa.select(Task).where(Task.id.in_({s.task_id for s in missed})))}
    jobs = {j.id: j for j in db.session.scalars(sa.select(Job).where(Job.id.in_({s.job_id for s in missed})))}
    my_removals = list(db.session.scalars(sa.select(QualityRestriction).where(QualityRestriction.worker_id == me)
                                          .order_by(QualityRestriction.status, QualityRestriction.id.desc())))
    reviews = disputes.reviews_of_my_work(me)
    review_jobs = dict(db.session.execute(sa.select(Job.id, Job.title).where(
        Job.id.in_({r.job_id for r, _ in reviews}))).all())
    return render_template("quality/my_quality.html", per_job=per_job, verdicts=verdicts,
                           by_kind=scoring.accuracy_by_kind(me), missed=missed, tasks=tasks, jobs=jobs,
                           contest_by_score=contest_by_score, removals=my_removals,
                           reviews=reviews, review_jobs=review_jobs, reviewer=disputes.reviewer_record(me),
                           dispute_form=DisputeForm())


def _own_score(score_id: int) -> GoldScore:
    score = db.session.get(GoldScore, score_id)
    require(score is not None and score.worker_id == current_user.id, 404)
    return score


@bp.route("/items/<int:score_id>")
@role_required(Role.WORKER)
def my_gold_item(score_id):
    score = _own_score(score_id)
    return _item_page(score, ContestForm())


def _item_page(score: GoldScore, form, status: int = 200):
    task, job = db.session.get(Task, score.task_id), db.session.get(Job, score.job_id)
    my_answer = None
    if score.source == "answer":
        my_answer = db.session.scalar(sa.select(Assignment.answer).where(Assignment.id == score.assignment_id))
    return render_template("quality/my_gold_item.html", score=score, task=task, job=job, my_answer=my_answer,
                           expected=task.gold, explanation=contests.gold_explanation(task),
                           contest=contests.contest_for(score.id), form=form), status


@bp.route("/items/<int:score_id>/contest", methods=["POST"])
@role_required(Role.WORKER)
def contest_item(score_id):
    score = _own_score(score_id)
    form = ContestForm()
    if not form.validate_on_submit():
        return _item_page(score, form, 422)
    try:
        contests.contest_gold(score.id, current_user, form.text.data)
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc)
        return _item_page(_own_score(score_id), form, exc.status)
    db.session.commit()
    flash("Your contest was sent to the requester. This item is left out of the quality rule until they answer.",
          "success")
    return redirect(url_for("quality.my_gold_item", score_id=score_id))


def _visible_removal(restriction_id: int) -> QualityRestriction:
    row = db.session.get(QualityRestriction, restriction_id)
    require(row is not None and (row.worker_id == current_user.id or removals.can_lift(current_user, row)), 404)
    return row


@bp.route("/removals/<int:restriction_id>")
@role_required(Role.WORKER, Role.REQUESTER, Role.ADMIN)
def removal(restriction_id):
    row = _visible_removal(restriction_id)
    return _removal_page(row, LiftForm())


def _removal_page(row: QualityRestriction, form, status: int = 200):
    mine = row.worker_id == current_user.id
    missed = []
    if mine:
        ids = (row.evidence or {}).get("missed_task_ids", [])
        missed = list(db.session.execute(
            sa.select(GoldScore, Task.seq).join(Task, Task.id == GoldScore.task_id).where(
                GoldScore.worker_id == row.worker_id, GoldScore.job_id == row.job_id, GoldScore.task_id.in_(ids),
                GoldScore.source == "answer")).all())
    appeal_url = None
    if mine and "moderation.file_appeal" in current_app.view_functions:  # the moderation room's appeals
        appeal_url = url_for("moderation.file_appeal", kind="quality_restriction", subject_id=row.id)
    return render_template("quality/removal.html", row=row, mine=mine, missed=missed, form=form,
                           appeal_url=appeal_url, can_lift=removals.can_lift(current_user, row)), status


@bp.route("/removals/<int:restriction_id>/lift", methods=["POST"])
@role_required(Role.REQUESTER, Role.ADMIN)
def lift_removal(restriction_id):
    row = _visible_removal(restriction_id)
    form = LiftForm()
    if not form.validate_on_submit():
        return _removal_page(row, form, 422)
    try:
        removals.lift_by_person(row.id, current_user, form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc)
        return _removal_page(_visible_removal(restriction_id), form, exc.status)
    db.session.commit()
    flash("The removal is lifted; the trainer was told why and starts afresh on the rule.", "success")
    return redirect(url_for("quality.removal", restriction_id=restriction_id))


@bp.route("/reviews/<int:review_id>/dispute", methods=["POST"])
@role_required(Role.WORKER)
def dispute(review_id):
    form = DisputeForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(errors[0], "error")
        return redirect(url_for("quality.my_quality", _anchor="reviews"))
    try:
        disputes.dispute_review(review_id, current_user, form.text.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("quality.my_quality", _anchor="reviews"))
    db.session.commit()
    flash("Your dispute was sent; the requester or an admin decides it in writing.", "success")
    return redirect(url_for("quality.my_quality", _anchor="reviews"))
