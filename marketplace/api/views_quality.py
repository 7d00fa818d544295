"""Results API: a job's quality summary and streamed exports (/api/v1/jobs/<id>/export?format=...).

Same services as the results pages; a token needs the jobs:read scope (or the session). A job that is not the
caller's does not exist for them (404).
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from ..core.errors import NotFound
from ..extensions import db
from ..jobs.models import Job
from ..quality import dashboard, exporting, policies
from .auth import api_view

bp = Blueprint("api_quality", __name__, url_prefix="/api/v1")
JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}


def openapi_paths() -> dict:
    """The results endpoints in the OpenAPI document (api/openapi.py collects each room's paths)."""
    from .openapi import _json, _responses
    export = {"get": {
        "summary": "Stream a job's answers or aggregated answers", "tags": ["results"],
        "parameters": [JOB_ID,
                       {"name": "format", "in": "query", "required": False,
                        "schema": {"type": "string", "enum": list(exporting.FORMATS)}},
                       {"name": "what", "in": "query", "required": False,
                        "schema": {"type": "string", "enum": list(exporting.WHATS)}}],
        "responses": {**_responses("200", None, "The export", 404, 422),
                      "200": {"description": "JSONL, CSV, COCO JSON or a YOLO ZIP, streamed", "content": {
                          "application/x-ndjson": {"schema": {"type": "string"}},
                          "text/csv": {"schema": {"type": "string"}},
                          "application/json": {"schema": {"type": "object"}},
                          "application/zip": {"schema": {"type": "string", "format": "binary"}}}}}}}
    summary = {"get": {"summary": "Progress, agreement and per-trainer figures (pseudonymous codes)",
                       "tags": ["results"], "parameters": [JOB_ID],
                       "responses": _responses("200", {"type": "object"}, "The job's results", 404)}}
    return {"/api/v1/jobs/{job_id}/export": export, "/api/v1/jobs/{job_id}/results": summary}


@bp.record_once
def _document(state):
    state.app.extensions.setdefault("openapi_paths", []).append(openapi_paths)


READERS = ("requester", "admin")


def _own_job(job_id: int) -> Job:
    job = db.session.get(Job, job_id) if job_id < 2 ** 31 else None
    if job is None or not policies.can_view_results(current_user, job):
        raise NotFound("There is no such job.")
    return job


@bp.route("/jobs/<int:job_id>/export")
@api_view(roles=READERS, scope="jobs:read")
def export(job_id):
    """Stream the job's answers or aggregates: format=jsonl|csv|coco|yolo, what=answers|aggregates."""
    job = _own_job(job_id)
    return exporting.streamed_response(job, request.args.get("format", "jsonl"),
                                       request.args.get("what", "answers"))


@bp.route("/jobs/<int:job_id>/results")
@api_view(roles=READERS, scope="jobs:read")
def results(job_id):
    """Progress, agreement and per-trainer figures (pseudonymous codes only)."""
    job = _own_job(job_id)
    board = dashboard.build(job)
    snap = board.snapshot
    return jsonify({
        "job_id": job.id, "tasks": job.task_count, "tasks_done": job.tasks_done, "answers": board.status_counts,
        "gold_tasks": board.gold_tasks,
        "agreement": None if snap is None else {
            "alpha": snap.alpha, "reading": snap.alpha_note, "n_answers": snap.n_answers, "n_tasks": snap.n_tasks,
            "computed_at": snap.computed_at.isoformat(), "per_label": snap.data.get("parts", {}),
            "over_time": dashboard.series_for_chart(snap)},
        "trainers": [{"code": t.code, "answers": t.n_answers, "gold_items": t.gold.n_items,
                      "gold_correct": t.gold.n_passed, "agreement": t.agreement, "kappa": t.kappa,
                      "estimated_accuracy": t.ds_accuracy, "removed": t.removal_id is not None}
                     for t in board.trainers],
        "open_contests": sum(1 for c, _, _ in board.contests if c.status == "open"),
        "exports": {f: f"/api/v1/jobs/{job.id}/export?format={f}" for f in exporting.FORMATS},
    })
