"""The ways back from a removal through the rooms below: an appeal (moderation) and passing the job's
qualification again (assessments)."""
from __future__ import annotations

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.jobs import services as jobs
from marketplace.moderation import services as moderation
from marketplace.quality import appealable, removals
from marketplace.quality.models import QualityRestriction
from tests.factories import make_admin, make_assessment, make_trainer

from .conftest import WRONG, answer_all, gold_job


def test_a_removal_is_appealable_and_overturning_it_restores_access_with_a_fresh_start(app):
    job = gold_job(tasks=12)
    trainer = make_trainer()
    answer_all(job, trainer, [WRONG] * 10)
    row = db.session.scalar(sa.select(QualityRestriction))
    decision = moderation.resolve_decision("quality_restriction", row.id)
    assert decision.concerns_user_id == trainer.id and decision.decided_by_id is None
    assert appealable.subject_ids(trainer.id) == [row.id]
    appeal = moderation.file_appeal(trainer, "quality_restriction", row.id,
                                    "Three of these gold answers contradict the instructions' own examples.")
    db.session.commit()
    moderation.decide_appeal(appeal, make_admin(), outcome="overturned",
                             reason="The gold answers were wrong for these posts; the removal is reversed.")
    db.session.commit()
    db.session.refresh(row)
    assert row.status == "lifted" and row.lift_kind == "appeal"
    assert removals.decision_for(job, trainer.id).evidence["n_counted"] == 0   # fresh start
    assert not any(e.code == "quality_restriction" for e in jobs.eligibility(trainer, job))


def test_passing_the_jobs_qualification_again_lifts_the_removal_through_the_assessments_room(app):
    from marketplace.assessments import holdings
    assessment = make_assessment("hate-speech-en")
    job = gold_job(tasks=12, required_qualifications=["hate-speech-en"])
    trainer = make_trainer()
    answer_all(job, trainer, [WRONG] * 10)
    row = db.session.scalar(sa.select(QualityRestriction))
    assert row.status == "active"
    holdings.admin_grant(trainer, assessment.qualification, actor=make_admin(),
                         reason="Passed the re-certification held in person last week.")
    db.session.commit()
    db.session.refresh(row)
    assert row.status == "lifted" and row.lift_kind == "qualification"
