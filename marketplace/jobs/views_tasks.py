"""Requester pages for a job's tasks: upload (JSONL/CSV, ZIP of images), import progress and error reports,
the task list with filters, images, and a CSV template for the job's kind."""
from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from flask import (Blueprint, Response, current_app, jsonify, redirect, render_template, request,
                   send_file, url_for)
from flask_login import current_user

from ..core.errors import DomainError
from ..core.permissions import Role, good_standing_required, require, role_required
from ..core.web import apply_domain_error
from ..extensions import db
from . import policies, services
from .forms import UploadForm
from .import_readers import csv_columns
from .importing import read_progress
from .kinds import KINDS
from .models import ImportRun, Job, Task
from .runner import start_import
from .storage import check_key, get_storage
from .views import load_own_job

bp = Blueprint("job_tasks", __name__, url_prefix="/jobs")
PAGE = 50


@bp.route("/<int:job_id>/tasks")
@role_required(Role.REQUESTER, Role.ADMIN)
def tasks(job_id):
    """Tasks of a job, 50 at a time (keyset pagination on seq), filtered by state, gold and text."""
    job = load_own_job(job_id)
    state = request.args.get("state", "")
    gold = request.args.get("gold", "")
    search = request.args.get("q", "").strip()[:100]
    after = request.args.get("after", type=int) or 0
    query = sa.select(Task).where(Task.job_id == job.id, Task.seq > after).order_by(Task.seq).limit(PAGE + 1)
    if state == "open":
        query = query.where(Task.is_open.is_(True))
    elif state == "filled":
        query = query.where(Task.is_open.is_(False))
    elif state == "done":
        query = query.where(Task.answers_done >= job.answers_per_task)
    if gold == "yes":
        query = query.where(Task.gold.is_not(None))
    elif gold == "no":
        query = query.where(Task.gold.is_(None))
    if search:  # your id for the task, or words in it
        query = query.where(sa.or_(Task.external_id == search,
                                   sa.cast(Task.payload, sa.Text).contains(search, autoescape=True)))
    rows = list(db.session.scalars(query))
    next_after = rows[PAGE - 1].seq if len(rows) > PAGE else None
    return render_template("jobs/tasks.html", job=job, tasks=rows[:PAGE], next_after=next_after, state=state,
                           gold=gold, q=search, kind=KINDS[job.kind])


@bp.route("/<int:job_id>/tasks/upload", methods=["GET", "POST"])
@role_required(Role.REQUESTER)
@good_standing_required
def upload(job_id):
    job = load_own_job(job_id)
    require(policies.can_edit_job(current_user, job), 404)
    request.max_content_length = current_app.config["JOBS_IMPORT_MAX_BYTES"]
    form = UploadForm()
    if form.validate_on_submit():
        upload_file = form.file.data
        images = form.images.data if job.kind == "bounding_boxes" else None
        if not upload_file or not upload_file.filename:
            form.file.errors = list(form.file.errors) + ["Choose a .jsonl or .csv file to upload."]
        else:
            try:
                run = services.queue_import(job, current_user, stream=upload_file.stream,
                                            filename=upload_file.filename, mode=form.mode.data,
                                            images=images.stream if images and images.filename else None)
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                apply_domain_error(form, exc)
            else:
                start_import(run.id)
                return redirect(url_for("job_tasks.import_run", job_id=job.id, run_id=run.id))
    required, optional = csv_columns(job.kind)
    return render_template("jobs/upload.html", job=job, form=form, kind=KINDS[job.kind], required=required,
                           optional=optional), (422 if request.method == "POST" else 200)


def _own_run(job: Job, run_id: int) -> ImportRun:
    run = db.session.get(ImportRun, run_id)
    require(run is not None and run.job_id == job.id, 404)
    return run


@bp.route("/<int:job_id>/imports/<int:run_id>")
@role_required(Role.REQUESTER, Role.ADMIN)
def import_run(job_id, run_id):
    job = load_own_job(job_id)
    run = _own_run(job, run_id)
    return render_template("jobs/import_run.html", job=job, run=run, progress=read_progress(run))


@bp.route("/<int:job_id>/imports/<int:run_id>/progress")
@role_required(Role.REQUESTER, Role.ADMIN)
def import_progress(job_id, run_id):
    """Polled by the progress bar: the run's state and live counters."""
    job = load_own_job(job_id)
    run = _own_run(job, run_id)
    progress = read_progress(run)
    percent = 100 if run.is_finished else min(99, int(100 * progress["bytes_read"] / run.total_bytes)) \
        if run.total_bytes else 0
    return jsonify({"status": run.status, "percent": percent, "message": run.message, **progress})


@bp.route("/<int:job_id>/imports/<int:run_id>/errors.csv")
@role_required(Role.REQUESTER, Role.ADMIN)
def import_errors(job_id, run_id):
    job = load_own_job(job_id)
    run = _own_run(job, run_id)
    require(run.error_report_key is not None, 404)
    return send_file(get_storage().open(run.error_report_key), mimetype="text/csv", as_attachment=True,
                     download_name=f"job-{job.id}-import-{run.id}-errors.csv")


@bp.route("/<int:job_id>/tasks/template.csv")
@role_required(Role.REQUESTER, Role.ADMIN)
def csv_template(job_id):
    """A CSV with the job kind's header and one example row, to fill in."""
    job = load_own_job(job_id)
    kind = KINDS[job.kind]
    required, optional = csv_columns(job.kind)
    columns = [c for c in required + optional if c != "meta.<name>"] + ["meta.source"]
    example = dict(kind.example_task)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerow([example.get(c, "") for c in columns])
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={job.kind}-template.csv"})


@bp.route("/<int:job_id>/images/<path:key>")
@role_required(Role.REQUESTER, Role.ADMIN, Role.WORKER)
def image(job_id, key):
    """An image of a bounding-box task: to its requester, admins, and trainers who may work on the job."""
    job = db.session.get(Job, job_id)
    require(job is not None and policies.can_view_as_trainer(current_user, job), 404)
    if current_user.is_worker:  # task data reaches only trainers who may work on it (country limits included)
        require(not services.eligibility(current_user, job), 404)
    try:
        check_key(key)
    except ValueError:
        require(False, 404)
    require(key.startswith(f"images/job-{job.id}/"), 404)
    try:
        handle = get_storage().open(key)
    except OSError:
        require(False, 404)
    response = send_file(handle, mimetype=None, download_name=key.rsplit("/", 1)[-1], max_age=3600)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
