"""Exports of a job's results, streamed from the database (yield_per cursors) through the pure writers in
exports.py: raw answers or aggregates as JSONL or CSV, boxes as COCO or YOLO. Trainers appear only as their
pseudonymous code for the job; nothing in an export names a person."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from itertools import groupby
from pathlib import PurePosixPath
from typing import Iterator

import sqlalchemy as sa
from flask import Response, stream_with_context

from ..assignment.models import Assignment
from ..core.errors import ValidationFailed
from ..extensions import db
from ..jobs.models import Job, Task
from . import aggregation, exports, results, rules
from .models import PeerReview, ReviewDispute, ReviewItem, TaskAggregate
from .pseudonyms import trainer_code
from .results import agreement_value

log = logging.getLogger(__name__)
FORMATS = ("jsonl", "csv", "coco", "yolo")
WHATS = ("answers", "aggregates")
BATCH = 1000
EXPORTED_STATUSES = ("submitted", "approved", "rejected")
CSV_ANSWER_COLUMNS = ("task_id", "task_seq", "external_id", "trainer", "status", "submitted_at", "value", "answer",
                      "corrected_answer", "metadata")
CSV_AGGREGATE_COLUMNS = ("task_id", "task_seq", "external_id", "method", "answer", "confidence", "n_answers", "is_tie")


@dataclass(frozen=True)
class JobInfo:
    """What the export generators need of the job, read up front: a streamed body runs after the view has
    returned (and, in the API, after its commit), when the Job instance may be expired or detached."""

    id: int
    kind: str
    config: dict
    title: str


@dataclass(frozen=True)
class Export:
    body: Iterator  # str pieces (bytes for YOLO)
    mimetype: str
    filename: str


class _Codes(dict):
    """worker id -> pseudonym, computed once per trainer of the export."""

    def __init__(self, job_id: int):
        super().__init__()
        self.job_id = job_id

    def __missing__(self, worker_id):
        self[worker_id] = code = trainer_code(self.job_id, worker_id)
        return code


def _stream(query):
    return db.session.execute(query.execution_options(yield_per=BATCH))


def _corrections():
    """Peer corrections that stand (no dispute overturned them), as a subquery by assignment id."""
    overturned = sa.exists().where(ReviewDispute.review_id == PeerReview.id, ReviewDispute.status == "overturned")
    return (sa.select(ReviewItem.assignment_id, PeerReview.corrected_answer)
            .join(PeerReview, PeerReview.item_id == ReviewItem.id)
            .where(PeerReview.decision == "correct", ~overturned).subquery())


def answer_rows(job: Job) -> Iterator[dict]:
    """Every answer of the job in task order, streamed: one dict per answer."""
    fixed = _corrections()
    query = (sa.select(Task.id, Task.seq, Task.external_id, Task.meta, Assignment.worker_id, Assignment.status,
                       Assignment.submitted_at, Assignment.answer, fixed.c.corrected_answer)
             .join(Assignment, Assignment.task_id == Task.id)
             .outerjoin(fixed, fixed.c.assignment_id == Assignment.id)
             .where(Task.job_id == job.id, Assignment.job_id == job.id, Assignment.status.in_(EXPORTED_STATUSES))
             .order_by(Task.seq, Assignment.id))
    codes = _Codes(job.id)
    for task_id, seq, external_id, meta, worker_id, status, at, answer, corrected in _stream(query):
        value = agreement_value(job.kind, job.config, answer)
        yield {"task_id": task_id, "task_seq": seq, "external_id": external_id, "trainer": codes[worker_id],
               "status": status, "submitted_at": at, "value": value if not isinstance(value, list) else None,
               "answer": answer, "corrected_answer": corrected, "metadata": meta}


def aggregate_rows(job: Job) -> Iterator[dict]:
    """The aggregates in task order, streamed: computed from the answers as they are now for a small job
    (results.is_small: what the results page shows is what downloads), else from the latest stored snapshot
    (recomputed by the scheduler)."""
    if results.is_small(job.id):
        yield from _live_aggregate_rows(job)
        return
    query = (sa.select(Task.id, Task.seq, Task.external_id, TaskAggregate.method, TaskAggregate.value,
                       TaskAggregate.confidence, TaskAggregate.n_answers, TaskAggregate.is_tie)
             .join(TaskAggregate, TaskAggregate.task_id == Task.id)
             .where(Task.job_id == job.id, TaskAggregate.job_id == job.id)
             .order_by(Task.seq, TaskAggregate.method))
    for task_id, seq, external_id, method, value, confidence, n, tie in _stream(query):
        yield {"task_id": task_id, "task_seq": seq, "external_id": external_id, "method": method,
               "answer": (value or {}).get("answer"), "confidence": round(confidence, 6), "n_answers": n,
               "is_tie": tie}


def _live_aggregate_rows(job: Job) -> Iterator[dict]:
    by_method = results.aggregates_now(job)
    tasks = {t for per_task in by_method.values() for t in per_task}
    for task_id, seq, external_id in _stream(sa.select(Task.id, Task.seq, Task.external_id)
                                             .where(Task.job_id == job.id).order_by(Task.seq)):
        if task_id not in tasks:
            continue
        for method in sorted(by_method):
            agg = by_method[method].get(task_id)
            if agg is None:
                continue
            value = sorted(agg.value) if isinstance(agg.value, frozenset) else agg.value
            yield {"task_id": task_id, "task_seq": seq, "external_id": external_id, "method": method,
                   "answer": value, "confidence": round(float(agg.confidence), 6), "n_answers": agg.n_votes,
                   "is_tie": bool(agg.is_tie)}


def _json_ready(rows: Iterator[dict]) -> Iterator[dict]:
    for row in rows:
        if isinstance(row.get("value"), frozenset):
            row["value"] = sorted(row["value"])
        yield row


# --- boxes -------------------------------------------------------------------------------------------------

def _image(task_id, payload: dict) -> dict:
    name = payload.get("original_name") or PurePosixPath(str(payload.get("image", f"task-{task_id}"))).name
    return {"id": task_id, "file_name": name, "width": payload.get("width"), "height": payload.get("height")}


def _images(job: Job) -> Iterator[dict]:
    for task_id, payload in _stream(sa.select(Task.id, Task.payload).where(Task.job_id == job.id).order_by(Task.seq)):
        yield _image(task_id, payload)


def _known_labels(job: Job, boxes: Iterator[dict]) -> Iterator[dict]:
    """Only boxes whose label is one of the job's (COCO and YOLO number the job's labels); an answer stored
    with another label (older data, a label renamed since) is logged and left out, never a broken download."""
    labels = set(job.config.get("labels", []))
    for box in boxes:
        if box["label"] in labels:
            yield box
        else:
            log.warning("export of job %s leaves out a box labelled %r (not one of the job's labels)", job.id,
                        box["label"])


def _box_annotations(job: Job, what: str) -> Iterator[dict]:
    """COCO annotations: every trainer's boxes (answers), or the consensus boxes per task (aggregates)."""
    if what == "aggregates":
        for image, agg in _consensus_per_task(job):
            yield from _known_labels(job, (dict(box, image_id=image["id"]) for box in agg.value))
        return
    for row in answer_rows(job):
        if row["status"] == "rejected":
            continue
        boxes = agreement_value(job.kind, job.config, row["answer"]) or []
        yield from _known_labels(job, (dict(box, image_id=row["task_id"], trainer=row["trainer"]) for box in boxes))


