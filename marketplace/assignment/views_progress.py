"""Requester pages of the work engine: a job's progress, its answers per task, and the review of answers."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..core.errors import DomainError
from ..core.permissions import Role, good_standing_required, require, role_required
from ..core.time import utcnow
from ..extensions import db
from ..jobs import policies as job_policies
from ..jobs.models import Job, Task
from . import forms, progress, review, states

bp = Blueprint("work_progress", __name__, url_prefix="/jobs")


def _own_job(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    require(job is not None and job_policies.can_view_job(current_user, job), 404)
    return job


def pseudonym(worker_id: int) -> str:
    """Requesters see a stable trainer number, not a name: answers are judged, not people."""
    return f"Trainer #{worker_id}"


@bp.route("/<int:job_id>/progress")
@role_required(Role.REQUESTER, Role.ADMIN)
def job_progress(job_id):
    job = _own_job(job_id)
    now = utcnow()
    stats = progress.job_progress(job, now)
    return render_template("assignment/progress.html", job=job, p=stats, pending=progress.awaiting_review(job.id),
                           reject_form=forms.RejectForm(), can_review=review.can_review(current_user, job),
                           pseudonym=pseudonym, states=states,
                           chart={"labels": [h.strftime("%H:00") for h, _ in stats.hourly],
                                  "counts": [c for _, c in stats.hourly]})


@bp.route("/<int:job_id>/progress/tasks")
@role_required(Role.REQUESTER, Role.ADMIN)
def job_tasks(job_id):
    job = _own_job(job_id)
    after = request.args.get("after", default=0, type=int)
    tasks = progress.tasks_page(job.id, after_seq=max(0, after))
    return render_template("assignment/progress_tasks.html", job=job, tasks=tasks, after=after,
                           next_after=tasks[-1].seq if len(tasks) == 50 else None)


@bp.route("/<int:job_id>/progress/tasks/<int:task_id>")
@role_required(Role.REQUESTER, Role.ADMIN)
def task_answers(job_id, task_id):
    job = _own_job(job_id)
    task = db.session.get(Task, task_id)
    require(task is not None and task.job_id == job.id, 404)
    return render_template("assignment/task_answers.html", job=job, task=task, answers=progress.task_answers(task),
                           reject_form=forms.RejectForm(), can_review=review.can_review(current_user, job),
                           pseudonym=pseudonym, states=states)


def _back(job_id: int):
    target = request.form.get("back")
    if target and target.startswith(f"/jobs/{job_id}/"):
        return redirect(target)
    return redirect(url_for(".job_progress", job_id=job_id))


@bp.route("/<int:job_id>/answers/<int:assignment_id>/approve", methods=["POST"])
@role_required(Role.REQUESTER, Role.ADMIN)
@good_standing_required
def approve(job_id, assignment_id):
    job = _own_job(job_id)
    try:
        review.approve(assignment_id, current_user, job_id=job.id)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash("Answer approved.", "success")
    return _back(job.id)


@bp.route("/<int:job_id>/answers/<int:assignment_id>/reject", methods=["POST"])
@role_required(Role.REQUESTER, Role.ADMIN)
@good_standing_required
def reject(job_id, assignment_id):
    job = _own_job(job_id)
    form = forms.RejectForm()
    if not form.validate():
        flash("Write why the answer is rejected (at least 15 characters): the trainer reads it and may appeal.",
              "error")
        return _back(job.id)
    try:
        review.reject(assignment_id, current_user, form.reason.data, job_id=job.id)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash("Answer rejected. The trainer has your reason, and the task is open for another answer.", "success")
    return _back(job.id)
