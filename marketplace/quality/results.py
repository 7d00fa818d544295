"""Agreement and aggregation of a job's answers, computed into a stored snapshot (the scheduled body, or on
demand for small jobs) so the requester's results page reads one row instead of every answer."""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from statistics import median
from typing import Any

import sqlalchemy as sa
from flask import current_app

from ..assignment.models import Assignment
from ..core.time import utcnow
from ..extensions import db
from ..jobs.models import Job
from . import aggregation, agreement, rules
from .boxes import readable_boxes
from .models import QualitySnapshot, TaskAggregate

log = logging.getLogger(__name__)
ANSWERED = ("submitted", "approved")  # rejected answers are out of the results
SERIES_POINTS = 60
KEEP_SNAPSHOTS = 30
SNAPSHOT_KEYS = ("parts", "series", "trainers", "n_pairs", "n_ties", "n_low_confidence", "box_iou")
LOW_CONFIDENCE = 0.75  # an aggregated answer below this (or a tie) is counted and listed as doubtful


def _scalar(v) -> bool:
    return isinstance(v, (str, int, float)) and not isinstance(v, bool)


def agreement_value(kind: str, config: dict, answer: Any) -> Any:
    """The part of an answer trainers can agree on: a label (or label set), a side, a verdict, rubric scores,
    boxes; None for free text (writing is never compared) and for anything unreadable. Stored answers are
    read defensively: a JSON null, a string or a list where an object belongs, or a malformed box is left
    out here rather than failing the results page or an export half-way."""
    if not isinstance(answer, dict):
        return None
    if kind == "classification":
        labels = answer.get("labels")
        labels = [labels] if _scalar(labels) else labels if isinstance(labels, list) else []
        labels = [str(v) for v in labels if _scalar(v)]
        if not labels and _scalar(answer.get("label")) and answer.get("label") != "":
            labels = [str(answer["label"])]
        if not labels:
            return None
        return frozenset(labels) if (config or {}).get("multiple") else labels[0]
    if kind == "pairwise_preference":
        side = answer.get("preferred")
        return str(side).lower() or None if _scalar(side) else None
    if kind == "code_review":
        verdict = answer.get("verdict")
        return str(verdict) if _scalar(verdict) else None
    if kind == "rating":
        scores = answer.get("scores")
        if not isinstance(scores, dict):
            return None
        return {str(k): v for k, v in scores.items() if isinstance(v, (int, float)) and not isinstance(v, bool)} \
            or None
    if kind == "bounding_boxes":
        return [{"label": b.label, "x": b.x, "y": b.y, "w": b.w, "h": b.h}
                for b in readable_boxes(answer.get("boxes"))]
    return None


def answered_rows(job_id: int, until: datetime | None = None):
    """(worker, task, answer, submitted_at) of the job's answered assignments, streamed in submit order."""
    query = (sa.select(Assignment.worker_id, Assignment.task_id, Assignment.answer, Assignment.submitted_at)
             .where(Assignment.job_id == job_id, Assignment.status.in_(ANSWERED))
             .order_by(Assignment.submitted_at, Assignment.id).execution_options(yield_per=2000))
    if until is not None:
        query = query.where(Assignment.submitted_at <= until)
    return db.session.execute(query)


def _job_alpha(kind: str, config: dict, triples: list) -> tuple[agreement.AlphaResult | None, dict]:
    """(job-level alpha, per-label or per-scale alphas) for the job's kind."""
    if kind == "writing" or not triples:
        return None, {}
    if kind == "rating":
        scales = agreement.alpha_per_scale(triples, "interval")
        defined = [r.alpha for r in scales.values() if r.alpha is not None]
        overall = agreement.AlphaResult(sum(defined) / len(defined) if defined else None, "interval",
                                        max((r.n_tasks for r in scales.values()), default=0),
                                        max((r.n_answers for r in scales.values()), default=0),
                                        None if defined else "No rubric scale has answers from two trainers yet.")
        return overall, scales
    if kind == "bounding_boxes":
        # Agreement on boxes: do trainers find as many objects of each label (interval alpha on counts)?
        counts = [(w, t, len(v)) for w, t, v in triples]
        per_label = {}
        for label in (config or {}).get("labels", []):
            per_label[label] = agreement.krippendorff_alpha(
                [(w, t, sum(1 for b in v if b.get("label") == label)) for w, t, v in triples], "interval")
        return agreement.krippendorff_alpha(counts, "interval"), per_label
    labels = (config or {}).get("labels") if kind == "classification" else None
    return agreement.krippendorff_alpha(triples, "nominal"), agreement.alpha_per_label(triples, labels)


def _series(kind: str, config: dict, stamped: list[tuple[datetime, tuple]]) -> list[list]:
    """Cumulative job alpha at the end of each day with answers (at most SERIES_POINTS days, evenly picked)."""
    days = sorted({at.date() for at, _ in stamped})
    if len(days) > SERIES_POINTS:
        step = len(days) / SERIES_POINTS
        days = [days[int(i * step)] for i in range(SERIES_POINTS - 1)] + [days[-1]]
    out, i, seen = [], 0, []
    for day in days:
        while i < len(stamped) and stamped[i][0].date() <= day:
            seen.append(stamped[i][1])
            i += 1
        overall, _ = _job_alpha(kind, config, seen)
        out.append([day.isoformat(), None if overall is None or overall.alpha is None else round(overall.alpha, 4),
                    len(seen)])
    return out