def _consensus_per_task(job: Job) -> Iterator[tuple[dict, aggregation.Aggregate]]:
    """(image, consensus aggregate) per task, grouped while streaming the answers in task order: always as
    current as the answers, whatever the last snapshot. A task nobody answered yet has no boxes."""
    threshold = rules.settings_for(job.id).iou_threshold
    query = (sa.select(Task.id, Task.payload, Assignment.worker_id, Assignment.answer)
             .outerjoin(Assignment, sa.and_(Assignment.task_id == Task.id, Assignment.status.in_(results.ANSWERED)))
             .where(Task.job_id == job.id).order_by(Task.seq, Assignment.id))
    for (task_id, payload), rows in groupby(_stream(query), key=lambda r: (r[0], r[1])):
        by_trainer = {}
        for _, _, worker, answer in rows:
            boxes = agreement_value(job.kind, job.config, answer) if worker is not None else None
            if boxes is not None:
                by_trainer[worker] = boxes
        yield _image(task_id, payload), aggregation.consensus_aggregate(task_id, by_trainer, threshold)


def _yolo_images(job: Job) -> Iterator[tuple[dict, list]]:
    for image, agg in _consensus_per_task(job):
        yield image, list(_known_labels(job, iter(agg.value)))


def export(job: Job | JobInfo, fmt: str, what: str = "answers") -> Export:
    """The export of `job` in `fmt` ("jsonl", "csv", "coco", "yolo") of `what` ("answers" or "aggregates")."""
    job = JobInfo(job.id, job.kind, dict(job.config or {}), job.title)
    if fmt not in FORMATS:
        raise ValidationFailed(f"Choose a format: {', '.join(FORMATS)}.", field="format",
                               errors={"format": f"must be one of {', '.join(FORMATS)}"})
    if what not in WHATS:
        raise ValidationFailed("Choose answers or aggregates.", field="what",
                               errors={"what": "must be answers or aggregates"})
    stem = f"job-{job.id}-{what}"
    if fmt in ("coco", "yolo") and job.kind != "bounding_boxes":
        raise ValidationFailed(f"{fmt.upper()} exports are for bounding-box jobs; use JSONL or CSV.", field="format")
    if fmt == "jsonl":
        rows = answer_rows(job) if what == "answers" else aggregate_rows(job)
        return Export(exports.chunked(exports.jsonl_lines(_json_ready(rows))), "application/x-ndjson", f"{stem}.jsonl")
    if fmt == "csv":
        if what == "answers":
            body = exports.csv_lines(_json_ready(answer_rows(job)), CSV_ANSWER_COLUMNS, excel_bom=True)
        else:
            body = exports.csv_lines(aggregate_rows(job), CSV_AGGREGATE_COLUMNS, excel_bom=True)
        return Export(exports.chunked(body), "text/csv; charset=utf-8", f"{stem}.csv")
    labels = list(job.config.get("labels", []))
    if fmt == "coco":
        body = exports.coco_json(_images(job), _box_annotations(job, what), labels, description=job.title)
        return Export(exports.chunked(body), "application/json", f"{stem}-coco.json")
    return Export(exports.chunked(exports.yolo_zip(_yolo_images(job), labels)), "application/zip",
                  f"job-{job.id}-yolo.zip")


def streamed_response(job: Job, fmt: str, what: str) -> Response:
    """The export as a streamed download (pages and API): memory holds one batch of rows at a time."""
    out = export(job, fmt, what)
    response = Response(stream_with_context(out.body), mimetype=out.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{out.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
