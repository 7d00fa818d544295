"""Inter-trainer agreement: Krippendorff's alpha per job, per label and per rubric scale; pairwise agreement and kappa.

Input everywhere is an iterable of (trainer_id, task_id, value) triples, one per submitted answer. A value is a
label (single-label classification, a preference side, a code review verdict), a collection of labels
(multi-label), or for ratings a dict {scale: number}.

Alpha is computed by the `krippendorff` package from a tasks x values count table (its `value_counts` input), not
a trainers x tasks matrix: the table is small (100,000 tasks x 7 values) however many trainers a job has, and
alpha does not depend on who gave which answer, only on what each task received.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Hashable, Iterable, Mapping

import krippendorff
import numpy as np

LEVELS = ("nominal", "ordinal", "interval", "ratio")


@dataclass(frozen=True)
class AlphaResult:
    """alpha is None when it is undefined; `reason` then says why in words a requester can read."""

    alpha: float | None
    level: str
    n_tasks: int      # tasks with answers from at least two trainers (the only ones that carry information)
    n_answers: int    # answers on those tasks
    reason: str | None = None

    def verdict(self) -> str:
        """Krippendorff's own guide (2004): >= 0.800 reliable, >= 0.667 tentative, below that unreliable."""
        if self.alpha is None:
            return self.reason or "not enough data"
        # The number itself is shown beside the reading; the reading says what it means.
        if self.alpha >= 0.8:
            return "Reliable agreement."
        if self.alpha >= 0.667:
            return "Tentative agreement: good enough only for tentative conclusions."
        return "Low agreement: check the instructions or the labels."


def as_hashable(value: Any) -> Hashable:
    # Multi-label answers compare as sets: ["a", "b"] and ["b", "a"] are the same answer.
    if isinstance(value, (list, tuple, set, frozenset)):
        return frozenset(value)
    return value


def order_key(v: Any):
    # A stable order for mixed ids and labels (ints numerically, everything else as text), so results and tie
    # breaks never depend on the order rows came out of the database.
    if isinstance(v, frozenset):
        return (2, tuple(sorted(map(str, v))))
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (0, v)
    return (1, str(v))


def answers_by_task(answers: Iterable[tuple[Any, Any, Any]]) -> dict[Any, dict[Any, Any]]:
    tasks: dict[Any, dict[Any, Any]] = defaultdict(dict)
    for trainer, task, value in answers:
        if value is None:
            continue  # a skipped or empty answer carries no judgement
        if trainer in tasks[task]:
            raise ValueError(f"trainer {trainer!r} has two answers for task {task!r}; pass only the final one")
        tasks[task][trainer] = value
    return tasks


