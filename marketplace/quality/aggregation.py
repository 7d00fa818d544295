"""Aggregated answers per task: majority vote, Dawid-Skene, and consensus boxes by IoU clustering.

Input is the same (trainer_id, task_id, value) triples as agreement.py. Every result carries a confidence so the
requester can sort by doubt, and a flag where the answer was a coin toss (a tie) rather than a decision.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from statistics import median
from typing import Any, Iterable, Mapping

import numpy as np

from .agreement import answers_by_task, as_hashable, order_key
from .boxes import Box, iou, match_boxes, parse_boxes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Aggregate:
    """The aggregated answer for one task. `tied` lists the values that tied at the top (in tie-break order)."""

    task: Any
    value: Any
    confidence: float
    n_votes: int
    is_tie: bool = False
    tied: tuple = ()


# -- majority vote ------------------------------------------------------------------------------------------------

def majority_vote(answers: Iterable[tuple[Any, Any, Any]],
                  weights: Mapping[Any, float] | None = None) -> dict[Any, Aggregate]:
    """Most-voted value per task; confidence = its share of the votes (weighted by `weights`, e.g. gold accuracy).

    Ties are broken by a fixed order of the values (numbers ascending, then text), never by row order, so the
    same data always gives the same answer; they are flagged so a requester can send them for another opinion.
    """
    out = {}
    for task, by_trainer in answers_by_task(answers).items():
        tally: dict[Any, float] = defaultdict(float)
        for trainer, value in by_trainer.items():
            tally[as_hashable(value)] += 1.0 if weights is None else float(weights.get(trainer, 0.0))
        total = sum(tally.values())
        if total <= 0:
            # Every voter had weight zero (e.g. all unproven): fall back to plain counts rather than divide by zero.
            tally = defaultdict(float)
            for value in by_trainer.values():
                tally[as_hashable(value)] += 1.0
            total = sum(tally.values())
        top = max(tally.values())
        winners = sorted((v for v, c in tally.items() if np.isclose(c, top)), key=order_key)
        out[task] = Aggregate(task, winners[0], top / total, len(by_trainer), len(winners) > 1,
                              tuple(winners) if len(winners) > 1 else ())
    return out


def majority_vote_labels(answers: Iterable[tuple[Any, Any, Any]]) -> dict[Any, Aggregate]:
    """Multi-label majority: a label is in the result when more than half of the task's trainers chose it.

    A label chosen by exactly half is left out and flagged as a tie. Confidence is that of the least certain
    label decision (max of the shares for and against it), so one contested label lowers the whole task.
    """
    out = {}
    for task, by_trainer in answers_by_task(answers).items():
        n = len(by_trainer)
        counts: dict[Any, int] = defaultdict(int)
        for value in by_trainer.values():
            for label in (value if isinstance(value, (list, tuple, set, frozenset)) else [value]):
                counts[label] += 1
        chosen = frozenset(lab for lab, c in counts.items() if 2 * c > n)
        tied = tuple(sorted((lab for lab, c in counts.items() if 2 * c == n), key=order_key))
        confidence = min((max(c, n - c) / n for c in counts.values()), default=1.0)
        out[task] = Aggregate(task, chosen, confidence, n, bool(tied), tied)
    return out


# -- Dawid-Skene --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DawidSkeneResult:
    """Posterior over classes per task, the chosen class, and what EM learnt about each trainer."""

    classes: tuple                       # column order of posteriors and confusion matrices
    aggregates: dict[Any, Aggregate]     # task -> most probable class, confidence = its posterior
    posteriors: dict[Any, dict[Any, float]]
    trainer_accuracy: dict[Any, float]   # P(trainer gives the true class) under the estimated class priors
    confusion: dict[Any, np.ndarray]     # trainer -> K x K, row = true class, column = class given
    priors: dict[Any, float]
    iterations: int
    converged: bool


def dawid_skene(answers: Iterable[tuple[Any, Any, Any]], classes: Iterable[Any] | None = None, *,
                max_iter: int = 500, tol: float = 1e-5, smoothing: float = 0.1) -> DawidSkeneResult:
    """Dawid & Skene (1979) by expectation-maximisation, for single-label answers.

    Each trainer j has a confusion matrix pi_j[k, l] = P(j answers l | truth is k); classes have priors p_k.
    E-step: P(truth of task i = k) is proportional to p_k * prod over i's answers (j, l) of pi_j[k, l].
    M-step: p and pi are re-estimated from those posteriors (soft counts), plus `smoothing` pseudo-counts in
    every cell so a trainer seen on few tasks (or a class never given) does not get a probability of exactly 0,
    which would veto a class outright. Starting from majority vote shares fixes which class is which (EM
    alone cannot tell a perfect trainer from a perfectly inverted one). Stops when no posterior moves by more
    than `tol`, or after `max_iter` rounds. Answers are processed as flat index arrays (np.add.at), so memory is
    O(answers x classes), not tasks x trainers x classes. Multi-label jobs: run it once per label (yes/no).
    Measured limit: with only tens of answers per trainer, K x K matrices per trainer overfit and the result is
    no better than majority vote; there, majority_vote weighted by gold accuracy is the sounder choice.
    """
    by_task = answers_by_task(answers)
    tasks = sorted(by_task, key=order_key)
    trainers = sorted({tr for by in by_task.values() for tr in by}, key=order_key)
    observed = {as_hashable(v) for by in by_task.values() for v in by.values()}
    ks = tuple(sorted(observed | {as_hashable(c) for c in (classes or ())}, key=order_key))
    if not tasks:
        return DawidSkeneResult(ks, {}, {}, {}, {}, {}, 0, True)
    t_of, w_of, k_of = ({v: i for i, v in enumerate(seq)} for seq in (tasks, trainers, ks))
    t_idx, w_idx, c_idx = (np.array(col, dtype=np.intp) for col in zip(*(
        (t_of[t], w_of[tr], k_of[as_hashable(v)]) for t in tasks for tr, v in by_task[t].items())))
    n_t, n_w, n_k = len(tasks), len(trainers), len(ks)

    # Initialise the posteriors with each task's vote shares (soft majority vote).
    post = np.zeros((n_t, n_k))
    np.add.at(post, (t_idx, c_idx), 1.0)
    post /= post.sum(axis=1, keepdims=True)

    converged, it = False, 0
    for it in range(1, max_iter + 1):
        # M-step: class priors and per-trainer confusion matrices from the current soft labels.
        priors = (post.sum(axis=0) + smoothing) / (n_t + n_k * smoothing)
        conf = np.full((n_w, n_k, n_k), smoothing)
        # For each answer (trainer j gave class l on task i), add task i's posterior over true classes to
        # conf[j, :, l]; the index (w_idx, :, c_idx) selects exactly those columns, one row per answer.
        np.add.at(conf, (w_idx, slice(None), c_idx), post[t_idx])
        conf /= conf.sum(axis=2, keepdims=True)

        # E-step in log space (products of many probabilities underflow).
        log_post = np.tile(np.log(priors), (n_t, 1))
        np.add.at(log_post, t_idx, np.log(conf[w_idx, :, c_idx]))
        log_post -= log_post.max(axis=1, keepdims=True)
        new = np.exp(log_post)
        new /= new.sum(axis=1, keepdims=True)

        delta = float(np.abs(new - post).max())
        post = new
        if delta < tol:
            converged = True
            break
    if not converged:
        log.warning("Dawid-Skene stopped after %d iterations without converging (last change %.2g)", it, delta)

    # Final parameters consistent with the final posteriors.
    priors = (post.sum(axis=0) + smoothing) / (n_t + n_k * smoothing)
    conf = np.full((n_w, n_k, n_k), smoothing)
    np.add.at(conf, (w_idx, slice(None), c_idx), post[t_idx])
    conf /= conf.sum(axis=2, keepdims=True)
    accuracy = np.einsum("k,wkk->w", priors, conf)

    aggregates, posteriors = {}, {}
    for i, task in enumerate(tasks):
        row = post[i]
        top = row.max()
        best = [k for k in range(n_k) if np.isclose(row[k], top, rtol=0, atol=1e-9)]
        aggregates[task] = Aggregate(task, ks[best[0]], float(top), len(by_task[task]), len(best) > 1,
                                     tuple(ks[k] for k in best) if len(best) > 1 else ())
        posteriors[task] = {ks[k]: float(row[k]) for k in range(n_k)}
    return DawidSkeneResult(ks, aggregates, posteriors,
                            {tr: float(accuracy[j]) for j, tr in enumerate(trainers)},
                            {tr: conf[j].copy() for j, tr in enumerate(trainers)},
                            {ks[k]: float(priors[k]) for k in range(n_k)}, it, converged)


# -- consensus boxes ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConsensusBox:
    """A box most trainers agree on: per-corner median of the members, with who supports it."""

    box: Box
    support: int          # distinct trainers whose box joined this cluster
    n_trainers: int       # trainers who answered the task (drawing no box counts as "nothing here")
    trainers: tuple
    mean_iou: float       # how tightly the members sit on the consensus box

    @property
    def confidence(self) -> float:
        return self.support / self.n_trainers if self.n_trainers else 0.0


def _median_box(label: str, members: list[Box]) -> Box:
    # Median of each edge (left, top, right, bottom): one trainer's wild box cannot drag the consensus.
    x1, y1 = median(b.x for b in members), median(b.y for b in members)
    x2, y2 = median(b.x2 for b in members), median(b.y2 for b in members)
    return Box(label, x1, y1, max(x2 - x1, 0.0), max(y2 - y1, 0.0))


def consensus_boxes(boxes_by_trainer: Mapping[Any, Iterable[Box | Mapping[str, Any]]],
                    iou_threshold: float = 0.5, min_support: int | None = None) -> list[ConsensusBox]:
    """Cluster one task's boxes from several trainers and return the consensus boxes.

    Trainers are taken one at a time (in id order, so the result is deterministic); each trainer's boxes are
    matched one-to-one (see boxes.match_boxes) to the current cluster centres of the same label at IoU >=
    iou_threshold, so a cluster never holds two boxes from the same trainer; unmatched boxes start new clusters.
    Centres are re-computed as medians after each trainer. By default a box needs the support of more than half
    the trainers who answered (`min_support` overrides it, e.g. 1 to see every cluster).
    """
    people = sorted(boxes_by_trainer, key=order_key)
    n = len(people)
    need = min_support if min_support is not None else n // 2 + 1
    clusters: list[dict] = []  # {"label", "members": [(trainer, Box)], "centre": Box}
    for trainer in people:
        drawn = sorted(parse_boxes(boxes_by_trainer[trainer]), key=lambda b: (b.label, b.x, b.y, b.w, b.h))
        centres = [c["centre"] for c in clusters]
        taken = set()
        for ci, bi, _ in match_boxes(centres, drawn, iou_threshold):
            clusters[ci]["members"].append((trainer, drawn[bi]))
            taken.add(bi)
        for bi, b in enumerate(drawn):
            if bi not in taken:
                clusters.append({"label": b.label, "members": [(trainer, b)], "centre": b})
        for c in clusters:
            c["centre"] = _median_box(c["label"], [b for _, b in c["members"]])

    out = []
    for c in clusters:
        support = len({t for t, _ in c["members"]})
        if support >= need:
            centre = c["centre"]
            mean = float(np.mean([iou(centre, b) for _, b in c["members"]]))
            out.append(ConsensusBox(centre, support, n, tuple(t for t, _ in c["members"]), mean))
    out.sort(key=lambda cb: (-cb.support, cb.box.label, cb.box.x, cb.box.y))
    return out


def consensus_aggregate(task: Any, boxes_by_trainer: Mapping[Any, Iterable[Box | Mapping[str, Any]]],
                        iou_threshold: float = 0.5) -> Aggregate:
    """One task's consensus boxes as an Aggregate: value = [{label, x, y, w, h, support, confidence}, ...].

    mean_iou says how tightly the trainers' boxes sit on each consensus box (1 = all identical).
    Confidence is that of the least decisive object: every cluster (kept or not) is a yes/no question "is
    there an object here?", decided by max(support, trainers - support) / trainers; so a box half the trainers
    drew lowers the task's confidence whether it made the consensus or not (as multi-label majority does).
    """
    everything = consensus_boxes(boxes_by_trainer, iou_threshold, min_support=1)
    n = len(boxes_by_trainer)
    need = n // 2 + 1
    kept = [c for c in everything if c.support >= need]
    confidence = min((max(c.support, n - c.support) / n for c in everything), default=1.0) if n else 0.0
    value = [{"label": c.box.label, "x": c.box.x, "y": c.box.y, "w": c.box.w, "h": c.box.h, "support": c.support,
              "confidence": round(c.confidence, 6), "mean_iou": round(c.mean_iou, 4)} for c in kept]
    tied = tuple(c.box.label for c in everything if 2 * c.support == n)
    return Aggregate(task, value, confidence, n, bool(tied), tied)