def _aggregate(kind: str, config: dict, triples: list) -> tuple[dict[str, dict], dict]:
    """{method: {task: Aggregate-like}} and what Dawid-Skene learnt about trainers ({worker: accuracy})."""
    if kind == "writing" or not triples:
        return {}, {}
    if kind == "bounding_boxes":
        by_task: dict = defaultdict(dict)
        for w, t, v in triples:
            by_task[t][w] = v
        threshold = float((config or {}).get("_iou_threshold", 0.5))
        out = {t: aggregation.consensus_aggregate(t, boxes, threshold) for t, boxes in by_task.items()}
        return {"consensus_boxes": out}, {}
    if kind == "rating":
        scales: dict = defaultdict(lambda: defaultdict(list))
        for _, t, scores in triples:
            for scale, value in (scores or {}).items():
                if isinstance(value, (int, float)):
                    scales[t][scale].append(value)
        out = {}
        for t, by_scale in scales.items():
            med = {s: median(v) for s, v in by_scale.items()}
            near = [sum(abs(x - med[s]) <= 1 for x in v) / len(v) for s, v in by_scale.items()]
            out[t] = aggregation.Aggregate(t, med, min(near), max(len(v) for v in by_scale.values()))
        return {"median": out}, {}
    if kind == "classification" and (config or {}).get("multiple"):
        return {"majority": aggregation.majority_vote_labels(triples)}, {}
    majority = aggregation.majority_vote(triples)
    if all(a.n_votes < 2 for a in majority.values()):
        return {"majority": majority}, {}  # one answer per task: nothing for Dawid-Skene to learn from
    classes = (config or {}).get("labels") if kind == "classification" else None
    ds = aggregation.dawid_skene(triples, classes)
    return {"majority": majority, "dawid_skene": ds.aggregates}, ds.trainer_accuracy


# The aggregate the dashboard counts and lists, in order of preference (Dawid-Skene is in the exports).
MAIN_METHODS = ("majority", "consensus_boxes", "median", "dawid_skene")


def main_method(methods) -> str | None:
    return next((m for m in MAIN_METHODS if m in methods), None)


def settings_config(job) -> dict:
    """The job's config plus the quality settings aggregation reads (the IoU threshold for consensus boxes)."""
    return dict(job.config or {}, _iou_threshold=rules.settings_for(job.id).iou_threshold)


def aggregates_now(job) -> dict[str, dict]:
    """{method: {task: Aggregate}} from the job's answers as they are now (for a small job's export)."""
    triples = [(worker, task, value) for worker, task, answer, _ in answered_rows(job.id)
               if (value := agreement_value(job.kind, job.config, answer)) is not None]
    return _aggregate(job.kind, settings_config(job), triples)[0]


def compute(job: Job, until: datetime | None = None) -> dict:
    """Everything the results page shows about agreement and aggregation, from the job's answers."""
    stamped, last_at = [], None
    for worker, task, answer, at in answered_rows(job.id, until):
        value = agreement_value(job.kind, job.config, answer)
        if value is not None:
            stamped.append((at, (worker, task, value)))
        last_at = at
    triples = [row for _, row in stamped]
    overall, parts = _job_alpha(job.kind, job.config, triples)
    comparable = job.kind not in ("rating", "bounding_boxes", "writing")
    pairs = agreement.pairwise_agreement(triples) if comparable else []
    by_trainer = agreement.agreement_by_trainer(pairs)
    aggregates, ds_accuracy = _aggregate(job.kind, settings_config(job), triples)
    workers = sorted({w for w, _, _ in triples})
    n_answers = defaultdict(int)
    for w, _, _ in triples:
        n_answers[w] += 1
    # Ties and doubt are read off the vote shares (what a requester can check by eye); Dawid-Skene's posteriors
    # overstate certainty on small jobs (see aggregation.dawid_skene) and are exported beside them.
    main = aggregates.get(main_method(aggregates)) or {}
    return {
        "box_iou": _box_iou(aggregates.get("consensus_boxes", {})),
        "n_answers": len(triples), "n_tasks": len({t for _, t, _ in triples}), "last_answer_at": last_at,
        "alpha": overall,
        "parts": {str(k): {"alpha": r.alpha, "n_tasks": r.n_tasks, "note": r.verdict()} for k, r in parts.items()},
        "series": _series(job.kind, job.config, stamped),
        "trainers": {str(w): {"n_answers": n_answers[w],
                              "agreement": by_trainer[w].percent if w in by_trainer else None,
                              "kappa": by_trainer[w].mean_kappa if w in by_trainer else None,
                              "ds_accuracy": ds_accuracy.get(w)} for w in workers},
        "n_pairs": len(pairs),
        "n_ties": sum(1 for a in main.values() if a.is_tie),
        "n_low_confidence": sum(1 for a in main.values() if a.confidence < LOW_CONFIDENCE),
        "aggregates": aggregates,
    }


