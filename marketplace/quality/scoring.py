"""Gold scoring of submitted answers, and the accuracy figures built on it (always with their item counts)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..extensions import db
from ..jobs.models import Job
from . import rules
from .gold import Accuracy, GoldFormatError, score_gold
from .models import GoldContest, GoldScore
from .restrictions import GoldOutcome

log = logging.getLogger(__name__)


def scorable(kind: str, config: dict | None, answer):
    """An answer (or gold answer) in the shape gold.py scores. The work page stores a single-label choice as
    {"labels": ["x"]}; gold.py reads a "labels" list as multi-label (partial credit), so single-label jobs
    pass {"label": "x"} and get the single-label sentence ("You chose 'x'; the expected label is 'y'")."""
    if (kind == "classification" and isinstance(answer, dict) and not (config or {}).get("multiple")
            and isinstance(answer.get("labels"), list) and len(answer["labels"]) == 1):
        return {**{k: v for k, v in answer.items() if k != "labels"}, "label": answer["labels"][0]}
    return answer


def score_answer(assignment, job: Job, task, now: datetime) -> GoldScore | None:
    """Score a just-submitted answer when its task has a gold answer; returns the stored score or None.

    Kinds that need a person (writing, a code review gold without a verdict) are not scored. A malformed
    gold answer is the requester's to fix: it is logged and the trainer is not scored against it.
    """
    if task.gold is None:
        return None
    try:
        result = score_gold(job.kind, scorable(job.kind, job.config, assignment.answer),
                            scorable(job.kind, job.config, task.gold),
                            rules.scoring_rules(rules.settings_for(job.id)))
    except GoldFormatError as exc:
        log.warning("gold answer of task %s (job %s) cannot be scored: %s", task.id, job.id, exc)
        return None
    if result is None:
        return None
    row = GoldScore(job_id=job.id, task_id=task.id, worker_id=assignment.worker_id, source="answer",
                    assignment_id=assignment.id, kind=job.kind, passed=result.passed,
                    score=min(1.0, max(0.0, float(result.score))), explanation=result.explanation, scored_at=now)
    db.session.add(row)
    db.session.flush()
    return row


def _accuracy(n, passed, mean) -> Accuracy:
    return Accuracy(int(n or 0), int(passed or 0), float(mean) if mean is not None else None)


_PASSED = sa.func.sum(sa.case((GoldScore.passed.is_(True), 1), else_=0))


@dataclass(frozen=True)
class JobAccuracy:
    job_id: int
    title: str
    kind: str
    accuracy: Accuracy


def accuracy_by_job(worker_id: int, source: str = "answer") -> list[JobAccuracy]:
    """The trainer's gold accuracy on each job they were scored on (or, source="review", as a reviewer)."""
    rows = db.session.execute(
        sa.select(GoldScore.job_id, Job.title, Job.kind, sa.func.count(GoldScore.id), _PASSED,
                  sa.func.avg(GoldScore.score))
        .join(Job, Job.id == GoldScore.job_id)
        .where(GoldScore.worker_id == worker_id, GoldScore.source == source)
        .group_by(GoldScore.job_id, Job.title, Job.kind).order_by(GoldScore.job_id)).all()
    return [JobAccuracy(job_id, title, kind, _accuracy(n, p, m)) for job_id, title, kind, n, p, m in rows]


def accuracy_by_kind(worker_id: int) -> dict[str, Accuracy]:
    """The trainer's gold accuracy per task kind, across jobs."""
    rows = db.session.execute(
        sa.select(GoldScore.kind, sa.func.count(GoldScore.id), _PASSED, sa.func.avg(GoldScore.score))
        .where(GoldScore.worker_id == worker_id).group_by(GoldScore.kind).order_by(GoldScore.kind)).all()
    return {kind: _accuracy(n, p, m) for kind, n, p, m in rows}


def job_accuracies(job_id: int, source: str = "answer") -> dict[int, Accuracy]:
    """Every trainer's gold accuracy on one job (the requester's per-trainer column)."""
    rows = db.session.execute(
        sa.select(GoldScore.worker_id, sa.func.count(GoldScore.id), _PASSED, sa.func.avg(GoldScore.score))
        .where(GoldScore.job_id == job_id, GoldScore.source == source).group_by(GoldScore.worker_id)).all()
    return {w: _accuracy(n, p, m) for w, n, p, m in rows}


def outcomes(job_id: int, worker_id: int, since: datetime | None = None) -> list[GoldOutcome]:
    """The trainer's scored gold answers on a job, oldest first, with open contests flagged (the rule leaves
    those out until they are decided). `since` drops items scored before a fresh start."""
    open_contest = sa.exists().where(GoldContest.score_id == GoldScore.id, GoldContest.status == "open")
    query = (sa.select(GoldScore.task_id, GoldScore.passed, GoldScore.scored_at, open_contest)
             .where(GoldScore.job_id == job_id, GoldScore.worker_id == worker_id, GoldScore.source == "answer")
             .order_by(GoldScore.scored_at, GoldScore.id))
    if since is not None:
        query = query.where(GoldScore.scored_at >= since)
    return [GoldOutcome(task_id, bool(passed), at, bool(contested))
            for task_id, passed, at, contested in db.session.execute(query)]


def missed_items(worker_id: int, job_id: int | None = None, limit: int = 200) -> list[GoldScore]:
    """The trainer's failed gold items, newest first (their quality page lists them with the expected answer)."""
    query = (sa.select(GoldScore).where(GoldScore.worker_id == worker_id, GoldScore.source == "answer",
                                        GoldScore.passed.is_(False))
             .order_by(GoldScore.scored_at.desc(), GoldScore.id.desc()).limit(limit))
    if job_id is not None:
        query = query.where(GoldScore.job_id == job_id)
    return list(db.session.scalars(query))
