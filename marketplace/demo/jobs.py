"""Demo step: realistic jobs of every task kind, with tasks imported through the real import path.

Jobs are published when the payments room is installed and the requester's demo funds cover the budget
(the money moves into escrow as for any requester); otherwise they stay drafts. Idempotent: a job whose
title its requester already has is left alone.
"""
from __future__ import annotations

import io
import json
import logging
import zipfile
from pathlib import Path

import sqlalchemy as sa

from ..accounts.models import User
from ..core.errors import DomainError
from ..extensions import db
from ..jobs import services
from ..jobs.importing import run_import
from ..jobs.models import Job

log = logging.getLogger(__name__)
DATA = Path(__file__).resolve().parent / "data" / "demo_jobs.json"
IMAGES = Path(__file__).resolve().parents[1] / "static" / "demo"


def _images_zip(rows: list[dict]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted({row["image"] for row in rows}):
            archive.write(IMAGES / name, name)
    buffer.seek(0)
    return buffer


def seed() -> list[Job]:
    """Create the demo jobs (idempotent); returns the jobs created this time."""
    created = []
    for key, spec in json.loads(DATA.read_text(encoding="utf-8")).items():
        requester = db.session.scalar(sa.select(User).where(User.email == spec["requester"]))
        if requester is None:
            continue
        title = spec["job"]["title"]
        if db.session.scalar(sa.select(Job.id).where(Job.requester_id == requester.id, Job.title == title)):
            continue
        job = services.create_job(requester, dict(spec["job"]))
        rows = spec["tasks"]
        body = io.BytesIO("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8"))
        images = _images_zip(rows) if job.kind == "bounding_boxes" else None
        run = services.queue_import(job, requester, stream=body, filename=f"{key}.jsonl", mode="all_or_nothing",
                                    images=images)
        db.session.commit()
        run = run_import(run.id)
        if run.status != "succeeded":
            log.warning("demo job %r: import failed: %s %s", title, run.message, run.errors_preview[:3])
            continue
        job = db.session.get(Job, job.id)
        if services.money_is_wired():
            try:
                with db.session.begin_nested():
                    services.publish_job(job, requester)
            except DomainError as exc:
                log.warning("demo job %r stays a draft: %s", title, exc.message)
        db.session.commit()
        created.append(job)
    return created
