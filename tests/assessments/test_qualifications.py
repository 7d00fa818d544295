"""Qualifications for other rooms, and admins granting or revoking them with written reasons."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.assessments import holdings, services
from marketplace.assessments.models import QualificationDecision, TrainerQualification
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.models import AuditEvent, Notice
from tests.assessments.helpers import T0, take
from tests.factories import make_admin, make_assessment, make_requester, make_trainer

REASON = "Holds the JLPT N1 certificate, checked against the original document."


def test_catalogue_and_the_assessment_that_grants_each_qualification(db):
    make_assessment("zeta-skill", kind="expertise")
    make_assessment("alpha-lang", kind="language")
    assert [q.key for q in services.qualification_catalogue()] == ["zeta-skill", "alpha-lang"] or \
        [q.kind for q in services.qualification_catalogue()] == ["expertise", "language"]
    assert services.assessment_for_qualification("alpha-lang").key == "alpha-lang-v1"
    assert services.assessment_for_qualification("nope") is None


def test_admin_grant_needs_a_reason_and_is_recorded_audited_and_told(db):
    assessment = make_assessment()
    trainer, admin = make_trainer(), make_admin()
    qualification = assessment.qualification
    with pytest.raises(ValidationFailed):
        holdings.admin_grant(trainer, qualification, actor=admin, reason="Trust me.")
    holdings.admin_grant(trainer, qualification, actor=admin, reason=REASON)
    db.session.commit()
    assert "test-skill" in services.active_qualification_keys(trainer.id)
    decision = db.session.scalars(sa.select(QualificationDecision)).one()
    assert (decision.kind, decision.actor_id, decision.reason) == ("admin_grant", admin.id, REASON)
    assert db.session.scalar(sa.select(AuditEvent.reason).where(AuditEvent.action == "qualification.granted")) == REASON
    assert REASON in db.session.scalars(sa.select(Notice.body).where(Notice.user_id == trainer.id)).one()
    with pytest.raises(Conflict):
        holdings.admin_grant(trainer, qualification, actor=admin, reason=REASON)


def test_only_trainers_receive_qualifications(db):
    assessment = make_assessment()
    with pytest.raises(ValidationFailed):
        holdings.admin_grant(make_requester(), assessment.qualification, actor=make_admin(), reason=REASON)


def test_revocation_needs_a_reason_ends_eligibility_and_blocks_retakes(db):
    assessment = make_assessment(per_attempt=2)
    trainer, admin = make_trainer(), make_admin()
    take(assessment, trainer)
    holding = db.session.scalars(sa.select(TrainerQualification)).one()
    with pytest.raises(ValidationFailed):
        holdings.revoke(holding, actor=admin, reason="bad")
    reason = "Labels copied from another trainer's submissions in job 41, confirmed by timestamps."
    holdings.revoke(holding, actor=admin, reason=reason)
    db.session.commit()
    assert services.active_qualification_keys(trainer.id) == set()
    state = services.my_qualifications(trainer.id)[0]
    assert state.state == "revoked" and reason in state.why
    standing = services.standing_for(trainer.id, assessment, T0 + timedelta(days=40))
    assert standing.code == "revoked" and "appeal" in standing.message
    notice = db.session.scalars(sa.select(Notice).where(Notice.user_id == trainer.id).order_by(Notice.id.desc())).first()
    assert notice.is_banner and reason in notice.body and "appeal" in notice.body
    with pytest.raises(Conflict):
        holdings.revoke(holding, actor=admin, reason=reason)  # compare-and-set: already revoked
    decisions = [d.kind for d in services.decisions_for_user(trainer.id)]
    assert decisions == ["revocation", "passed"]


def test_admin_grant_and_revoke_pages(db, client, login):
    assessment = make_assessment()
    trainer, admin = make_trainer(email="ana@example.com"), make_admin()
    login(admin)
    missing = client.post("/admin/assessments/qualifications/test-skill/grant",
                          data={"email": "nobody@example.com", "reason": REASON})
    assert missing.status_code == 422 and "No account has that e-mail address." in missing.get_data(as_text=True)
    short = client.post("/admin/assessments/qualifications/test-skill/grant",
                        data={"email": "ana@example.com", "reason": "because"})
    assert short.status_code == 422 and "at least 20 characters" in short.get_data(as_text=True)
    ok = client.post("/admin/assessments/qualifications/test-skill/grant",
                     data={"email": "ana@example.com", "reason": REASON})
    assert ok.status_code == 302
    page = client.get("/admin/assessments/qualifications/test-skill").get_data(as_text=True)
    assert "ana@example.com" in page and REASON in page
    holding = db.session.scalars(sa.select(TrainerQualification)).one()
    client.post(f"/admin/assessments/holdings/{holding.id}/revoke", data={"reason": "Too short"})
    db.session.refresh(holding)
    assert holding.status == "active"
    client.post(f"/admin/assessments/holdings/{holding.id}/revoke",
                data={"reason": "Certificate turned out to be forged, per the issuer's reply."})
    db.session.refresh(holding)
    assert holding.status == "revoked"


def test_trainer_sees_each_qualification_state_and_why(db, client, login):
    written = make_assessment("written", items=4, per_attempt=4, rationale_items=2, requires_review=True)
    plain = make_assessment("plain", items=2, per_attempt=2)
    trainer = make_trainer()
    take(plain, trainer)
    take(written, trainer)
    login(trainer)
    page = client.get("/assessments").get_data(as_text=True)
    assert "Skill plain" in page and "Passed Test of plain (attempt 1): 100%." in page
    assert "Skill written" in page and "pending review" in page
    assert "a reviewer is reading your written answers" in page
