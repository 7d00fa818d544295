"""Qualification decisions are appealable through the moderation room; overturning restores the qualification."""
import pytest
import sqlalchemy as sa

from marketplace.assessments import holdings, services
from marketplace.assessments.models import TrainerQualification
from marketplace.core.errors import Forbidden
from marketplace.moderation import appeals
from tests.assessments.helpers import take
from tests.factories import make_admin, make_assessment, make_trainer

REASON = "Labels copied from another trainer's submissions in job 41, confirmed by timestamps."
APPEAL = "I worked alone; the timestamps match because we were both online at 9 am, see my screenshots."
VERDICT = "The two trainers' answers differ on 9 of 20 items; copying is not shown, the revocation is reversed."


def test_revoked_qualification_is_restored_when_a_second_admin_overturns_the_appeal(db):
    assessment = make_assessment(per_attempt=2)
    trainer, first_admin, second_admin = make_trainer(), make_admin(), make_admin()
    take(assessment, trainer)
    holding = db.session.scalars(sa.select(TrainerQualification)).one()
    holdings.revoke(holding, actor=first_admin, reason=REASON)
    db.session.commit()
    revocation = services.decisions_for_user(trainer.id)[0]
    assert revocation.kind == "revocation"
    offered = appeals.open_decisions_for(trainer, revocation.created_at)
    assert [d.subject_id for d in offered if d.kind == "qualification_decision"] == [revocation.id]

    appeal = appeals.file_appeal(trainer, "qualification_decision", revocation.id, APPEAL)
    db.session.commit()
    with pytest.raises(Forbidden):  # four eyes: the admin who revoked cannot decide the appeal
        appeals.decide_appeal(appeal, first_admin, outcome="overturned", reason=VERDICT)
    db.session.rollback()
    appeals.decide_appeal(appeal, second_admin, outcome="overturned", reason=VERDICT)
    db.session.commit()
    assert services.active_qualification_keys(trainer.id) == {assessment.qualification.key}
    assert "active again" in appeal.restored_summary


def test_passes_are_not_offered_for_appeal(db):
    assessment = make_assessment(per_attempt=2)
    trainer = make_trainer()
    take(assessment, trainer)
    passed = services.decisions_for_user(trainer.id)[0]
    assert passed.kind == "passed"
    assert appeals.kinds()["qualification_decision"].resolver(passed.id) is None
