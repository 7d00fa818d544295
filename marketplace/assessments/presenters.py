"""What of an attempt may be shown, and when: before submission nothing of the gold answer or explanation.

Pages and the API build their output from these dictionaries only, so the rule lives in one place.
"""
from __future__ import annotations

from . import grading


def public_item(item) -> dict:
    """An item as the trainer sees it while answering: no gold answer, no explanation, no bank key."""
    return {"position": item.position, "kind": item.kind, "prompt": item.prompt, "question": item.question,
            "options": [{"key": o["key"], "text": o["text"]} for o in item.options],
            "needs_writing": item.needs_writing, "rationale_required": item.rationale_required,
            "selected": list(item.selected or []), "rationale": item.rationale or "",
            "answered": bool(item.selected) or bool((item.rationale or "").strip())}


def outcome(item) -> str:
    """right | wrong | awaiting_review, for a submitted attempt's item."""
    credit = grading.item_credit(grading.from_item(item))
    return "awaiting_review" if credit is None else ("right" if credit else "wrong")


def result_item(item) -> dict:
    """An item after submission: the trainer's answer, the expected answer, why, and any review mark."""
    data = public_item(item)
    data.update({"expected": list(item.answer or []), "explanation": item.explanation, "outcome": outcome(item),
                 "choice_correct": item.is_correct, "rationale_mark": item.rationale_mark})
    return data


def attempt_summary(attempt) -> dict:
    return {"id": attempt.id, "assessment": attempt.assessment.key, "title": attempt.assessment.title,
            "number": attempt.number, "status": attempt.status,
            "started_at": attempt.started_at.isoformat(), "deadline_at": attempt.deadline_at.isoformat(),
            "submitted_at": attempt.submitted_at.isoformat() if attempt.submitted_at else None,
            "time_limit_seconds": attempt.time_limit_seconds, "items": len(attempt.items)}


def attempt_result(attempt, decided_reason_visible: bool = True) -> dict:
    """The result of a submitted attempt (only ever called after submission)."""
    if attempt.status == "in_progress":
        raise ValueError("results exist only after submission")
    final = attempt.status in ("passed", "failed")
    return dict(attempt_summary(attempt), **{
        "passed": attempt.status == "passed" if final else None,
        "score": {"correct": attempt.correct_items, "scored": attempt.scored_items,
                  "percent": attempt.score_percent, "pass_mark_percent": attempt.pass_mark_percent,
                  "final": final},
        "is_late": attempt.is_late, "is_auto_submitted": attempt.is_auto_submitted,
        "paid_seconds": attempt.paid_seconds,
        "decision_reason": attempt.decision_reason if final and decided_reason_visible else "",
        "reviewed": attempt.decided_by_id is not None,
        "items": [result_item(i) for i in attempt.items]})
