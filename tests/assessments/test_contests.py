"""Contesting an item, the admin's written answer, and gold corrections that re-grade affected attempts."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.assessments import reviews, services
from marketplace.assessments.models import AssessmentItem, AttemptItem, ItemContest, QualificationDecision
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.models import Notice
from tests.assessments.helpers import T0, take, written_positions
from tests.factories import make_admin, make_assessment, make_trainer

ANSWER = "You are right: option b is also correct, and it is now the expected answer."


def test_a_trainer_contests_an_item_with_a_written_comment_once(db):
    assessment = make_assessment(items=2, per_attempt=2, pass_mark=100)
    trainer = make_trainer()
    attempt = take(assessment, trainer, right={1})
    contest = reviews.contest_item(attempt, trainer, 2, "Option b fits the passage better, in my reading.")
    db.session.commit()
    assert contest.status == "open" and [c.id for c in reviews.open_contests()] == [contest.id]
    with pytest.raises(Conflict):
        reviews.contest_item(attempt, trainer, 2, "Option b fits the passage better, in my reading.")


@pytest.mark.parametrize("position, comment, error", [
    (2, "too short", ValidationFailed),
    (9, "This item does not exist in the attempt at all.", ValidationFailed),
])
def test_contest_input_is_checked(db, position, comment, error):
    assessment = make_assessment(items=2, per_attempt=2)
    trainer = make_trainer()
    attempt = take(assessment, trainer)
    with pytest.raises(error):
        reviews.contest_item(attempt, trainer, position, comment)


def test_nobody_contests_someone_elses_attempt(db):
    assessment = make_assessment(items=2, per_attempt=2)
    attempt = take(assessment, make_trainer())
    with pytest.raises(NotFound):
        reviews.contest_item(attempt, make_trainer(), 1, "I disagree with the expected answer here.")


def test_answer_without_correction_keeps_the_gold_and_tells_the_trainer(db):
    assessment = make_assessment(items=2, per_attempt=2, pass_mark=100)
    trainer = make_trainer()
    attempt = take(assessment, trainer, right={1})
    contest = reviews.contest_item(attempt, trainer, 2, "Option b fits the passage better, in my reading.")
    reviews.answer_contest(contest, actor=make_admin(), response="The passage says the opposite in line two.")
    db.session.commit()
    assert contest.status == "answered" and contest.corrected_answer is None
    body = db.session.scalars(sa.select(Notice.body).where(Notice.user_id == trainer.id)
                              .order_by(Notice.id.desc())).first()
    assert "line two" in body and "stays as it was" in body


def test_admin_answer_needs_20_characters(db):
    assessment = make_assessment(items=2, per_attempt=2)
    trainer = make_trainer()
    attempt = take(assessment, trainer)
    contest = reviews.contest_item(attempt, trainer, 1, "Option b fits the passage better, in my reading.")
    with pytest.raises(ValidationFailed):
        reviews.answer_contest(contest, actor=make_admin(), response="No.")


def test_gold_correction_regrades_every_affected_attempt(db):
    """Three trainers drew the same item; the gold was wrong. Correcting it re-grades all three."""
    assessment = make_assessment(items=2, per_attempt=2, pass_mark=100, cooldown=0)
    chose_b = make_trainer()   # answered 'b' everywhere: failed; the correction makes one item right (1 of 2)
    chose_a = make_trainer()   # answered the gold 'a' everywhere: passed; the correction makes one item wrong
    attempt_b = take(assessment, chose_b, right=set())
    attempt_a = take(assessment, chose_a)
    target = attempt_b.items[0]
    contest = reviews.contest_item(attempt_b, chose_b, target.position, "The expected answer is wrong: it is b.")
    reviews.answer_contest(contest, actor=make_admin(), response=ANSWER, corrected_answer=["b"])
    db.session.commit()
    # the bank item and every copy of it now say 'b'
    bank_item = db.session.get(AssessmentItem, target.item_id)
    assert bank_item.answer == ["b"] and bank_item.version == 2
    copies = db.session.scalars(sa.select(AttemptItem).where(AttemptItem.item_id == target.item_id)).all()
    assert {tuple(c.answer) for c in copies} == {("b",)}
    assert contest.regraded_attempts == 2
    assert attempt_b.correct_items == 1 and attempt_b.status == "failed"  # 1 of 2 is still below 100%
    # a correction of our mistake never takes a pass away
    assert attempt_a.correct_items == 1 and attempt_a.status == "passed"
    kinds = db.session.scalars(sa.select(QualificationDecision.kind).where(
        QualificationDecision.kind == "regrade")).all()
    assert len(kinds) == 2


def test_a_failed_attempt_that_now_reaches_the_pass_mark_passes_and_earns_the_qualification(db):
    assessment = make_assessment(items=2, per_attempt=2, pass_mark=50)
    trainer = make_trainer()
    attempt = take(assessment, trainer, right=set())
    assert attempt.status == "failed"
    contest = reviews.contest_item(attempt, trainer, 1, "The expected answer is wrong: it is b.")
    reviews.answer_contest(contest, actor=make_admin(), response=ANSWER, corrected_answer=["b"])
    db.session.commit()
    assert attempt.status == "passed" and attempt.correct_items == 1
    assert services.active_qualification_keys(trainer.id, T0 + timedelta(days=1)) == {"test-skill"}
    subjects = db.session.scalars(sa.select(Notice.subject).where(Notice.user_id == trainer.id)).all()
    assert any("re-graded" in s for s in subjects)


def test_a_reviewed_failed_attempt_that_now_reaches_the_pass_mark_goes_back_to_a_reviewer(db):
    import time_machine
    from tests.factories import answer_attempt
    assessment = make_assessment(items=3, per_attempt=3, pass_mark=60, rationale_items=1, requires_review=True)
    trainer, admin = make_trainer(), make_admin()
    with time_machine.travel(T0, tick=False):
        attempt, _ = services.start_attempt(assessment, trainer)
    written = written_positions(attempt)[0]
    choice_only = [i.position for i in attempt.items if not i.needs_writing]
    answer_attempt(attempt, right={written, choice_only[0]}, now=T0 + timedelta(minutes=1))  # the other: 'b'
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        services.submit_attempt(attempt, trainer)
    reviews.decide_review(attempt, actor=admin, marks={written: "not_acceptable"}, decision="reject",
                          reason="The rationale restates the label without saying who is targeted.")
    db.session.commit()
    assert attempt.status == "failed" and attempt.correct_items == 1  # 1 of 3
    contest = reviews.contest_item(attempt, trainer, choice_only[1], "The expected answer is wrong: it is b.")
    reviews.answer_contest(contest, actor=admin, response=ANSWER, corrected_answer=["b"])
    db.session.commit()
    assert attempt.correct_items == 2  # 2 of 3 = 66% reaches 60%: a person decides again
    assert attempt.status == "pending_review" and [e.attempt.id for e in reviews.review_queue()] == [attempt.id]


def test_only_copies_showing_the_same_content_are_regraded(db):
    """After a re-import changed an item's wording, a correction of the old wording leaves new copies alone."""
    from marketplace.assessments import bank, importing
    from tests.factories import assessment_spec
    spec = assessment_spec(items=1, per_attempt=1, pass_mark=100, cooldown=0)
    bank.import_parsed(importing.validate(spec))
    db.session.commit()
    assessment = services.assessment_by_key("test-skill-v1")
    old_taker, new_taker = make_trainer(), make_trainer()
    old = take(assessment, old_taker, right=set())
    spec["items"][0]["question"] = "Question 1, reworded?"
    bank.import_parsed(importing.validate(spec))
    db.session.commit()
    new = take(assessment, new_taker, right=set())
    assert old.items[0].content_hash != new.items[0].content_hash
    contest = reviews.contest_item(old, old_taker, 1, "The expected answer is wrong: it is b.")
    reviews.answer_contest(contest, actor=make_admin(), response=ANSWER, corrected_answer=["b"])
    db.session.commit()
    assert old.status == "passed" and new.status == "failed"
    assert db.session.get(AssessmentItem, old.items[0].item_id).answer == ["a"]  # the bank shows the new wording


def test_contest_answer_page_corrects_gold_through_the_form(db, client, login):
    assessment = make_assessment(items=2, per_attempt=2, pass_mark=50)
    trainer = make_trainer()
    attempt = take(assessment, trainer, right=set())
    contest = reviews.contest_item(attempt, trainer, 1, "The expected answer is wrong: it is b.")
    db.session.commit()
    login(make_admin())
    page = client.get(f"/admin/assessments/contests/{contest.id}").get_data(as_text=True)
    assert "The expected answer is wrong: it is b." in page and "1 attempt shows exactly this item" in page
    response = client.post(f"/admin/assessments/contests/{contest.id}",
                           data={"response": ANSWER, "correct_gold": "y", "corrected_answer": ["b"]})
    assert response.status_code == 302
    db.session.refresh(attempt)
    assert attempt.status == "passed"
    assert db.session.get(ItemContest, contest.id).corrected_answer == ["b"]
