"""Work page helpers for the task kinds: Run tests (code review), Markdown preview (writing), flag a task."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from ..core.errors import DomainError, ValidationFailed
from ..core.markdown import render_markdown
from ..core.permissions import Role, role_required
from ..core.time import utcnow
from ..extensions import db, limiter
from ..jobs.answers import answer_schema
from ..jobs.storage import check_key, get_storage
from . import forms, kind_forms, services, states, testruns
from .sandbox import SandboxLimits

bp = Blueprint("work_kinds", __name__, url_prefix="/work")

PREVIEW_MAX_CHARS = 100_000


def _per_person() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else (request.remote_addr or "-")


def _json_error(exc: DomainError):
    db.session.rollback()
    return jsonify({"error": {"code": exc.code, "message": exc.message}}), exc.status


@bp.errorhandler(429)
def too_many(exc):
    # These endpoints answer the page's scripts, which read JSON; the limit's words are shown as they are.
    return jsonify({"error": {"code": "rate_limited", "message": "Too many runs in a short time. Wait a minute, "
                                                                "then try again."}}), 429


@bp.route("/tasks/<int:assignment_id>/run-tests", methods=["POST"])
@limiter.limit(lambda: current_app.config["CODE_RUN_RATE_LIMIT"], key_func=_per_person)
@role_required(Role.WORKER)
def run_tests(assignment_id):
    """Run the task's tests against its code in the sandbox; the result is kept and shown (JSON)."""
    try:
        plan = testruns.prepare(assignment_id, current_user, utcnow())
    except DomainError as exc:
        return _json_error(exc)
    # End the read before the sandbox runs (seconds): no transaction or lock is held meanwhile.
    db.session.rollback()
    result = testruns.execute(plan, SandboxLimits.from_config(current_app.config))
    try:
        run = testruns.record(plan, result, utcnow())
        db.session.commit()
    except DomainError as exc:
        return _json_error(exc)
    return jsonify({"run": run.result, "html": render_template("assignment/kinds/_test_run.html", run=run.result)})


@bp.route("/preview", methods=["POST"])
@limiter.limit(lambda: current_app.config["PREVIEW_RATE_LIMIT"], key_func=_per_person)
@role_required(Role.WORKER)
def preview():
    """Markdown preview of a writing answer, rendered by the same sanitiser as everything else (JSON)."""
    body = request.get_json(silent=True)
    text = body.get("text") if isinstance(body, dict) else request.form.get("text")
    if not isinstance(text, str):
        return _json_error(ValidationFailed("Send the text to preview.", field="text"))
    if len(text) > PREVIEW_MAX_CHARS:
        return _json_error(ValidationFailed(f"The text is over {PREVIEW_MAX_CHARS:,} characters.", field="text"))
    return jsonify({"html": str(render_markdown(text))})


@bp.route("/tasks/<int:assignment_id>/flag", methods=["POST"])
@role_required(Role.WORKER)
def flag(assignment_id):
    """Flag the task as broken or harmful: returned without penalty, the requester told (not who)."""
    assignment = services.get_own(assignment_id, current_user)
    form = forms.FlagForm()
    if not form.validate():
        first = next(iter(form.errors.values()))[0]
        flash(f"The task was not flagged: {first}", "error")
        return redirect(url_for("assignment.work", assignment_id=assignment.id) + "#flag")
    then_next = request.form.get("then") == "next"
    try:
        done, following, why = services.flag_task(assignment.id, current_user, reason=form.flag.data,
                                                  note=form.flag_note.data, then_next=then_next)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("assignment.work", assignment_id=assignment_id))
    message = "Thank you: the task is flagged and the requester is told. No penalty for you."
    if following is not None:
        flash(message, "success")
        return redirect(url_for("assignment.work", assignment_id=following.id))
    flash(message + (f" No next task: {why}" if why else ""), "success")
    return redirect(url_for("assignment.my_work"))


def kind_context(assignment) -> dict:
    """What the kind templates and scripts need beyond the frame's context: the answer schema (the page's own
    checks mirror the server's), the pairwise display order, the code's lines and its last test run."""
    job, payload = assignment.job, assignment.task.payload or {}
    context = {"answer_schema": answer_schema(job.kind, job.config), "flag_form": forms.FlagForm(),
               "flag_reasons": states.FLAG_REASONS, "order": None}
    if job.kind == "pairwise_preference":
        context["order"] = kind_forms.response_order(assignment.task_id, assignment.worker_id, payload)
        context["responses"] = {letter: text for letter, text in zip(
            "abcdefghij", [payload.get("response_a"), payload.get("response_b"), *(payload.get("more_responses") or [])])}
    if job.kind == "code_review":
        context["code_lines"] = (payload.get("code") or "").rstrip("\n").split("\n")
        context["can_run_tests"] = testruns.can_run(job, payload)
        last = testruns.latest(assignment.id)
        context["last_run"] = last.result if last is not None else (assignment.answer or {}).get("test_run")
    return context


@bp.route("/tasks/<int:assignment_id>/image")
@role_required(Role.WORKER)
def task_image(assignment_id):
    """The image of a bounding-box task, to the trainer who holds it: a task they took stays readable to them even
    if something changed since (a paused job, a lapsed qualification), so they can finish or look back at it."""
    assignment = services.get_own(assignment_id, current_user)  # anyone else's does not exist (404)
    key = (assignment.task.payload or {}).get("image") or ""
    try:
        check_key(key)
    except ValueError:
        abort(404)
    if not key.startswith(f"images/job-{assignment.job_id}/"):
        abort(404)
    try:
        handle = get_storage().open(key)
    except OSError:
        abort(404)
    response = send_file(handle, mimetype=None, download_name=key.rsplit("/", 1)[-1], max_age=3600)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
