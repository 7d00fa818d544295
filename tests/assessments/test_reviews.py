"""The review queue: each written answer marked, a decision with a written reason, audit and notice."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.assessments import reviews, services
from marketplace.assessments.models import QualificationDecision
from marketplace.core.errors import Conflict, Forbidden, ValidationFailed
from marketplace.core.models import AuditEvent, Notice
from tests.assessments.helpers import T0, take, written_positions
from tests.factories import make_admin, make_assessment, make_trainer

REASON = "Both rationales name the target group and explain why it is protected."


@pytest.fixture
def reviewed(db):
    """A 4-item attempt with 2 rationale items, all labels right, waiting for review."""
    assessment = make_assessment(items=4, per_attempt=4, pass_mark=75, rationale_items=2, requires_review=True)
    trainer = make_trainer()
    return take(assessment, trainer), trainer, make_admin()


def test_an_attempt_with_rationales_waits_for_review_with_choice_items_already_graded(reviewed):
    attempt, trainer, _ = reviewed
    assert attempt.status == "pending_review"
    assert attempt.correct_items == 2  # the two choice-only items; the rationale items wait
    assert [e.attempt.id for e in reviews.review_queue()] == [attempt.id]
    assert services.active_qualification_keys(trainer.id, T0 + timedelta(hours=1)) == set()
    states = services.my_qualifications(trainer.id)
    assert [(s.qualification.key, s.state) for s in states] == [("test-skill", "pending review")]


@pytest.mark.parametrize("reason", ["", "ok", "Looks fine to me."])  # under 20 characters
def test_a_decision_needs_a_written_reason_of_20_characters_and_changes_nothing_without_one(db, reviewed, reason):
    attempt, trainer, admin = reviewed
    marks = {p: "acceptable" for p in written_positions(attempt)}
    with pytest.raises(ValidationFailed) as exc:
        reviews.decide_review(attempt, actor=admin, marks=marks, decision="approve", reason=reason)
    assert "at least 20 characters" in exc.value.message
    db.session.rollback()
    db.session.refresh(attempt)
    assert attempt.status == "pending_review" and attempt.decided_by_id is None


def test_every_written_answer_must_be_marked(db, reviewed):
    attempt, _, admin = reviewed
    first = written_positions(attempt)[0]
    with pytest.raises(ValidationFailed) as exc:
        reviews.decide_review(attempt, actor=admin, marks={first: "acceptable"}, decision="approve", reason=REASON)
    assert "Mark the written answer to item" in exc.value.message


def test_approval_is_refused_when_the_marks_leave_the_score_below_the_pass_mark(db, reviewed):
    attempt, _, admin = reviewed
    marks = {p: "not_acceptable" for p in written_positions(attempt)}  # 2 of 4 = 50% < 75%
    with pytest.raises(ValidationFailed) as exc:
        reviews.decide_review(attempt, actor=admin, marks=marks, decision="approve", reason=REASON)
    assert "2 of 4 (50%), below the pass mark of 75%" in exc.value.message


def test_approval_grants_the_qualification_and_tells_the_trainer_why(db, reviewed):
    attempt, trainer, admin = reviewed
    marks = {p: "acceptable" for p in written_positions(attempt)}
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        reviews.decide_review(attempt, actor=admin, marks=marks, decision="approve", reason=REASON)
    db.session.commit()
    assert attempt.status == "passed" and attempt.correct_items == 4 and attempt.decision_reason == REASON
    assert services.active_qualification_keys(trainer.id, T0 + timedelta(days=2)) == {"test-skill"}
    decision = db.session.scalars(sa.select(QualificationDecision).where(
        QualificationDecision.kind == "review_approved")).one()
    assert (decision.actor_id, decision.reason, decision.attempt_id) == (admin.id, REASON, attempt.id)
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "assessment.review_approved")).one()
    assert (event.actor_id, event.subject_user_id, event.reason) == (admin.id, trainer.id, REASON)
    notice = db.session.scalars(sa.select(Notice).where(Notice.user_id == trainer.id)
                                .order_by(Notice.id.desc())).first()
    assert notice.subject.startswith("You passed") and REASON in notice.body


def test_rejection_with_reasons_is_always_possible_and_the_trainer_reads_them(db, reviewed):
    attempt, trainer, admin = reviewed
    marks = {p: "acceptable" for p in written_positions(attempt)}
    reason = "The rationales are copied word for word from the public policy page."
    reviews.decide_review(attempt, actor=admin, marks=marks, decision="reject", reason=reason)
    db.session.commit()
    assert attempt.status == "failed"
    assert services.active_qualification_keys(trainer.id, T0 + timedelta(days=2)) == set()
    body = db.session.scalars(sa.select(Notice.body).where(Notice.user_id == trainer.id)
                              .order_by(Notice.id.desc())).first()
    assert reason in body and "contest" in body


def test_an_attempt_cannot_be_decided_twice(db, reviewed):
    attempt, _, admin = reviewed
    marks = {p: "acceptable" for p in written_positions(attempt)}
    reviews.decide_review(attempt, actor=admin, marks=marks, decision="approve", reason=REASON)
    db.session.commit()
    with pytest.raises(Conflict):
        reviews.decide_review(attempt, actor=make_admin(), marks=marks, decision="reject", reason=REASON)


def test_only_admins_decide(db, reviewed):
    attempt, trainer, _ = reviewed
    with pytest.raises(Forbidden):
        reviews.decide_review(attempt, actor=trainer, marks={}, decision="approve", reason=REASON)


def test_review_page_marks_and_decides_through_the_form(db, client, login, reviewed):
    attempt, trainer, admin = reviewed
    login(admin)
    page = client.get(f"/admin/assessments/reviews/{attempt.id}").get_data(as_text=True)
    for position in written_positions(attempt):
        assert f'name="mark-{position}"' in page
    data = {f"mark-{p}": "acceptable" for p in written_positions(attempt)}
    short = client.post(f"/admin/assessments/reviews/{attempt.id}", data=dict(data, decision="approve", reason="fine"))
    assert short.status_code == 422 and "at least 20 characters" in short.get_data(as_text=True)
    done = client.post(f"/admin/assessments/reviews/{attempt.id}", data=dict(data, decision="approve", reason=REASON))
    assert done.status_code == 302
    db.session.refresh(attempt)
    assert attempt.status == "passed"


def test_overdue_reviews_are_highlighted_in_the_queue(db, client, login):
    assessment = make_assessment(items=4, per_attempt=4, rationale_items=2, requires_review=True)
    old = take(assessment, make_trainer(display_name="Old Oona"), at=T0)
    new = take(assessment, make_trainer(display_name="New Nia"), at=T0 + timedelta(days=4))
    admin = make_admin()
    with time_machine.travel(T0 + timedelta(days=4, hours=1), tick=False):
        login(admin)  # the session cookie is signed with the (travelled) time
        entries = {e.attempt.id: e.is_overdue for e in reviews.review_queue()}
        page = client.get("/admin/assessments/reviews").get_data(as_text=True)
    assert entries == {old.id: True, new.id: False}
    assert page.count('class="overdue"') == 1
    row = page[page.index('class="overdue"'):]
    assert "Old Oona" in row[:800] and "overdue" in row[:200]