def _box_iou(consensus: dict) -> dict | None:
    """How well trainers' boxes agree: the mean IoU of every box that joined a consensus box with that box
    (weighted by support), over how many boxes. None when no task has a consensus box yet."""
    total, n = 0.0, 0
    for agg in consensus.values():
        for box in agg.value:
            total += box["mean_iou"] * box["support"]
            n += box["support"]
    return {"mean_iou": round(total / n, 4), "n_boxes": n} if n else None


def snapshot(job: Job, now: datetime | None = None) -> QualitySnapshot:
    """Compute and store the job's snapshot and its per-task aggregates (replacing the previous ones)."""
    now = now or utcnow()
    data = compute(job)
    alpha = data["alpha"]
    snap = QualitySnapshot(job_id=job.id, computed_at=now, last_answer_at=data["last_answer_at"],
                           n_answers=data["n_answers"], n_tasks=data["n_tasks"],
                           alpha=alpha.alpha if alpha else None,
                           alpha_note=alpha.verdict() if alpha else "Free-text answers are not compared.",
                           data={k: data[k] for k in SNAPSHOT_KEYS} | {"methods": sorted(data["aggregates"])})
    db.session.add(snap)
    db.session.execute(sa.delete(TaskAggregate).where(TaskAggregate.job_id == job.id))
    _store_aggregates(job.id, data["aggregates"], now)
    old = db.session.scalars(sa.select(QualitySnapshot.id).where(QualitySnapshot.job_id == job.id)
                             .order_by(QualitySnapshot.computed_at.desc(), QualitySnapshot.id.desc())
                             .offset(KEEP_SNAPSHOTS)).all()
    if old:
        db.session.execute(sa.delete(QualitySnapshot).where(QualitySnapshot.id.in_(old)))
    db.session.flush()
    return snap


def _store_aggregates(job_id: int, aggregates: dict, now: datetime, batch: int = 2000) -> None:
    insert = sa.insert(TaskAggregate.__table__)
    rows: list[dict] = []
    for method, by_task in aggregates.items():
        for task_id, agg in by_task.items():
            value = sorted(agg.value) if isinstance(agg.value, frozenset) else agg.value
            rows.append({"job_id": job_id, "task_id": task_id, "method": method, "value": {"answer": value},
                         "confidence": float(agg.confidence), "n_answers": agg.n_votes, "is_tie": bool(agg.is_tie),
                         "computed_at": now})
            if len(rows) >= batch:
                db.session.execute(insert, rows)
                rows = []
    if rows:
        db.session.execute(insert, rows)


def latest(job_id: int) -> QualitySnapshot | None:
    return db.session.scalar(sa.select(QualitySnapshot).where(QualitySnapshot.job_id == job_id)
                             .order_by(QualitySnapshot.computed_at.desc(), QualitySnapshot.id.desc()).limit(1))


def answer_count(job_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count(Assignment.id)).where(
        Assignment.job_id == job_id, Assignment.status.in_(ANSWERED))) or 0


def is_small(job_id: int) -> bool:
    """Small enough to compute while the requester waits (QUALITY_ON_DEMAND_MAX_ANSWERS)."""
    return answer_count(job_id) <= current_app.config.get("QUALITY_ON_DEMAND_MAX_ANSWERS", 5000)


def is_stale(job: Job, snap: QualitySnapshot | None) -> bool:
    last = db.session.scalar(sa.select(sa.func.max(Assignment.submitted_at)).where(
        Assignment.job_id == job.id, Assignment.status.in_(ANSWERED)))
    count = answer_count(job.id)
    if snap is None:
        return count > 0
    return snap.n_answers != count or (last is not None and (snap.last_answer_at is None or last > snap.last_answer_at))


def refresh_due(now: datetime, jobs_per_run: int = 20) -> int:
    """Scheduled body: re-snapshot jobs whose answers changed since their last snapshot. Idempotent: a job
    with nothing new is skipped. Returns how many snapshots were written."""
    latest_answer = (sa.select(Assignment.job_id, sa.func.max(Assignment.submitted_at).label("last"))
                     .where(Assignment.status.in_(ANSWERED)).group_by(Assignment.job_id).subquery())
    latest_snap = (sa.select(QualitySnapshot.job_id, sa.func.max(QualitySnapshot.last_answer_at).label("seen"))
                   .group_by(QualitySnapshot.job_id).subquery())
    due = db.session.execute(
        sa.select(latest_answer.c.job_id).outerjoin(latest_snap, latest_snap.c.job_id == latest_answer.c.job_id)
        .where(sa.or_(latest_snap.c.seen.is_(None), latest_answer.c.last > latest_snap.c.seen))
        .order_by(latest_answer.c.job_id).limit(jobs_per_run)).scalars().all()
    # A rejection changes the results without a newer answer: the next answer (or "Recompute") catches it up.
    written = 0
    for job_id in due:
        job = db.session.get(Job, job_id)
        if job is not None:
            snapshot(job, now)
            written += 1
    return written

