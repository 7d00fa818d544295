"""Peer review and gold claims under real concurrency (threads, PostgreSQL): no answer is reviewed twice, none
is lost, and gold claims past the overlap never hand one trainer a task twice."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.assignment import services as work
from marketplace.extensions import db
from marketplace.jobs.models import Job
from marketplace.quality import peer, rules
from marketplace.quality.models import PeerReview
from tests.assignment.test_concurrency import pool_of
from tests.factories import answer_task, job_tasks, make_open_job, make_trainer

from .conftest import RIGHT, label_answer

pytestmark = pytest.mark.postgres_only


def _run(app, ids, body):
    failures: list[BaseException] = []
    start = threading.Barrier(len(ids))

    def worker(user_id):
        try:
            with app.app_context():
                user = db.session.get(User, user_id)
                db.session.commit()
                start.wait(timeout=60)
                body(user)
        except BaseException as exc:  # reported below, with the thread's traceback
            failures.append(exc)
        finally:
            with app.app_context():
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert not failures, failures


def test_reviewers_racing_for_answers_each_get_distinct_ones_and_every_answer_is_reviewed_once(app, qualified):
    job = make_open_job(tasks=30, review_policy="peer")
    rules.update_settings(job, job.requester, is_rule_enabled=True, min_accuracy=0.8, min_gold_items=10, window=50,
                          return_text="", iou_threshold=0.5, rating_tolerance=1, reviewer_qualification="r")
    db.session.commit()
    author = make_trainer()
    for task in job_tasks(job):
        answer_task(task, author, label_answer(RIGHT))
    reviewers = [make_trainer() for _ in range(8)]
    for r in reviewers:
        qualified[r.id] = {"r"}
    job_id = job.id

    def review_until_empty(reviewer):
        while True:
            try:
                held = peer.claim_review(db.session.get(Job, job_id), reviewer)
                db.session.commit()
            except Exception as exc:
                db.session.rollback()
                if getattr(exc, "code", "") == "no_reviews":
                    return
                raise
            peer.decide(held.id, reviewer, "accept")
            db.session.commit()

    with pool_of(len(reviewers) + 2):
        _run(app, [r.id for r in reviewers], review_until_empty)
    done = db.session.execute(sa.select(PeerReview.item_id, sa.func.count()).where(PeerReview.status == "done")
                              .group_by(PeerReview.item_id)).all()
    assert len(done) == 30 and all(n == 1 for _, n in done)


def test_gold_claims_past_the_overlap_never_give_a_trainer_the_same_task_twice(app):
    app.config.update(QUALITY_GOLD_RATE_START=1.0, QUALITY_GOLD_RATE_FLOOR=1.0)  # every slot a gold slot
    try:
        job = make_open_job(tasks=10, overlap=1)
        for task in job_tasks(job):
            task.gold = {"labels": [RIGHT]}
        db.session.commit()
        trainers = [make_trainer() for _ in range(8)]
        job_id = job.id

        def claim_all(trainer):
            for _ in range(12):
                try:
                    (held,) = work.claim_next(db.session.get(Job, job_id), trainer)
                    db.session.commit()
                except work.NoWorkLeft:
                    db.session.rollback()
                    return
                work.submit(held.id, trainer, label_answer(RIGHT))
                db.session.commit()

        with pool_of(len(trainers) + 2):
            _run(app, [t.id for t in trainers], claim_all)
    finally:
        app.config.update(QUALITY_GOLD_RATE_START=0.10, QUALITY_GOLD_RATE_FLOOR=0.02)
    from marketplace.assignment.models import Assignment
    pairs = db.session.execute(sa.select(Assignment.task_id, Assignment.worker_id, sa.func.count())
                               .group_by(Assignment.task_id, Assignment.worker_id)).all()
    assert all(n == 1 for _, _, n in pairs)
    per_trainer = db.session.execute(sa.select(Assignment.worker_id, sa.func.count()).where(
        Assignment.status == "approved").group_by(Assignment.worker_id)).all()
    assert sorted(n for _, n in per_trainer) == [10] * 8   # gold measures everyone: all ten each
