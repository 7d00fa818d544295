"""What the requester's results page shows for one job: progress, agreement (now and over time), per-trainer
figures under pseudonymous codes, gold items most often missed, and the items in dispute."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from ..assignment.models import Assignment
from ..core.errors import Conflict
from ..core.time import utcnow
from ..extensions import db
from ..jobs.models import Job, Task
from . import results, scoring
from .gold import Accuracy
from .models import (GoldContest, GoldScore, PeerReview, QualityRestriction, QualitySnapshot, ReviewDispute, ReviewItem,
                     TaskAggregate)
from .pseudonyms import trainer_code


@dataclass
class TrainerRow:
    code: str
    n_answers: int
    gold: object            # gold.Accuracy
    agreement: float | None
    kappa: float | None
    ds_accuracy: float | None
    removal_id: int | None


@dataclass
class Dashboard:
    job: Job
    status_counts: dict
    gold_tasks: int
    review_open: int
    snapshot: QualitySnapshot | None
    is_live_computation: bool      # computed for this page view (small job), not read from storage
    stale: bool
    is_small: bool = True          # exports compute aggregates live (else from the stored snapshot)
    trainers: list[TrainerRow] = field(default_factory=list)
    contests: list = field(default_factory=list)      # (GoldContest, task seq, code)
    disputes: list = field(default_factory=list)      # (ReviewDispute, PeerReview, task seq, code)
    hard_gold: list = field(default_factory=list)     # (task id, seq, n scored, n missed)
    removals: list = field(default_factory=list)      # (QualityRestriction, code)
    doubtful: list = field(default_factory=list)      # DoubtfulTask, least confident first
    method: str | None = None                         # the aggregation method `doubtful` shows


@dataclass(frozen=True)
class DoubtfulTask:
    task_id: int
    seq: int
    answer: object
    confidence: float
    n_answers: int
    is_tie: bool


N_DOUBTFUL = 10


def _live_snapshot(job: Job) -> tuple[QualitySnapshot, dict]:
    """A snapshot computed now and not stored (GET pages do not write), with its aggregates."""
    data = results.compute(job)
    alpha = data["alpha"]
    return QualitySnapshot(job_id=job.id, computed_at=utcnow(), last_answer_at=data["last_answer_at"],
                           n_answers=data["n_answers"], n_tasks=data["n_tasks"],
                           alpha=alpha.alpha if alpha else None,
                           alpha_note=alpha.verdict() if alpha else "Free-text answers are not compared.",
                           data={k: data[k] for k in results.SNAPSHOT_KEYS} | {"methods": sorted(data["aggregates"])}), \
        data["aggregates"]


def _doubtful(job: Job, snap: QualitySnapshot | None, live_aggregates: dict | None) -> tuple[str | None, list]:
    """The least confident aggregated answers (ties first among equals): where a second look pays off."""
    if live_aggregates is not None:
        method = results.main_method(live_aggregates)
        if method is None:
            return None, []
        worst = sorted(live_aggregates[method].values(), key=lambda a: (a.confidence, not a.is_tie, a.task))
        rows = [(a.task, sorted(a.value) if isinstance(a.value, frozenset) else a.value, a.confidence, a.n_votes,
                 a.is_tie) for a in worst[:N_DOUBTFUL]]
    else:
        method = results.main_method((snap.data or {}).get("methods", [])) if snap else None
        if method is None:
            return None, []
        rows = [(t, (v or {}).get("answer"), c, n, tie) for t, v, c, n, tie in db.session.execute(
            sa.select(TaskAggregate.task_id, TaskAggregate.value, TaskAggregate.confidence, TaskAggregate.n_answers,
                      TaskAggregate.is_tie).where(TaskAggregate.job_id == job.id, TaskAggregate.method == method)
            .order_by(TaskAggregate.confidence, TaskAggregate.is_tie.desc(), TaskAggregate.task_id)
            .limit(N_DOUBTFUL))]
    seqs = dict(db.session.execute(sa.select(Task.id, Task.seq).where(Task.id.in_([r[0] for r in rows]))).all())
    return method, [DoubtfulTask(t, seqs.get(t, 0), v, float(c), n, bool(tie)) for t, v, c, n, tie in rows
                    if tie or float(c) < results.LOW_CONFIDENCE]


def build(job: Job) -> Dashboard:
    counts = dict(db.session.execute(sa.select(Assignment.status, sa.func.count(Assignment.id))
                                     .where(Assignment.job_id == job.id).group_by(Assignment.status)).all())
    gold_tasks = db.session.scalar(sa.select(sa.func.count(Task.id)).where(Task.job_id == job.id,
                                                                          Task.gold.is_not(None))) or 0
    review_open = db.session.scalar(sa.select(sa.func.count(ReviewItem.id)).where(
        ReviewItem.job_id == job.id, ReviewItem.is_known.is_(False), ReviewItem.status.in_(("open", "claimed")))) or 0
    snap = results.latest(job.id)
    stale = results.is_stale(job, snap)
    live, small, live_aggregates = False, results.is_small(job.id), None
    if stale and small:
        (snap, live_aggregates), live, stale = _live_snapshot(job), True, False
    board = Dashboard(job, counts, gold_tasks, review_open, snap, live, stale, small)
    if job.answers_per_task > 1:
        board.method, board.doubtful = _doubtful(job, snap, live_aggregates)

    accuracies = scoring.job_accuracies(job.id)
    removed = dict(db.session.execute(sa.select(QualityRestriction.worker_id, QualityRestriction.id).where(
        QualityRestriction.job_id == job.id, QualityRestriction.status == "active")).all())
    per = (snap.data.get("trainers", {}) if snap else {}) or {}
    answered = dict(db.session.execute(sa.select(Assignment.worker_id, sa.func.count(Assignment.id)).where(
        Assignment.job_id == job.id, Assignment.status.in_(results.ANSWERED)).group_by(Assignment.worker_id)).all())
    for worker in sorted(set(answered) | set(accuracies) | set(removed)):
        info = per.get(str(worker), {})
        board.trainers.append(TrainerRow(trainer_code(job.id, worker), answered.get(worker, 0),
                                         accuracies.get(worker, Accuracy(0, 0, None)), info.get("agreement"),
                                         info.get("kappa"), info.get("ds_accuracy"), removed.get(worker)))
    board.trainers.sort(key=lambda r: r.code)

    for contest, seq in db.session.execute(
            sa.select(GoldContest, Task.seq).join(Task, Task.id == GoldContest.task_id)
            .where(GoldContest.job_id == job.id).order_by(GoldContest.status != "open", GoldContest.id.desc())
            .limit(50)):
        board.contests.append((contest, seq, trainer_code(job.id, contest.worker_id)))
    for dispute, seq in db.session.execute(
            sa.select(ReviewDispute, Task.seq).join(PeerReview, PeerReview.id == ReviewDispute.review_id)
            .join(ReviewItem, ReviewItem.id == PeerReview.item_id).join(Task, Task.id == ReviewItem.task_id)
            .where(ReviewDispute.job_id == job.id).order_by(ReviewDispute.status != "open", ReviewDispute.id.desc())
            .limit(50)):
        board.disputes.append((dispute, dispute.review, seq, trainer_code(job.id, dispute.worker_id)))
    missed = sa.func.sum(sa.case((GoldScore.passed.is_(False), 1), else_=0))
    board.hard_gold = db.session.execute(
        sa.select(Task.id, Task.seq, sa.func.count(GoldScore.id), missed).join(GoldScore, GoldScore.task_id == Task.id)
        .where(Task.job_id == job.id, GoldScore.source == "answer").group_by(Task.id, Task.seq)
        .having(missed > 0).order_by(missed.desc(), Task.seq).limit(10)).all()
    for row in db.session.scalars(sa.select(QualityRestriction).where(QualityRestriction.job_id == job.id)
                                  .order_by(QualityRestriction.id.desc()).limit(50)):
        board.removals.append((row, trainer_code(job.id, row.worker_id)))
    return board


def series_for_chart(snap: QualitySnapshot | None) -> dict:
    """Chart.js data: cumulative alpha by day and the number of answers behind each point."""
    series = (snap.data.get("series") if snap else None) or []
    return {"labels": [p[0] for p in series], "alpha": [p[1] for p in series], "answers": [p[2] for p in series]}


def refresh(job: Job, actor, now: datetime | None = None) -> QualitySnapshot:
    """The requester's "Recompute now": store a new snapshot (small jobs only; big ones are scheduled)."""
    if not results.is_small(job.id):
        raise Conflict("This job has too many answers to compute while you wait; it is recomputed every 10 "
                       "minutes by the scheduler.")
    return results.snapshot(job, now)
