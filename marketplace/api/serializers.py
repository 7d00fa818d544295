"""JSON shapes of jobs, tasks and imports in the API (documented by the same dicts in openapi.py)."""
from __future__ import annotations

import base64
import binascii

from flask import url_for

from ..core.errors import ValidationFailed
from ..jobs import states
from ..jobs.importing import read_progress
from ..jobs.services import job_values


def iso(value) -> str | None:
    return value.isoformat() if value else None


def job_json(job) -> dict:
    data = job_values(job)
    data.update({"id": job.id, "status": job.status, "paused_reason": job.paused_reason,
                 "task_count": job.task_count, "tasks_done": job.tasks_done,
                 "allowed_actions": states.allowed_actions(job.status), "created_at": iso(job.created_at),
                 "updated_at": iso(job.updated_at), "published_at": iso(job.published_at),
                 "closed_at": iso(job.closed_at),
                 "links": {"self": url_for("api_jobs.get_job", job_id=job.id),
                           "tasks": url_for("api_jobs.list_tasks", job_id=job.id),
                           "page": url_for("jobs.view_job", job_id=job.id)}})
    return data


def task_json(task) -> dict:
    return {"id": task.id, "seq": task.seq, "external_id": task.external_id, "payload": task.payload,
            "gold": task.gold, "metadata": task.meta, "is_open": task.is_open, "answers_done": task.answers_done,
            "created_at": iso(task.created_at)}


def import_json(run) -> dict:
    progress = read_progress(run)
    return {"id": run.id, "job_id": run.job_id, "status": run.status, "mode": run.mode,
            "file_format": run.file_format, "original_name": run.original_name, "total_bytes": run.total_bytes,
            "bytes_read": progress["bytes_read"], "rows_seen": progress["rows_seen"],
            "rows_imported": progress["rows_imported"] if run.is_finished else 0,
            "rows_invalid": progress["rows_invalid"], "percent": run.percent, "message": run.message,
            "errors": run.errors_preview,
            "error_report_url": url_for("api_jobs.import_errors", job_id=run.job_id, run_id=run.id)
            if run.error_report_key else None,
            "created_at": iso(run.created_at), "started_at": iso(run.started_at),
            "finished_at": iso(run.finished_at),
            "links": {"self": url_for("api_jobs.get_import", job_id=run.job_id, run_id=run.id)}}


def encode_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(f"after:{value}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The position after which the next page starts; a cursor we did not make is a 422, not a 500."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = text.partition(":")
        value = int(number)
        if prefix != "after" or not 0 <= value < 2 ** 62:
            raise ValueError
        return value
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ValidationFailed("That cursor is not valid; use the next_cursor of a previous page.",
                               errors={"cursor": "is not valid"}) from None
