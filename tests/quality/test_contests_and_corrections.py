"""Contesting gold answers and correcting them: written answers, re-scoring through the services, notices."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.core.audit import AuditEvent
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.notices import Notice
from marketplace.extensions import db
from marketplace.quality import contests, removals
from marketplace.quality.models import GoldContest, GoldCorrection, GoldScore, QualityRestriction
from tests.factories import answer_task, job_tasks, make_trainer

from .conftest import RIGHT, WRONG, answer_all, gold_job, label_answer

WHY = "The post quotes a slur in order to condemn it; see the instructions on quotations."


def _score(trainer, task):
    return db.session.scalar(sa.select(GoldScore).where(GoldScore.worker_id == trainer.id,
                                                       GoldScore.task_id == task.id))


def _notices(user):
    return list(db.session.scalars(sa.select(Notice).where(Notice.user_id == user.id).order_by(Notice.id)))


def test_correcting_a_gold_answer_rescores_everyone_and_tells_those_whose_result_changed():
    job = gold_job(tasks=1)
    task = job_tasks(job)[0]
    said_wrong, said_right = make_trainer(), make_trainer()
    answer_task(task, said_wrong, label_answer(WRONG))
    # A second trainer on the same gold item (gold measures everyone).
    answer_task(task, said_right, label_answer(RIGHT))
    assert not _score(said_wrong, task).passed and _score(said_right, task).passed
    before = len(_notices(said_right))

    correction = contests.correct_gold(task.id, job.requester, {"labels": [WRONG]}, WHY)
    db.session.commit()

    assert (correction.n_rescored, correction.n_changed) == (2, 2)
    assert _score(said_wrong, task).passed and not _score(said_right, task).passed
    assert _score(said_wrong, task).rescored_at is not None
    assert db.session.get(type(task), task.id).gold == {"labels": [WRONG]}
    assert len(_notices(said_right)) == before + 1
    assert "now counts as missed" in _notices(said_right)[-1].body and WHY in _notices(said_right)[-1].body
    assert "now counts as correct" in _notices(said_wrong)[-1].body
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "quality.gold_corrected"))
    assert audit.data["old"] == {"labels": [RIGHT]} and audit.data["changed"] == 2
    assert contests.gold_explanation(task) == WHY


def test_trainer_contests_in_writing_and_a_correction_answers_the_contest_and_lifts_the_removal():
    job = gold_job(tasks=12)
    trainer = make_trainer()
    answer_all(job, trainer, [WRONG] * 3 + [RIGHT] * 7)   # 70%: removed
    assert removals.active_restriction(job.id, trainer.id) is not None
    missed = _score(trainer, job_tasks(job)[0])
    contest = contests.contest_gold(missed.id, trainer, WHY)
    db.session.commit()
    requester_notice = _notices(job.requester)[-1]
    assert "contests the expected answer" in requester_notice.body and WHY in requester_notice.body

    contests.answer_contest(contest.id, job.requester, "You are right, thank you.", corrected_gold={"labels": [WRONG]},
                            explanation=WHY)
    db.session.commit()

    db.session.refresh(contest)
    assert contest.status == "corrected" and WHY in contest.response
    assert _score(trainer, job_tasks(job)[0]).passed
    row = db.session.scalar(sa.select(QualityRestriction))
    assert row.status == "lifted" and row.lift_kind == "rescore"   # 8 of 10 now meets the 80% bar
    assert any("can work on" in n.subject for n in _notices(trainer))


def test_requester_may_keep_the_gold_answer_with_a_written_answer():
    job = gold_job(tasks=2)
    trainer = make_trainer()
    answer_all(job, trainer, [WRONG, RIGHT])
    contest = contests.contest_gold(_score(trainer, job_tasks(job)[0]).id, trainer, WHY)
    with pytest.raises(ValidationFailed):
        contests.uphold_gold(contest.id, job.requester, "no")
    contests.uphold_gold(contest.id, job.requester, "A quotation that repeats the slur still counts as hateful here.")
    db.session.commit()
    assert contest.status == "upheld"
    assert "keeps the expected answer" in _notices(trainer)[-1].body
    with pytest.raises(Conflict):
        contests.uphold_gold(contest.id, job.requester, "Answering twice is not possible.")


def test_only_your_own_missed_items_can_be_contested_once_in_writing():
    job = gold_job(tasks=2)
    trainer, other = make_trainer(), make_trainer()
    answer_all(job, trainer, [WRONG, RIGHT])
    missed, passed = _score(trainer, job_tasks(job)[0]), _score(trainer, job_tasks(job)[1])
    with pytest.raises(NotFound):
        contests.contest_gold(missed.id, other, WHY)
    with pytest.raises(Conflict):
        contests.contest_gold(passed.id, trainer, WHY)
    with pytest.raises(ValidationFailed):
        contests.contest_gold(missed.id, trainer, "wrong")
    contests.contest_gold(missed.id, trainer, WHY)
    with pytest.raises(Conflict):
        contests.contest_gold(missed.id, trainer, WHY)


def test_a_malformed_correction_is_refused_and_changes_nothing():
    job = gold_job(tasks=1)
    task = job_tasks(job)[0]
    trainer = make_trainer()
    answer_task(task, trainer, label_answer(WRONG))
    for bad in ({"labels": ["Not a label"]}, {"label": RIGHT, "extra": 1}, "Neither"):
        with pytest.raises(ValidationFailed):
            contests.correct_gold(task.id, job.requester, bad, WHY)
        db.session.rollback()
    with pytest.raises(ValidationFailed):
        contests.correct_gold(task.id, job.requester, {"labels": [WRONG]}, "short")
    db.session.rollback()
    assert db.session.get(type(task), task.id).gold == {"labels": [RIGHT]}
    assert db.session.scalar(sa.select(sa.func.count(GoldCorrection.id))) == 0
    assert not _score(trainer, task).passed


def test_only_the_jobs_requester_corrects_its_gold(app):
    from tests.factories import make_admin, make_requester
    job = gold_job(tasks=1)
    task = job_tasks(job)[0]
    for outsider in (make_requester(), make_admin(), make_trainer()):
        with pytest.raises(NotFound):
            contests.correct_gold(task.id, outsider, {"labels": [WRONG]}, WHY)
    assert db.session.scalar(sa.select(sa.func.count(GoldContest.id))) == 0
