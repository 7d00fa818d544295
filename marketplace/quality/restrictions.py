"""The job quality rule: too low gold accuracy over enough gold items removes a trainer from a job, with reasons.

The decision is data (rule, evidence, way back) plus the words the trainer reads, so the room can store it in the
audit log, show it on the trainer's quality page and send it as a notice without rewording anything.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Iterable

OK, WATCH, INSUFFICIENT, RESTRICT = "ok", "watch", "insufficient", "restrict"


@dataclass(frozen=True)
class QualityRule:
    """A job's rule. `window` limits the evidence to the most recent scored items so a trainer can recover."""

    min_accuracy: float = 0.8
    min_gold_items: int = 10
    window: int | None = 50
    return_action: str = "retake_assessment"
    return_text: str = "Retake the job's qualifying assessment; passing it restores your access to this job."

    def __post_init__(self):
        if not 0 < self.min_accuracy <= 1:
            raise ValueError("the accuracy threshold must be above 0% and at most 100%")
        if self.min_gold_items < 1:
            raise ValueError("the rule needs at least one gold item")
        if self.window is not None and self.window < self.min_gold_items:
            raise ValueError("the window must hold at least min_gold_items items, or the rule could never apply")

    def text(self) -> str:
        recent = f" (counting your most recent {self.window})" if self.window else ""
        return (f"Accuracy on known-answer items must be at least {self.min_accuracy:.0%} once at least "
                f"{self.min_gold_items} have been scored{recent}.")


@dataclass(frozen=True)
class GoldOutcome:
    """One scored gold item of this trainer on this job. Contested items stay out until the contest is decided."""

    task_id: Any
    passed: bool
    scored_at: dt.datetime | None = None
    is_contested: bool = False


@dataclass(frozen=True)
class RestrictionDecision:
    status: str                    # ok | watch | insufficient | restrict
    rule: dict
    evidence: dict
    how_to_return: dict | None     # {"action": ..., "text": ...} when restricted
    message: str                   # what the trainer reads
    audit_reason: str              # one line for the audit log
    missed_task_ids: tuple = field(default=())

    @property
    def restrict(self) -> bool:
        return self.status == RESTRICT


def evaluate_job_quality(outcomes: Iterable[GoldOutcome], rule: QualityRule,
                         job_title: str = "this job") -> RestrictionDecision:
    """Apply `rule` to a trainer's gold outcomes on one job (oldest first, or sorted by scored_at when given).

    Open contests are left out (the trainer may be right and the gold wrong). Only the most recent `window`
    items count. Fewer than `min_gold_items` never restricts: it gives "insufficient", or "watch" (a warning)
    when accuracy so far is under the threshold. The comparison is exact (fractions), so 7 of 10 meets a 70% bar.
    """
    items = list(outcomes)
    if items and all(o.scored_at is not None for o in items):
        items.sort(key=lambda o: o.scored_at)
    contested = [o.task_id for o in items if o.is_contested]
    counted = [o for o in items if not o.is_contested]
    if rule.window is not None:
        counted = counted[-rule.window:]
    n = len(counted)
    passed = sum(o.passed for o in counted)
    missed = tuple(o.task_id for o in counted if not o.passed)
    accuracy = Fraction(passed, n) if n else None
    below = accuracy is not None and accuracy < Fraction(str(rule.min_accuracy))

    rule_data = {"min_accuracy": rule.min_accuracy, "min_gold_items": rule.min_gold_items, "window": rule.window,
                 "text": rule.text()}
    evidence = {"n_counted": n, "n_passed": passed, "accuracy": float(accuracy) if n else None,
                "counted_task_ids": [o.task_id for o in counted], "missed_task_ids": list(missed),
                "contested_task_ids_left_out": contested}
    record = f"{passed} of {n} known-answer items correct ({float(accuracy):.0%})" if n else "no items scored"
    left_out = (f" {len(contested)} item{'s' if len(contested) != 1 else ''} you contested "
                f"{'are' if len(contested) != 1 else 'is'} left out until decided.") if contested else ""

    if n < rule.min_gold_items:
        if below:
            status = WATCH
            message = (f"On {job_title} you have {record}. The job needs {rule.min_accuracy:.0%}; if you are "
                       f"still under it once {rule.min_gold_items} items are scored, you will be removed from the "
                       f"job. Review the items you missed to see the expected answers.{left_out}")
        else:
            status = INSUFFICIENT
            message = (f"On {job_title} you have {record}; the quality rule applies from "
                       f"{rule.min_gold_items} scored items.{left_out}")
        return RestrictionDecision(status, rule_data, evidence, None, message,
                                   f"quality rule not applied yet: {record}, below {rule.min_gold_items} items",
                                   missed)
    if not below:
        return RestrictionDecision(OK, rule_data, evidence, None,
                                   f"On {job_title} you have {record}, meeting the required "
                                   f"{rule.min_accuracy:.0%}.{left_out}",
                                   f"quality rule met: {record}", missed)

    how = {"action": rule.return_action, "text": rule.return_text}
    message = (f"You have been removed from {job_title}. Rule: {rule.text()} Evidence: {record}; the "
               f"{len(missed)} item{'s' if len(missed) != 1 else ''} you missed "
               f"{'are' if len(missed) != 1 else 'is'} listed with the expected answers.{left_out} "
               f"How to return: {rule.return_text}"
               + ("" if "contest" in rule.return_text.lower() else
                  " If you think an expected answer is wrong, contest it in writing: a corrected answer re-scores "
                  "you and can lift this removal."))
    return RestrictionDecision(RESTRICT, rule_data, evidence, how, message,
                               f"removed from job by quality rule: {record}, required "
                               f"{rule.min_accuracy:.0%} over at least {rule.min_gold_items} items", missed)
