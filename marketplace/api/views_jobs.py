"""Requester API: jobs (create, read, update, publish, pause, resume, close, add budget), task uploads, imports,
tasks, progress; the OpenAPI document and docs page. Money moves through the jobs services' events."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, render_template, request, send_file, url_for

from ..core.errors import NotFound, ValidationFailed
from ..extensions import db, limiter
from ..jobs import services as jobs
from ..jobs.kinds import KINDS, answer_schema, config_schema, import_row_schema, task_schema
from ..jobs.models import ImportRun, Job, Task
from ..jobs.runner import start_import
from ..jobs.schemas import JOB_CREATE, JOB_UPDATE, standalone
from ..jobs.storage import get_storage
from . import openapi
from .openapi import ADD_BUDGET
from .auth import after_commit, api_view, idempotent, json_body
from .serializers import decode_cursor, encode_cursor, import_json, job_json, task_json

bp = Blueprint("api_jobs", __name__, url_prefix="/api/v1")


def _rate_key() -> str:
    """Limit per token (or per signed-in person), falling back to the address for anonymous calls."""
    from flask import g
    from flask_login import current_user
    token = g.get("api_token")
    if token is not None:
        return f"token:{token.id}"
    return f"user:{current_user.id}" if current_user.is_authenticated else request.remote_addr or "-"


limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=_rate_key)(bp)
REQUESTER = ("requester",)
MAX_ID = 2 ** 31 - 1
JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines", "application/x-jsonlines")


def own_job(job_id: int) -> Job:
    """The caller's job, or 404 (another requester's job does not exist for them)."""
    from flask_login import current_user
    job = db.session.get(Job, job_id) if job_id <= MAX_ID else None
    if job is None or job.requester_id != current_user.id:
        raise NotFound("There is no such job.")
    return job


def page_limit() -> int:
    raw = request.args.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise ValidationFailed("limit must be a whole number from 1 to 100.", errors={"limit": "is out of range"})
    return int(raw)


@bp.route("/jobs", methods=["GET"])
@api_view(roles=REQUESTER, scope="jobs:read")
def list_jobs():
    """Your jobs, newest first, by cursor."""
    from flask_login import current_user
    limit, after = page_limit(), decode_cursor(request.args.get("cursor"))
    query = sa.select(Job).where(Job.requester_id == current_user.id).order_by(Job.id.desc()).limit(limit + 1)
    if after:
        query = query.where(Job.id < after)
    rows = list(db.session.scalars(query))
    more = len(rows) > limit
    return {"data": [job_json(j) for j in rows[:limit]],
            "next_cursor": encode_cursor(rows[limit - 1].id) if more else None}, 200


@bp.route("/jobs", methods=["POST"])
@api_view(roles=REQUESTER, scope="jobs:write", good_standing=True)
@idempotent
def create_job():
    """Create a draft job; send Idempotency-Key to make retries safe."""
    from flask_login import current_user
    job = jobs.create_job(current_user, json_body(standalone(JOB_CREATE)))
    return job_json(job), 201


@bp.route("/jobs/<int:job_id>", methods=["GET"])
@api_view(roles=REQUESTER, scope="jobs:read")
def get_job(job_id):
    return job_json(own_job(job_id)), 200


@bp.route("/jobs/<int:job_id>", methods=["PATCH"])
@api_view(roles=REQUESTER, scope="jobs:write")
def update_job(job_id):
    """Change fields; published jobs keep kind, configuration and overlap, and their rate can only rise."""
    from flask_login import current_user
    job = own_job(job_id)
    jobs.update_job(job, current_user, json_body(standalone(JOB_UPDATE)))
    return job_json(job), 200


def _action(job_id: int, change):
    from flask_login import current_user
    job = own_job(job_id)
    change(job, current_user)
    return job_json(job), 200


@bp.route("/jobs/<int:job_id>/publish", methods=["POST"])
@api_view(roles=REQUESTER, scope="jobs:write", good_standing=True, moves_money=True)
def publish_job(job_id):
    """Move the budget into escrow and open the job to trainers."""
    return _action(job_id, jobs.publish_job)


@bp.route("/jobs/<int:job_id>/pause", methods=["POST"])
@api_view(roles=REQUESTER, scope="jobs:write")
def pause_job(job_id):
    return _action(job_id, jobs.pause_job)


@bp.route("/jobs/<int:job_id>/resume", methods=["POST"])
@api_view(roles=REQUESTER, scope="jobs:write", good_standing=True, moves_money=True)
def resume_job(job_id):
    return _action(job_id, jobs.resume_job)


@bp.route("/jobs/<int:job_id>/close", methods=["POST"])
@api_view(roles=REQUESTER, scope="jobs:write", moves_money=True)
def close_job(job_id):
    """Close for good; unused escrow returns to your funds."""
    return _action(job_id, jobs.close_job)


@bp.route("/jobs/<int:job_id>/budget", methods=["POST"])
@api_view(roles=REQUESTER, scope="jobs:write", good_standing=True, moves_money=True)
@idempotent
def add_budget(job_id):
    """Move more of your funds into a live job's escrow (Idempotency-Key required: a retry never adds twice)."""
    from flask_login import current_user
    key = request.headers.get("Idempotency-Key")
    if not key:
        raise ValidationFailed("Send an Idempotency-Key header, so a retry never adds the money twice.",
                               errors={"Idempotency-Key": "is required"})
    job = own_job(job_id)
    amount = json_body(ADD_BUDGET)["amount_cents"]
    jobs.add_budget(job, current_user, amount, f"api:{current_user.id}:{key}")
    return job_json(job), 200


