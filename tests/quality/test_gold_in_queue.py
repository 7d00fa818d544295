"""Gold tasks in a trainer's queue: placed at the decaying rate, slot by slot, past the job's overlap."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.assignment import services as work
from marketplace.extensions import db
from marketplace.jobs.models import Task
from marketplace.quality.gold_rate import GoldSchedule, is_gold_slot
from tests.factories import job_tasks, make_open_job, make_trainer

from .conftest import RIGHT, label_answer

FAST_DECAY = {"QUALITY_GOLD_RATE_START": 0.5, "QUALITY_GOLD_RATE_FLOOR": 0.05, "QUALITY_GOLD_HALF_LIFE": 15}


@pytest.fixture
def fast_decay(app):
    old = {k: app.config[k] for k in FAST_DECAY}
    app.config.update(FAST_DECAY)
    yield GoldSchedule(0.5, 0.05, 15)
    app.config.update(old)


def _job_with_gold(tasks: int, gold: int, overlap: int = 1):
    job = make_open_job(tasks=tasks, overlap=overlap)
    for task in job_tasks(job)[-gold:]:  # gold at the end: job order alone would never reach them early
        task.gold = {"labels": [RIGHT]}
    db.session.commit()
    return job


def _work_through(job, trainer, n: int) -> list[bool]:
    """Claim and answer n tasks; returns, slot by slot, whether the task handed out was a gold task."""
    got = []
    for _ in range(n):
        (assignment,) = work.claim_next(job, trainer)
        got.append(db.session.get(Task, assignment.task_id).gold is not None)
        work.submit(assignment.id, trainer, label_answer(RIGHT))
        db.session.commit()
    return got


def test_each_slot_is_gold_exactly_when_the_decaying_rate_says_so(app, fast_decay):
    job = _job_with_gold(tasks=160, gold=60)
    trainer = make_trainer()
    got = _work_through(job, trainer, 90)
    expected = [is_gold_slot(app.config["SECRET_KEY"], job.id, trainer.id, n, schedule=fast_decay)
                for n in range(90)]
    assert got == expected
    early, late = sum(got[:30]) / 30, sum(got[-40:]) / 40
    assert early > late, (early, late)   # about 1 in 3 early on, under 1 in 10 by the end
    assert fast_decay.rate(0) > fast_decay.rate(89)


def test_gold_share_decays_towards_the_floor_over_a_long_run(app, fast_decay):
    job = _job_with_gold(tasks=300, gold=70)
    trainer = make_trainer()
    got = _work_through(job, trainer, 200)
    first, last = sum(got[:40]), sum(got[-100:])
    assert first / 40 > 2 * (last / 100)
    assert abs(sum(got) - fast_decay.expected_gold(200)) < 12  # the mix follows the documented curve


def test_gold_tasks_are_served_to_every_trainer_past_the_overlap(app, fast_decay):
    job = _job_with_gold(tasks=40, gold=5, overlap=1)
    first, second = make_trainer(), make_trainer()
    _work_through(job, first, 30)
    got = _work_through(job, second, 10)
    gold_seen = [n for n, g in enumerate(got) if g]
    expected = [n for n in range(10) if is_gold_slot(app.config["SECRET_KEY"], job.id, second.id, n,
                                                     schedule=fast_decay)]
    assert gold_seen == expected and gold_seen  # the second trainer still meets gold the first one answered
    answered = db.session.scalar(sa.select(sa.func.max(Task.answers_done)).where(Task.job_id == job.id,
                                                                              Task.gold.is_not(None)))
    assert answered == 2


def test_a_job_without_gold_hands_out_tasks_in_order(app):
    job = make_open_job(tasks=5)
    trainer = make_trainer()
    seqs = []
    for _ in range(5):
        (a,) = work.claim_next(job, trainer)
        seqs.append(db.session.get(Task, a.task_id).seq)
        work.submit(a.id, trainer, label_answer(RIGHT))
        db.session.commit()
    assert seqs == [1, 2, 3, 4, 5]


def test_a_gold_task_looks_like_any_other_task_on_the_work_page_and_in_the_api(app, client, login):
    job = make_open_job(tasks=2)
    gold_task, plain_task = job_tasks(job)
    gold_task.gold = {"labels": [RIGHT]}
    gold_task.meta = {"explanation": "Secret explanation of the expected label."}
    db.session.commit()
    trainer = make_trainer()
    login(trainer)
    pages = {}
    for want in (True, False):
        (assignment,) = work.claim_next(job, trainer, want_gold=want)
        db.session.commit()
        pages[want] = (client.get(f"/work/tasks/{assignment.id}").get_data(as_text=True),  # while held
                       client.get(f"/api/v1/work/assignments/{assignment.id}").get_data(as_text=True))
        assert assignment.task_id == (gold_task.id if want else plain_task.id)
        work.submit(assignment.id, trainer, label_answer(RIGHT))
        db.session.commit()
    for page, api in pages.values():
        assert "Secret explanation" not in page + api
        assert "gold" not in page.lower() and "gold" not in api.lower()
    # Same page apart from the task's own text and ids.
    assert len(pages[True][0]) - len(pages[False][0]) in range(-40, 41)
