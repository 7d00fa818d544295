"""Results API: a job's quality summary and streamed exports (/api/v1/jobs/<id>/export?format=...).

Same services as the results pages. Authentication is the session for now; when the requester API's token
guard (api/auth.py, api_view) is merged, these views take it with a "results:read" scope.
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from flask_login import current_user

from ..core.errors import NotFound
from ..extensions import db
from ..jobs.models import Job
from ..quality import dashboard, exporting, policies

bp = Blueprint("api_quality", __name__, url_prefix="/api/v1")


def _own_job(job_id: int) -> Job:
    if not current_user.is_authenticated:
        abort(401)
    if current_user.role not in ("requester", "admin"):
        abort(403, description="Results are for the job's requester.")
    job = db.session.get(Job, job_id) if job_id < 2 ** 31 else None
    if job is None or not policies.can_view_results(current_user, job):
        raise NotFound("There is no such job.")
    return job


@bp.route("/jobs/<int:job_id>/export")
def export(job_id):
    """Stream the job's answers or aggregates: format=jsonl|csv|coco|yolo, what=answers|aggregates."""
    job = _own_job(job_id)
    return exporting.streamed_response(job, request.args.get("format", "jsonl"), request.args.get("what", "answers"))


@bp.route("/jobs/<int:job_id>/results")
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
