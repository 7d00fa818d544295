"""Demo step: load the bundled assessments and give a few demo trainers a history to show.

Amara passed hate-speech judgement (approved by a reviewer); Grace's hate-speech attempt waits for review
(overdue); Min-jun's Python code review waits for review; Nurul failed Malay reading an hour ago (cooldown
running) and contested an item. Idempotent: a trainer who already has attempts is left alone.
"""
from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa

from ..accounts.models import User
from ..assessments import bank, reviews, services
from ..assessments.models import Attempt
from ..core.time import utcnow
from ..extensions import db

ADMIN = "admin@fairtrain.example.com"

PYTHON_REVIEWS = {
    "py-022": "Blocking: the f-strings put user-controlled values straight into SQL, which is an injection hole. "
              "Use parameters (`WHERE id = ?`). The bare `except: pass` hides every failure, so a half-done transfer "
              "looks like success; roll back and re-raise (`with db:` does both). Also check amount > 0 and that "
              "each UPDATE touched one row.",
    "py-023": "The cache never expires, so invoices get converted at a stale rate until the process restarts: add a "
              "TTL or key the cache by date. `requests.get` has no timeout and no `raise_for_status()`, so a slow "
              "or failing API hangs the worker or caches garbage. Validate `currency` against ISO 4217 first.",
    "py-024": "Removing from a list while iterating over it skips elements, so duplicates survive "
              "(['a','a','a','a'] -> ['a','a']), and remove() drops the first copy so order is not kept. It also "
              "mutates the caller's list and is O(n^2). Use `return list(dict.fromkeys(emails))`.",
}


def _user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def _answer_for(item, right: bool) -> list[str]:
    if item.kind == "free_text":
        return []
    if right:
        return list(item.answer)
    wrong = [o["key"] for o in item.options if o["key"] not in item.answer]
    return wrong[:1]


def _rationale(item) -> str:
    if item.kind == "free_text":
        return PYTHON_REVIEWS.get(_bank_key(item), "The main problem is error handling: failures are hidden. "
                                                    "Handle them explicitly and add a test for the failing case.")
    first = item.explanation.split(". ")[0].rstrip(".")
    return f"{first}."


def _bank_key(item) -> str:
    from ..assessments.models import AssessmentItem
    return db.session.get(AssessmentItem, item.item_id).key


def _take(trainer: User, assessment_key: str, *, started_ago: timedelta, minutes: int, right_share: float,
          seed: int) -> Attempt:
    """Take an attempt in the past through the real services, answering `right_share` of items right."""
    assessment = services.assessment_by_key(assessment_key)
    start = utcnow() - started_ago
    rng = random.Random(seed)
    attempt, _ = services.start_attempt(assessment, trainer, now=start, rng=rng)
    items = list(attempt.items)
    right = set(rng.sample([i.position for i in items], round(len(items) * right_share)))
    answers = {i.position: services.Answer(selected=_answer_for(i, i.position in right) if i.kind != "free_text" else None,
                                           rationale=_rationale(i) if i.needs_writing else None) for i in items}
    services.save_answers(attempt, trainer, answers, now=start + timedelta(minutes=minutes - 2))
    services.submit_attempt(attempt, trainer, now=start + timedelta(minutes=minutes))
    return attempt


def seed() -> None:
    for path in bank.bundled_files():
        bank.import_path(path)
    db.session.flush()
    admin = _user(ADMIN)
    plans = [
        ("amara@trainers.example.com", "hate-speech-en-v1", timedelta(days=12), 21, 1.0, 1),
        ("grace@trainers.example.com", "hate-speech-en-v1", timedelta(days=4, hours=2), 26, 0.87, 2),
        ("minjun@trainers.example.com", "python-code-review-v1", timedelta(hours=20), 33, 0.84, 3),
        ("nurul@trainers.example.com", "lang-ms-professional-v1", timedelta(hours=1, minutes=20), 17, 0.5, 4),
    ]
    for email, key, ago, minutes, share, seed_ in plans:
        trainer = _user(email)
        if trainer is None or db.session.scalar(sa.select(Attempt.id).where(Attempt.user_id == trainer.id).limit(1)):
            continue
        attempt = _take(trainer, key, started_ago=ago, minutes=minutes, right_share=share, seed=seed_)
        if email.startswith("amara") and admin is not None:
            marks = {i.position: "acceptable" for i in attempt.items if i.needs_writing}
            reviews.decide_review(attempt, actor=admin, marks=marks, decision="approve",
                                  reason="Every label is right and each rationale names both the target and the "
                                         "protected characteristic. Clear, careful work.",
                                  now=attempt.submitted_at + timedelta(days=1, hours=3))
        if email.startswith("nurul"):
            missed = next((i for i in attempt.items if i.is_correct is False), None)
            if missed is not None:
                reviews.contest_item(attempt, trainer, missed.position,
                                     "I think the passage supports my answer as well: the sentence can be read "
                                     "both ways. Could you check the expected answer?", now=attempt.submitted_at + timedelta(minutes=5))
    db.session.flush()