def krippendorff_alpha(answers: Iterable[tuple[Any, Any, Any]], level: str = "nominal") -> AlphaResult:
    """Alpha over all tasks of a job. nominal for labels; ordinal or interval for ratings (one scale at a time)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    return _alpha_from_tasks(answers_by_task(answers), level)


def _alpha_from_tasks(tasks: Mapping[Any, Mapping[Any, Any]], level: str) -> AlphaResult:
    per_task = [[as_hashable(v) for v in by_trainer.values()] for by_trainer in tasks.values()]
    per_task = [vals for vals in per_task if len(vals) >= 2]
    n_answers = sum(len(v) for v in per_task)
    if not per_task:
        return AlphaResult(None, level, 0, 0, "No task has answers from two trainers yet.")
    domain = sorted({v for vals in per_task for v in vals}, key=order_key)
    if len(domain) == 1:
        # No variation at all: alpha is 0/0. Every pair agreed, but one value tells us nothing about reliability.
        return AlphaResult(None, level, len(per_task), n_answers,
                           f"Every answer was {_show(domain[0])}, so alpha is undefined (no variation to compare).")
    if level != "nominal" and not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in domain):
        raise ValueError(f"{level} alpha needs numeric values")
    index = {v: i for i, v in enumerate(domain)}
    counts = np.zeros((len(per_task), len(domain)), dtype=float)
    for row, vals in enumerate(per_task):
        for v in vals:
            counts[row, index[v]] += 1
    # Nominal values are passed as codes 0..k-1; ordinal/interval need the real numbers for their distances.
    value_domain = list(range(len(domain))) if level == "nominal" else [float(v) for v in domain]
    a = krippendorff.alpha(value_counts=counts, value_domain=value_domain, level_of_measurement=level)
    return AlphaResult(float(a), level, len(per_task), n_answers)


def _show(v: Any) -> str:
    if isinstance(v, frozenset):
        return "{" + ", ".join(sorted(map(str, v))) + "}"
    return f"'{v}'" if isinstance(v, str) else str(v)


def alpha_per_label(answers: Iterable[tuple[Any, Any, Any]],
                    labels: Iterable[str] | None = None) -> dict[str, AlphaResult]:
    """Nominal alpha of each label as a yes/no decision ("did this trainer pick label L?").

    Works for single- and multi-label jobs; it shows WHICH label trainers disagree about, which the job-level
    alpha hides. Pass the job's label set so labels nobody picked still appear (as undefined).
    """
    tasks = answers_by_task(answers)
    picked = {t: {tr: _label_set(v) for tr, v in by.items()} for t, by in tasks.items()}
    all_labels = set(labels or ()) | {lab for by in picked.values() for s in by.values() for lab in s}
    out = {}
    for label in sorted(all_labels, key=order_key):
        binary = {t: {tr: int(label in s) for tr, s in by.items()} for t, by in picked.items()}
        out[label] = _alpha_from_tasks(binary, "nominal")
    return out


def _label_set(value: Any) -> frozenset:
    return frozenset(value) if isinstance(value, (list, tuple, set, frozenset)) else frozenset([value])


def alpha_per_scale(answers: Iterable[tuple[Any, Any, Mapping[str, float]]],
                    level: str = "interval") -> dict[str, AlphaResult]:
    """Alpha of each rubric scale of a rating job; values are {scale: score} dicts (missing scales are skipped).

    interval treats 1..7 as evenly spaced; ordinal only trusts the order (use it when "3" to "4" is not the same
    step as "6" to "7").
    """
    per_scale: dict[str, list[tuple[Any, Any, Any]]] = defaultdict(list)
    for trainer, task, scores in answers:
        for scale, score in (scores or {}).items():
            if score is not None:
                per_scale[scale].append((trainer, task, score))
    return {scale: krippendorff_alpha(rows, level) for scale, rows in sorted(per_scale.items())}


# -- pairwise agreement -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PairAgreement:
    """Agreement of two trainers over the tasks both answered. kappa is None when it is undefined."""

    trainer_a: Any
    trainer_b: Any
    n_common: int
    n_agree: int
    kappa: float | None

    @property
    def percent(self) -> float:
        return self.n_agree / self.n_common


def cohens_kappa(pairs: Counter) -> float | None:
    """Cohen's kappa from a Counter of (value_a, value_b) -> count: (p_o - p_e) / (1 - p_e)."""
    n = sum(pairs.values())
    if not n:
        return None
    p_o = sum(c for (a, b), c in pairs.items() if a == b) / n
    marg_a, marg_b = Counter(), Counter()
    for (a, b), c in pairs.items():
        marg_a[a] += c
        marg_b[b] += c
    # Chance agreement: both trainers independently pick the same value at their own observed rates.
    p_e = sum(marg_a[v] * marg_b[v] for v in marg_a) / (n * n)
    if p_e >= 1.0:
        return None  # both used one and the same value throughout: chance explains everything, kappa is 0/0
    return (p_o - p_e) / (1 - p_e)


def pairwise_agreement(answers: Iterable[tuple[Any, Any, Any]], min_common: int = 1) -> list[PairAgreement]:
    """Percent agreement and Cohen's kappa for every pair of trainers with at least `min_common` shared tasks.

    Built task by task (cost: the sum over tasks of answers squared), so a job with many trainers who each saw
    a few tasks does not pay for every possible pair.
    """
    tables: dict[tuple[Any, Any], Counter] = defaultdict(Counter)
    for by_trainer in answers_by_task(answers).values():
        people = sorted(by_trainer, key=order_key)
        for a, b in combinations(people, 2):
            tables[(a, b)][(as_hashable(by_trainer[a]), as_hashable(by_trainer[b]))] += 1
    out = []
    for (a, b), table in sorted(tables.items(), key=lambda kv: (order_key(kv[0][0]), order_key(kv[0][1]))):
        n = sum(table.values())
        if n >= min_common:
            agree = sum(c for (x, y), c in table.items() if x == y)
            out.append(PairAgreement(a, b, n, agree, cohens_kappa(table)))
    return out


@dataclass(frozen=True)
class TrainerAgreement:
    trainer: Any
    n_pairs: int
    n_comparisons: int
    percent: float           # share of all their shared-task comparisons that agreed
    mean_kappa: float | None  # comparison-weighted mean of the defined kappas


def agreement_by_trainer(pairs: Iterable[PairAgreement]) -> dict[Any, TrainerAgreement]:
    """Each trainer's agreement with everyone they overlapped with: the requester's per-trainer column."""
    acc: dict[Any, list] = defaultdict(lambda: [0, 0, 0, 0.0, 0])  # pairs, comparisons, agreed, kappa*n, kappa n
    for p in pairs:
        for t in (p.trainer_a, p.trainer_b):
            row = acc[t]
            row[0] += 1
            row[1] += p.n_common
            row[2] += p.n_agree
            if p.kappa is not None:
                row[3] += p.kappa * p.n_common
                row[4] += p.n_common
    return {t: TrainerAgreement(t, r[0], r[1], r[2] / r[1], r[3] / r[4] if r[4] else None)
            for t, r in sorted(acc.items(), key=lambda kv: order_key(kv[0]))}
