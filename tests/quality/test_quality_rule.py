"""Gold scoring on submit, the job's quality rule, removal visible to matching, and the ways back."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.assignment import services as work
from marketplace.core.audit import AuditEvent
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.events import emit
from marketplace.core.notices import Notice
from marketplace.extensions import db
from marketplace.jobs import services as jobs
from marketplace.quality import contests, removals, rules, scoring
from marketplace.quality.models import GoldScore, QualityRestriction
from tests.factories import answer_task, job_tasks, make_open_job, make_requester, make_trainer

from .conftest import RIGHT, WRONG, answer_all, gold_job, label_answer


def _scores(trainer):
    return list(db.session.scalars(sa.select(GoldScore).where(GoldScore.worker_id == trainer.id)
                                   .order_by(GoldScore.id)))


def test_gold_answer_is_scored_on_submit_with_a_sentence_the_trainer_reads():
    job = gold_job(tasks=2)
    trainer = make_trainer()
    answer_all(job, trainer, [RIGHT, WRONG])
    first, second = _scores(trainer)
    assert first.passed and first.score == 1.0 and first.kind == "classification"
    assert not second.passed
    assert second.explanation == "You chose 'Hate speech'; the expected label is 'Neither'."


def test_answers_to_tasks_without_gold_are_not_scored():
    job = make_open_job(tasks=2)
    trainer = make_trainer()
    answer_task(job_tasks(job)[0], trainer, label_answer(WRONG))
    assert _scores(trainer) == []


def test_writing_gold_needs_a_person_and_is_not_scored_automatically():
    job = make_open_job(tasks=1, kind="writing")
    task = job_tasks(job)[0]
    task.gold = {"text": "A model answer " + "x" * 300}
    db.session.commit()
    trainer = make_trainer()
    answer_task(task, trainer, {"text": "My answer " + "y" * 300})
    assert _scores(trainer) == []


def test_accuracy_is_reported_per_job_and_per_kind_with_the_number_of_items():
    job = gold_job(tasks=4)
    trainer = make_trainer()
    answer_all(job, trainer, [RIGHT, RIGHT, RIGHT, WRONG])
    (per_job,) = scoring.accuracy_by_job(trainer.id)
    assert (per_job.accuracy.n_items, per_job.accuracy.n_passed) == (4, 3)
    assert per_job.accuracy.text() == "75% (3 of 4 gold items correct)"
    assert scoring.accuracy_by_kind(trainer.id)["classification"].n_items == 4


def test_trainer_under_the_bar_is_removed_with_rule_evidence_way_back_audit_and_notice():
    job = gold_job(tasks=12)
    trainer = make_trainer()
    answer_all(job, trainer, [WRONG] * 3 + [RIGHT] * 7)  # 70% over 10 items, the default bar is 80%
    row = db.session.scalar(sa.select(QualityRestriction))
    assert row is not None and row.status == "active" and row.worker_id == trainer.id
    assert row.evidence["n_counted"] == 10 and row.evidence["n_passed"] == 7
    assert len(row.evidence["missed_task_ids"]) == 3
    assert "at least 80%" in row.rule["text"]
    assert row.how_to_return["text"]
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "quality.restricted"))
    assert audit.subject_user_id == trainer.id and "7 of 10" in audit.reason
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == trainer.id, Notice.category == "quality"))
    assert "Rule:" in notice.body and "How to return:" in notice.body and "appeal" in notice.body


def test_removal_is_visible_to_matching_with_its_reason():
    job = gold_job(tasks=12)
    trainer = make_trainer()
    answer_all(job, trainer, [WRONG] * 10)
    codes = [e.code for e in jobs.eligibility(trainer, job)]
    assert "quality_restriction" in codes
    with pytest.raises(work.NotEligible) as refused:
        work.claim_next(job, trainer)
    assert "removed from this job by its quality rule" in refused.value.message
    assert any(d["code"] == "quality_restriction" for d in refused.value.errors)
    # Other trainers are not affected.
    other = make_trainer()
    assert work.claim_next(job, other)


def test_fewer_items_than_the_minimum_never_remove_anyone():
    job = gold_job(tasks=12)
    trainer = make_trainer()
    answer_all(job, trainer, [WRONG] * 9)
    assert db.session.scalar(sa.select(QualityRestriction)) is None
    assert removals.decision_for(job, trainer.id).status == "watch"


def test_the_rule_can_be_switched_off_per_job():
    job = gold_job(tasks=12)
    rules.update_settings(job, job.requester, is_rule_enabled=False, min_accuracy=0.8, min_gold_items=10, window=50,
                          return_text="", iou_threshold=0.5, rating_tolerance=1, reviewer_qualification=None)
    db.session.commit()
    trainer = make_trainer()
    answer_all(job, trainer, [WRONG] * 10)
    assert db.session.scalar(sa.select(QualityRestriction)) is None


def test_an_open_contest_leaves_the_item_out_of_the_rule():
    job = gold_job(tasks=12)
    trainer = make_trainer()
    answer_all(job, trainer, [WRONG] + [RIGHT] * 8)
    first = _scores(trainer)[0]
    contests.contest_gold(first.id, trainer, "The post is a quote from a news report, not an attack.")
    db.session.commit()
    answer_task(job_tasks(job)[9], trainer, label_answer(WRONG))  # 10 scored, but only 9 count
    decision = removals.decision_for(job, trainer.id)
    assert decision.evidence["n_counted"] == 9
    assert decision.evidence["contested_task_ids_left_out"] == [first.task_id]


def test_requester_lifts_a_removal_in_writing_and_the_trainer_starts_afresh():
    job = gold_job(tasks=14)
    trainer = make_trainer()
    answer_all(job, trainer, [WRONG] * 10)
    row = db.session.scalar(sa.select(QualityRestriction))
    with pytest.raises(ValidationFailed):
        removals.lift_by_person(row.id, job.requester, "ok")
    db.session.rollback()
    stranger = make_requester()
    with pytest.raises(NotFound):
        removals.lift_by_person(row.id, stranger, "Another requester cannot lift this removal.")
    db.session.rollback()
    removals.lift_by_person(row.id, job.requester, "We changed the instructions; please try again.")
    db.session.commit()
    assert row.status == "lifted" and row.lift_kind == "manual"
    assert removals.exclusions_for(trainer, job, row.lifted_at) == []
    # The old misses no longer count: one new wrong item does not remove them again.
    answer_task(job_tasks(job)[10], trainer, label_answer(WRONG))
    assert removals.active_restriction(job.id, trainer.id) is None
    assert removals.decision_for(job, trainer.id).evidence["n_counted"] == 1


def test_passing_the_jobs_qualification_again_lifts_the_removal():
    job = gold_job(tasks=12, required_qualifications=["hate-speech-en"])
    trainer = make_trainer()
    answer_all(job, trainer, [WRONG] * 10)
    row = db.session.scalar(sa.select(QualityRestriction))
    assert row.how_to_return["action"] == "retake_assessment" and "hate-speech-en" in row.how_to_return["text"]
    emit("qualification.granted", user_id=trainer.id, key="another-qualification")
    assert row.status == "active"
    emit("qualification.granted", user_id=trainer.id, key="hate-speech-en")
    db.session.commit()
    db.session.refresh(row)
    assert row.status == "lifted" and row.lift_kind == "qualification"