@bp.route("/jobs/<int:job_id>/progress", methods=["GET"])
@api_view(roles=REQUESTER, scope="jobs:read")
def progress(job_id):
    job = own_job(job_id)
    budget = current_app.extensions.get("job_budget")
    return {"job_id": job.id, "status": job.status, "task_count": job.task_count, "tasks_done": job.tasks_done,
            "answers_per_task": job.answers_per_task,
            "budget": budget(job) if budget and not job.is_draft else None}, 200


@bp.route("/jobs/<int:job_id>/tasks", methods=["POST"])
@api_view(roles=REQUESTER, scope="jobs:write", good_standing=True)
@idempotent
def upload_tasks(job_id):
    """Upload tasks as a JSONL body (application/x-ndjson), a CSV body (text/csv), or a multipart form with
    `file` (and `images`, a ZIP, for bounding boxes). `mode` is all_or_nothing (default) or skip_invalid."""
    from flask_login import current_user
    job = own_job(job_id)
    request.max_content_length = current_app.config["JOBS_IMPORT_MAX_BYTES"]
    mode = request.args.get("mode", "all_or_nothing")
    images = None
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ValidationFailed("Send the tasks in a form field named file.", errors={"file": "is required"})
        stream, filename = upload.stream, upload.filename
        if request.files.get("images") and request.files["images"].filename:
            images = request.files["images"].stream
        mode = request.form.get("mode", mode)
    elif request.mimetype in JSONL_TYPES:
        stream, filename = request.stream, "upload.jsonl"
    elif request.mimetype == "text/csv":
        stream, filename = request.stream, "upload.csv"
    else:
        raise ValidationFailed("Send JSONL (Content-Type: application/x-ndjson), CSV (text/csv) or a multipart "
                               "form with a file.", code="unsupported_media_type", status=415,
                               errors={"Content-Type": "is not supported"})
    run = jobs.queue_import(job, current_user, stream=stream, filename=filename, mode=mode, images=images)
    after_commit(lambda: start_import(run.id))
    return import_json(run), 202


@bp.route("/jobs/<int:job_id>/imports/<int:run_id>", methods=["GET"])
@api_view(roles=REQUESTER, scope="jobs:read")
def get_import(job_id, run_id):
    job = own_job(job_id)
    run = db.session.get(ImportRun, run_id) if run_id <= MAX_ID else None
    if run is None or run.job_id != job.id:
        raise NotFound("There is no such import.")
    return import_json(run), 200


@bp.route("/jobs/<int:job_id>/imports/<int:run_id>/errors", methods=["GET"])
@api_view(roles=REQUESTER, scope="jobs:read")
def import_errors(job_id, run_id):
    """The CSV error report of an import (line, field, message)."""
    job = own_job(job_id)
    run = db.session.get(ImportRun, run_id) if run_id <= MAX_ID else None
    if run is None or run.job_id != job.id or not run.error_report_key:
        raise NotFound("This import has no error report.")
    return send_file(get_storage().open(run.error_report_key), mimetype="text/csv", as_attachment=True,
                     download_name=f"job-{job.id}-import-{run.id}-errors.csv")


@bp.route("/jobs/<int:job_id>/tasks", methods=["GET"])
@api_view(roles=REQUESTER, scope="jobs:read")
def list_tasks(job_id):
    """A job's tasks in import order, by cursor."""
    job = own_job(job_id)
    limit, after = page_limit(), decode_cursor(request.args.get("cursor"))
    rows = list(db.session.scalars(sa.select(Task).where(Task.job_id == job.id, Task.seq > after)
                                   .order_by(Task.seq).limit(limit + 1)))
    more = len(rows) > limit
    return {"data": [task_json(t) for t in rows[:limit]],
            "next_cursor": encode_cursor(rows[limit - 1].seq) if more else None}, 200


@bp.route("/kinds", methods=["GET"])
def kinds():
    """Task kinds with their configuration, task-row and answer schemas (public)."""
    return jsonify({"data": [{"name": name, "label": kind.label, "description": kind.description,
                              "config_schema": config_schema(name), "task_schema": task_schema(name),
                              "import_row_schema": import_row_schema(name), "answer_schema": answer_schema(name),
                              "example_config": kind.example_config, "example_task": kind.example_task,
                              "example_answer": kind.example_answer} for name, kind in KINDS.items()]})


@bp.route("/openapi.json")
def openapi_document():
    return jsonify(openapi.document(current_app))


@bp.route("/docs")
def docs():
    """A readable page generated from the OpenAPI document."""
    document = openapi.document(current_app)
    return render_template("api/docs.html", doc=document, kinds=KINDS,
                           openapi_url=url_for("api_jobs.openapi_document"))
