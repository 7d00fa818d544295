"""Requester pages: a job's results dashboard, exports, a gold item with its contests (answer, correct), and
decisions on disputed peer reviews."""
from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..assignment.models import Assignment
from ..core.errors import DomainError
from ..core.permissions import Role, require, role_required
from ..core.web import apply_domain_error
from ..extensions import db
from ..jobs.models import Job, Task
from . import contests, dashboard, disputes, exporting, policies
from .forms import CorrectGoldForm, DecideDisputeForm, PostForm, UpholdForm
from .models import GoldContest, GoldCorrection, GoldScore
from .pseudonyms import trainer_code

bp = Blueprint("quality_results", __name__, url_prefix="/jobs")


def load_job(job_id: int, manage: bool = False) -> Job:
    """The job, for its requester (or an admin reading): anyone else gets a 404, as if it did not exist."""
    job = db.session.get(Job, job_id)
    allowed = job is not None and (policies.can_manage_quality(current_user, job) if manage
                                   else policies.can_view_results(current_user, job))
    require(allowed, 404)
    return job


@bp.route("/<int:job_id>/results")
@role_required(Role.REQUESTER, Role.ADMIN)
def results(job_id):
    job = load_job(job_id)
    board = dashboard.build(job)
    return render_template("quality/results.html", job=job, board=board, chart=dashboard.series_for_chart(
        board.snapshot), can_manage=policies.can_manage_quality(current_user, job), form=PostForm(),
        dispute_form=DecideDisputeForm(), formats=exporting.FORMATS)


@bp.route("/<int:job_id>/results/refresh", methods=["POST"])
@role_required(Role.REQUESTER)
def refresh(job_id):
    job = load_job(job_id, manage=True)
    if not PostForm().validate_on_submit():
        flash("The form had expired; try again.", "error")
        return redirect(url_for("quality_results.results", job_id=job.id))
    try:
        dashboard.refresh(job, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "info")
        return redirect(url_for("quality_results.results", job_id=job.id))
    db.session.commit()
    flash("Agreement and aggregated answers recomputed.", "success")
    return redirect(url_for("quality_results.results", job_id=job.id))


@bp.route("/<int:job_id>/export")
@role_required(Role.REQUESTER, Role.ADMIN)
def export(job_id):
    job = load_job(job_id)
    try:
        return exporting.streamed_response(job, request.args.get("format", "jsonl"),
                                           request.args.get("what", "answers"))
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("quality_results.results", job_id=job.id))


def _gold_page(job: Job, task: Task, form=None, uphold_forms=None, status: int = 200):
    form = form or CorrectGoldForm(formdata=None, gold_json=json.dumps(task.gold or {}, ensure_ascii=False))
    scores = db.session.execute(sa.select(GoldScore, Assignment.answer).join(
        Assignment, Assignment.id == GoldScore.assignment_id).where(
        GoldScore.task_id == task.id, GoldScore.source == "answer").order_by(GoldScore.id)).all()
    contest_rows = list(db.session.scalars(sa.select(GoldContest).where(GoldContest.task_id == task.id)
                                           .order_by(GoldContest.status != "open", GoldContest.id)))
    corrections = list(db.session.scalars(sa.select(GoldCorrection).where(GoldCorrection.task_id == task.id)
                                          .order_by(GoldCorrection.id.desc())))
    uphold_forms = uphold_forms or {}
    return render_template("quality/gold_item.html", job=job, task=task, form=form, scores=scores,
                           n_passed=sum(1 for s, _ in scores if s.passed),
                           code=lambda w: trainer_code(job.id, w), contests=contest_rows, corrections=corrections,
                           explanation=contests.gold_explanation(task), can_manage=policies.can_manage_quality(
                               current_user, job),
                           uphold_form=lambda c: uphold_forms.get(c.id) or UpholdForm(formdata=None)), status


def _task(job: Job, task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    require(task is not None and task.job_id == job.id, 404)
    return task


@bp.route("/<int:job_id>/gold/<int:task_id>")
@role_required(Role.REQUESTER, Role.ADMIN)
def gold_item(job_id, task_id):
    job = load_job(job_id)
    return _gold_page(job, _task(job, task_id))


@bp.route("/<int:job_id>/gold/<int:task_id>/correct", methods=["POST"])
@role_required(Role.REQUESTER)
def correct_gold(job_id, task_id):
    job = load_job(job_id, manage=True)
    task = _task(job, task_id)
    form = CorrectGoldForm()
    if not form.validate_on_submit():
        return _gold_page(job, task, form, status=422)
    if job.kind == "classification" and request.form.getlist("labels"):
        new_gold = {"labels": request.form.getlist("labels")}
    else:
        try:
            new_gold = json.loads(form.gold_json.data or "")
        except ValueError:
            form.gold_json.errors = list(form.gold_json.errors) + ["is not valid JSON"]
            return _gold_page(job, task, form, status=422)
    try:
        correction = contests.correct_gold(task.id, current_user, new_gold, form.explanation.data,
                                           contest_id=form.contest_id.data or None)
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc, aliases={"gold": "gold_json"})
        return _gold_page(load_job(job_id, manage=True), _task(job, task_id), form, status=exc.status)
    db.session.commit()
    flash(f"Gold answer corrected: {correction.n_rescored} answer(s) re-scored, {correction.n_changed} result(s) "
          "changed; those trainers were told.", "success")
    return redirect(url_for("quality_results.gold_item", job_id=job.id, task_id=task.id))


@bp.route("/<int:job_id>/contests/<int:contest_id>/uphold", methods=["POST"])
@role_required(Role.REQUESTER)
def uphold(job_id, contest_id):
    job = load_job(job_id, manage=True)
    contest = db.session.get(GoldContest, contest_id)
    require(contest is not None and contest.job_id == job.id, 404)
    form = UpholdForm()
    task = _task(job, contest.task_id)
    if not form.validate_on_submit():
        return _gold_page(job, task, uphold_forms={contest.id: form}, status=422)
    try:
        contests.uphold_gold(contest.id, current_user, form.response.data)
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc)
        return _gold_page(load_job(job_id, manage=True), _task(job, task.id), uphold_forms={contest_id: form},
                          status=exc.status)
    db.session.commit()
    flash("Your answer was sent to the trainer; the expected answer stands.", "success")
    return redirect(url_for("quality_results.gold_item", job_id=job.id, task_id=task.id))


@bp.route("/<int:job_id>/disputes/<int:dispute_id>", methods=["POST"])
@role_required(Role.REQUESTER, Role.ADMIN)
def decide_dispute(job_id, dispute_id):
    job = load_job(job_id)
    require(policies.can_decide_disputes(current_user, job), 404)
    form = DecideDisputeForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(errors[0], "error")
        return redirect(url_for("quality_results.results", job_id=job.id, _anchor="disputes"))
    try:
        disputes.decide_dispute(dispute_id, current_user, form.outcome.data, form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("quality_results.results", job_id=job.id, _anchor="disputes"))
    db.session.commit()
    flash("Dispute decided; the trainer (and, if overturned, the reviewer) were told why.", "success")
    return redirect(url_for("quality_results.results", job_id=job.id, _anchor="disputes"))
