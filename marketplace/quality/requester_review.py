"""The requester's review screen: submitted answers of a job, filtered by trainer (pseudonym), by disagreement
with the other answers to the task, or by failed gold items; bulk approve, and reject with a written reason per
answer or one reason for the selection. Decisions go through the work engine's review service."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from ..assignment import review as assignment_review
from ..assignment.models import Assignment
from ..core.errors import Conflict, NotFound, ValidationFailed
from ..core.time import utcnow
from ..extensions import db
from ..jobs.models import Job
from .agreement import as_hashable
from .models import GoldScore
from .pseudonyms import trainer_code, worker_for_code
from .results import ANSWERED, agreement_value

FILTERS = ("all", "disagreement", "gold_failed")
PAGE = 50
SCAN_LIMIT = 5000  # rows looked at for one page of the disagreement filter


@dataclass
class Row:
    assignment: Assignment
    code: str
    gold: GoldScore | None = None
    agree: int | None = None     # answers to the task with the same value (this one included)
    answers: int | None = None   # answers to the task


@dataclass
class Page:
    rows: list[Row] = field(default_factory=list)
    next_after: int | None = None
    codes: list[str] = field(default_factory=list)


def trainers_of(job_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(Assignment.worker_id).where(Assignment.job_id == job_id).distinct()))


def _agreement(job: Job, task_ids: list[int]) -> dict[int, Counter]:
    """Per task, how many answers give each value (for 'k of n agree' and the disagreement filter)."""
    out: dict[int, Counter] = defaultdict(Counter)
    rows = db.session.execute(sa.select(Assignment.task_id, Assignment.answer).where(
        Assignment.task_id.in_(task_ids), Assignment.status.in_(ANSWERED)))
    for task_id, answer in rows:
        value = agreement_value(job.kind, job.config, answer)
        if value is not None and job.kind not in ("rating", "bounding_boxes"):
            out[task_id][as_hashable(value)] += 1
    return out


def review_page(job: Job, *, only: str = "all", code: str = "", after: int | None = None) -> Page:
    """One page of the job's submitted answers under the chosen filters, oldest first (keyset on id)."""
    if only not in FILTERS:
        only = "all"
    workers = trainers_of(job.id)
    page = Page(codes=sorted(trainer_code(job.id, w) for w in workers))
    query = (sa.select(Assignment, GoldScore).outerjoin(GoldScore, GoldScore.assignment_id == Assignment.id)
             .where(Assignment.job_id == job.id, Assignment.status == "submitted").order_by(Assignment.id))
    if code:
        worker = worker_for_code(job.id, code, workers)
        if worker is None:
            return page
        query = query.where(Assignment.worker_id == worker)
    if only == "gold_failed":
        query = query.where(GoldScore.passed.is_(False))
    scanned, cursor = 0, after
    while len(page.rows) < PAGE and scanned < SCAN_LIMIT:
        batch = db.session.execute((query.where(Assignment.id > cursor) if cursor else query).limit(200)).all()
        if not batch:
            cursor = None
            break
        counts = _agreement(job, [a.task_id for a, _ in batch])
        for assignment, gold in batch:
            scanned += 1
            cursor = assignment.id
            tally = counts.get(assignment.task_id)
            value = agreement_value(job.kind, job.config, assignment.answer)
            agree = tally.get(as_hashable(value), 0) if tally and value is not None else None
            n = sum(tally.values()) if tally else None
            if only == "disagreement" and not (n and agree is not None and agree < n):
                continue
            page.rows.append(Row(assignment, trainer_code(job.id, assignment.worker_id), gold, agree, n))
            if len(page.rows) >= PAGE:
                break
    page.next_after = cursor if cursor and (len(page.rows) >= PAGE or scanned >= SCAN_LIMIT) else None
    return page


@dataclass
class BulkOutcome:
    approved: int = 0
    rejected: int = 0
    skipped: list[str] = field(default_factory=list)


def bulk_review(job: Job, actor, *, approve: list[int], reject: list[int], reasons: dict[int, str],
                common_reason: str = "", now: datetime | None = None) -> BulkOutcome:
    """Approve and reject many answers at once. Every rejection needs a written reason: its own, or the one
    given for the selection. Checked in full before anything changes; an answer decided meanwhile (e.g.
    approved automatically) is skipped and listed, the others are decided in this transaction."""
    now = now or utcnow()
    if not approve and not reject:
        raise ValidationFailed("Select at least one answer.")
    if set(approve) & set(reject):
        raise ValidationFailed("An answer cannot be both approved and rejected; check the selection.")
    ids = set(approve) | set(reject)
    owned = set(db.session.scalars(sa.select(Assignment.id).where(Assignment.id.in_(ids),
                                                                  Assignment.job_id == job.id)))
    if owned != ids:
        raise NotFound("Some of the selected answers are not in this job; reload the page.")
    common = (common_reason or "").strip()
    missing = [i for i in reject if len((reasons.get(i) or common).strip()) < assignment_review.MIN_REASON_CHARS]
    if missing:
        raise ValidationFailed(
            f"{len(missing)} rejection(s) have no written reason of at least {assignment_review.MIN_REASON_CHARS} "
            "characters: write one per answer, or one reason for the whole selection.", field="reason",
            errors={f"reason_{i}": "needs a reason" for i in missing})
    out = BulkOutcome()
    for assignment_id in sorted(approve):
        try:
            assignment_review.approve(assignment_id, actor, now=now)
            out.approved += 1
        except Conflict as exc:
            out.skipped.append(f"#{assignment_id}: {exc.message}")
    for assignment_id in sorted(reject):
        try:
            assignment_review.reject(assignment_id, actor, (reasons.get(assignment_id) or common).strip(), now=now)
            out.rejected += 1
        except Conflict as exc:
            out.skipped.append(f"#{assignment_id}: {exc.message}")
    return out
