"""Builders for the quality room's service tests: a classification job with gold answers, and answers."""
from __future__ import annotations

import pytest

from marketplace.extensions import db
from tests.factories import answer_task, job_tasks, make_open_job

RIGHT = "Neither"
WRONG = "Hate speech"


def label_answer(label: str) -> dict:
    return {"labels": [label], "justification": "Judged against section 2 of the instructions."}


def gold_job(requester=None, *, tasks: int = 12, gold_every: int = 1, overlap: int = 1, **fields):
    """A published classification job; every `gold_every`-th task has the gold label RIGHT."""
    job = make_open_job(requester, tasks=tasks, overlap=overlap, **fields)
    for task in job_tasks(job):
        if (task.seq - 1) % gold_every == 0:
            task.gold = {"labels": [RIGHT]}
            task.meta = {"explanation": "No group is attacked; the post is rude but not hateful."}
    db.session.commit()
    return job


def answer_all(job, trainer, labels):
    """The trainer answers the job's tasks in order with the given labels (one per task)."""
    out = []
    for task, label in zip(job_tasks(job), labels):
        out.append(answer_task(task, trainer, label_answer(label)))
    return out


@pytest.fixture
def qualified(monkeypatch):
    """Trainers listed here hold the named qualification (the assessments room's seam in jobs.services)."""
    held: dict[int, set[str]] = {}
    from marketplace.jobs import services as jobs
    monkeypatch.setattr(jobs, "held_qualification_keys", lambda user_id, now=None: frozenset(held.get(user_id, ())))
    return held
