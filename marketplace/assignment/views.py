"""Trainer pages: My work (what I can start, what I cannot and why) and the work page (one task at a time)."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from jinja2 import TemplateNotFound

from ..core.errors import DomainError, ValidationFailed
from ..core.markdown import render_instructions
from ..core.permissions import Role, good_standing_required, require, role_required
from ..core.time import utcnow
from ..extensions import db
from ..jobs import budget
from ..jobs import policies as job_policies
from ..jobs.models import Job
from . import forms, matching, queue, services, states, worktime
from .views_kinds import kind_context
from .models import Assignment

bp = Blueprint("assignment", __name__, url_prefix="/work")


def _job_for_trainer(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    require(job is not None and job_policies.can_view_as_trainer(current_user, job), 404)
    return job


def pay_context(job: Job) -> dict:
    """The pay figures a trainer reads: the full rate (the platform fee is on top, paid by the requester)."""
    fee = current_app.config["PLATFORM_FEE_BASIS_POINTS"]
    return {"per_hour_cents": job.hourly_rate_cents, "fee_percent": f"{fee / 100:g}",
            "net_per_hour_cents": job.hourly_rate_cents,
            "per_task_cents": budget.earnings_per_task_cents(job.hourly_rate_cents, job.est_minutes_per_task)}


def kind_template(kind: str) -> str | None:
    """The kind's answer section (templates/assignment/kinds/<kind>.html), or None when the kind is answered
    through the API for now."""
    name = f"assignment/kinds/{kind}.html"
    try:
        current_app.jinja_env.get_template(name)
    except TemplateNotFound:
        return None
    return name


@bp.route("/")
@role_required(Role.WORKER)
def my_work():
    now = utcnow()
    my_queue = queue.my_queue(current_user, now)
    return render_template("assignment/my_work.html", queue=my_queue, now=now, kind_template=kind_template,
                           fmt=worktime.format_duration, hours_text=matching.hours_text, pay=pay_context)


@bp.route("/jobs/<int:job_id>/start", methods=["POST"])
@role_required(Role.WORKER)
@good_standing_required
def start(job_id):
    """Start working: claim the next task of the job (or resume the one held) and open the work page."""
    job = _job_for_trainer(job_id)
    try:
        assignment = services.start_work(job, current_user,
                                         accept_warning=bool(request.form.get("accept_warning")))[0]
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".my_work"))
    return redirect(url_for(".work", assignment_id=assignment.id))


@bp.route("/jobs/<int:job_id>")
@role_required(Role.WORKER)
def job(job_id):
    """A job as the work engine sees it for this trainer: pay and rules, every rule that keeps them out (with
    what would change it), the content warning to accept, and the instructions."""
    job = _job_for_trainer(job_id)
    now = utcnow()
    excl = services.work_exclusions(current_user, job, now)
    if not matching.blocking(excl):
        excl = services.work_exclusions(current_user, job, now, supply=services.task_supply(job, current_user.id))
    return render_template("assignment/job.html", job=job, exclusions=excl, blocking=matching.blocking(excl),
                           warning=next((e for e in excl if not e.blocking), None),
                           has_page=kind_template(job.kind) is not None,
                           instructions=render_instructions(job.instructions), **pay_context(job))


@bp.route("/jobs/<int:job_id>/instructions")
@role_required(Role.WORKER, Role.REQUESTER, Role.ADMIN)
def instructions(job_id):
    job = _job_for_trainer(job_id)
    return render_template("assignment/instructions.html", job=job, instructions=render_instructions(job.instructions))


def _render_work(assignment: Assignment, *, errors: dict | None = None, values: dict | None = None,
                 status: int = 200):
    now = utcnow()
    job = assignment.job
    time = worktime.work_time(current_user.id, now)
    values = values if values is not None else (assignment.draft or assignment.answer or {})
    return render_template(
        "assignment/work.html", a=assignment, job=job, task=assignment.task, payload=assignment.task.payload,
        c=job.config, values=values, errors=errors or {}, kind_template=kind_template(job.kind),
        seconds_left=services.seconds_left(assignment, now), states=states,
        warn_seconds=current_app.config["ASSIGNMENT_EXPIRY_WARNING_SECONDS"],
        today=worktime.format_duration(time.today_seconds), progress=services.my_progress(job.id, current_user, now),
        instructions=render_instructions(job.instructions), return_form=forms.ReturnForm(), pay=pay_context(job),
        **kind_context(assignment)), status


@bp.route("/tasks/<int:assignment_id>")
@role_required(Role.WORKER)
def work(assignment_id):
    return _render_work(services.get_own(assignment_id, current_user))


def _after(done: Assignment, following: Assignment | None, why: str | None, success: str):
    if following is not None:
        flash(success, "success")
        return redirect(url_for(".work", assignment_id=following.id))
    flash(success + (f" No next task: {why}" if why else ""), "success" if not why else "info")
    return redirect(url_for(".my_work"))


@bp.route("/tasks/<int:assignment_id>/submit", methods=["POST"])
@role_required(Role.WORKER)
def submit(assignment_id):
    assignment = services.get_own(assignment_id, current_user)
    job = assignment.job
    then_next = request.form.get("then") == "next"
    try:
        answer = forms.answer_from_form(job.kind, job.config, request.form, assignment=assignment)
        done, following, why = services.submit_and_next(assignment.id, current_user, answer, then_next=then_next)
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        assignment = services.get_own(assignment_id, current_user)
        if assignment.status == states.RESERVED:
            flash(exc.message, "error")
            errors = exc.errors if isinstance(exc.errors, dict) else {}
            return _render_work(assignment, errors=errors, values=forms.draft_from_form(job.kind, request.form),
                                status=422)
        flash(exc.message, "error")
        return redirect(url_for(".work", assignment_id=assignment_id))
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".work", assignment_id=assignment_id))
    message = "Submitted." if done.status == states.SUBMITTED else "Submitted and accepted."
    if not then_next:
        flash(message + " Take a break whenever you like; your next task is one click away.", "success")
        return redirect(url_for(".my_work"))
    return _after(done, following, why, message)


@bp.route("/tasks/<int:assignment_id>/draft", methods=["POST"])
@role_required(Role.WORKER)
def save_draft(assignment_id):
    """Autosave from the work page (form fields or a JSON body {"draft": {...}}); answers in JSON."""
    try:
        assignment = services.get_own(assignment_id, current_user)
        body = request.get_json(silent=True) if request.is_json else None
        draft = body.get("draft") if isinstance(body, dict) else forms.draft_from_form(assignment.job.kind, request.form)
        assignment = services.save_draft(assignment.id, current_user, draft)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return jsonify({"error": {"code": exc.code, "message": exc.message}}), exc.status
    return jsonify({"saved_at": assignment.draft_saved_at.isoformat(),
                    "seconds_left": services.seconds_left(assignment)})


@bp.route("/tasks/<int:assignment_id>/return", methods=["POST"])
@role_required(Role.WORKER)
def give_back(assignment_id):
    """Return a task without penalty (optionally saying why), then go back to My work or on to the next."""
    assignment = services.get_own(assignment_id, current_user)
    form = forms.ReturnForm()
    if not form.validate():
        flash("Choose one of the listed reasons (or none) and keep the note under 1,000 characters.", "error")
        return redirect(url_for(".work", assignment_id=assignment.id))
    then_next = request.form.get("then") == "next"
    try:
        done, following, why = services.return_and_next(assignment.id, current_user, reason=form.reason.data or None,
                                                         note=form.note.data or "", then_next=then_next)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".work", assignment_id=assignment_id))
    return _after(done, following, why, "Task returned; no penalty. Someone else will pick it up.")
