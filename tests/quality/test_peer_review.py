"""Peer review: qualified reviewers, decisions through the work engine, known items, disputes, paid time."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.assignment.models import Assignment
from marketplace.core.audit import AuditEvent
from marketplace.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.core.events import subscribe, _subscribers
from marketplace.core.notices import Notice
from marketplace.extensions import db
from marketplace.quality import disputes, peer, rules
from marketplace.quality.models import GoldScore, PeerReview, ReviewItem
from tests.factories import answer_task, job_tasks, make_admin, make_open_job, make_trainer

from .conftest import RIGHT, WRONG, label_answer

REVIEWER_KEY = "hate-speech-reviewer"
REASON = "The post attacks a group for its religion; that is hate speech under section 2."


def _peer_job(tasks: int = 4):
    job = make_open_job(tasks=tasks, review_policy="peer")
    rules.update_settings(job, job.requester, is_rule_enabled=True, min_accuracy=0.8, min_gold_items=10, window=50,
                          return_text="", iou_threshold=0.5, rating_tolerance=1, reviewer_qualification=REVIEWER_KEY)
    db.session.commit()
    return job


def _answered(job, author, label=WRONG, n=1):
    return [answer_task(task, author, label_answer(label)) for task in job_tasks(job)[:n]]


def test_only_trainers_with_the_reviewer_qualification_review_and_never_their_own_answers(qualified):
    job = _peer_job()
    author, reviewer = make_trainer(), make_trainer()
    (assignment,) = _answered(job, author)
    assert assignment.status == "submitted"
    assert db.session.scalar(sa.select(ReviewItem).where(ReviewItem.assignment_id == assignment.id)).status == "open"
    with pytest.raises(Forbidden) as refused:
        peer.claim_review(job, reviewer)
    assert REVIEWER_KEY in refused.value.message
    qualified[reviewer.id] = {REVIEWER_KEY}
    qualified[author.id] = {REVIEWER_KEY}
    with pytest.raises(Conflict):
        peer.claim_review(job, author)   # the only waiting answer is their own
    review = peer.claim_review(job, reviewer)
    assert review.item.assignment_id == assignment.id
    assert peer.claim_review(job, reviewer).id == review.id   # a second click resumes, never grabs more


def test_reject_goes_through_the_work_engine_with_reason_audit_and_notice(qualified):
    job = _peer_job()
    author, reviewer = make_trainer(), make_trainer()
    qualified[reviewer.id] = {REVIEWER_KEY}
    (assignment,) = _answered(job, author)
    review = peer.claim_review(job, reviewer)
    with pytest.raises(ValidationFailed):
        peer.decide(review.id, reviewer, "reject", reason="bad")
    peer.decide(review.id, reviewer, "reject", reason=REASON)
    db.session.commit()
    db.session.refresh(assignment)
    assert assignment.status == "rejected" and assignment.reviewer_id == reviewer.id
    assert assignment.review_reason == REASON
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "assignment.rejected"))
    assert audit.actor_id == reviewer.id and audit.subject_user_id == author.id
    bodies = [n.body for n in db.session.scalars(sa.select(Notice).where(Notice.user_id == author.id))]
    assert any(REASON in b and "dispute" in b for b in bodies)
    # The reviewer held the answer only while reviewing: a decided review gives no further power.
    from marketplace.assignment import review as assignment_review
    with pytest.raises(Forbidden):
        assignment_review.approve(assignment.id, reviewer)


def test_accept_approves_and_correct_keeps_the_correction_beside_the_answer(qualified):
    job = _peer_job()
    author, reviewer = make_trainer(), make_trainer()
    qualified[reviewer.id] = {REVIEWER_KEY}
    first, second = _answered(job, author, n=2)
    peer.decide(peer.claim_review(job, reviewer).id, reviewer, "accept")
    review = peer.claim_review(job, reviewer)
    db.session.commit()
    with pytest.raises(ValidationFailed):
        peer.decide(review.id, reviewer, "correct", reason=REASON, corrected_answer={"labels": ["Not a label"]})
    db.session.rollback()
    peer.decide(review.id, reviewer, "correct", reason=REASON, corrected_answer={"labels": [RIGHT]})
    db.session.commit()
    db.session.refresh(first)
    db.session.refresh(second)
    assert first.status == "approved" and second.status == "approved"
    assert db.session.get(PeerReview, review.id).corrected_answer == {"labels": [RIGHT]}


def test_known_items_measure_reviewers_and_the_reviewer_reads_the_requesters_note(qualified, app):
    app.config.update(QUALITY_GOLD_RATE_START=1.0, QUALITY_GOLD_RATE_FLOOR=1.0)   # every slot a known item
    try:
        job = _peer_job()
        reviewer = make_trainer()
        qualified[reviewer.id] = {REVIEWER_KEY}
        disputes.seed_known_item(job, job.requester, task_seq=1, answer=label_answer(WRONG),
                                 expected_decision="reject", explanation="This post is plainly not hateful.")
        disputes.seed_known_item(job, job.requester, task_seq=2, answer=label_answer(RIGHT),
                                 expected_decision="accept", explanation="Correct: rude, not hateful.")
        db.session.commit()
        peer.decide(peer.claim_review(job, reviewer).id, reviewer, "accept")            # wrong: expected reject
        peer.decide(peer.claim_review(job, reviewer).id, reviewer, "accept")            # right
        db.session.commit()
    finally:
        app.config.update(QUALITY_GOLD_RATE_START=0.10, QUALITY_GOLD_RATE_FLOOR=0.02)
    scores = list(db.session.scalars(sa.select(GoldScore).where(GoldScore.source == "review").order_by(GoldScore.id)))
    assert [s.passed for s in scores] == [False, True]
    assert "plainly not hateful" in scores[0].explanation
    (record,) = disputes.reviewer_record(reviewer.id)
    assert (record.known.n_items, record.known.n_passed, record.n_reviews) == (2, 1, 2)


def _rejected_by_a_reviewer(qualified):
    """A peer-reviewed job whose author's right answer a qualified reviewer rejected (with REASON)."""
    job = _peer_job()
    author, reviewer = make_trainer(), make_trainer()
    qualified[reviewer.id] = {REVIEWER_KEY}
    (assignment,) = _answered(job, author, label=RIGHT)
    review = peer.claim_review(job, reviewer)
    peer.decide(review.id, reviewer, "reject", reason=REASON)
    return job, author, reviewer, assignment, review


def test_a_disputed_rejection_overturned_by_the_requester_reinstates_the_answer(qualified):
    job, author, reviewer, assignment, review = _rejected_by_a_reviewer(qualified)
    db.session.commit()
    with pytest.raises(NotFound):
        disputes.dispute_review(review.id, reviewer, "Only the author of the answer may dispute its review.")
    dispute = disputes.dispute_review(review.id, author, "The post is rude but attacks nobody for who they are.")
    db.session.commit()
    with pytest.raises(NotFound):
        disputes.decide_dispute(dispute.id, make_trainer(), "overturned", "Trainers cannot decide disputes.")
    disputes.decide_dispute(dispute.id, job.requester, "overturned", "Agreed: no protected group is attacked.")
    db.session.commit()
    db.session.refresh(assignment)
    assert assignment.status == "approved" and assignment.review_reason.startswith("Rejection reversed")
    reviewer_notice = db.session.scalars(sa.select(Notice).where(Notice.user_id == reviewer.id)).all()[-1]
    assert "overturned" in reviewer_notice.body
    (record,) = disputes.reviewer_record(reviewer.id)
    assert record.n_overturned == 1


def test_an_admin_may_decide_a_dispute_and_may_uphold_the_review(qualified):
    job = _peer_job()
    author, reviewer = make_trainer(), make_trainer()
    qualified[reviewer.id] = {REVIEWER_KEY}
    (assignment,) = _answered(job, author)
    review = peer.claim_review(job, reviewer)
    peer.decide(review.id, reviewer, "reject", reason=REASON)
    dispute = disputes.dispute_review(review.id, author, "I think the post is satire and should be accepted.")
    disputes.decide_dispute(dispute.id, make_admin(), "upheld", "It is not satire; the review stands as written.")
    db.session.commit()
    db.session.refresh(assignment)
    assert assignment.status == "rejected" and dispute.status == "upheld"


def test_reviewing_announces_paid_working_time_for_the_pay_room(qualified):
    seen = []

    @subscribe("quality.review_started")
    def started(review, reviewer, job, now, **_):
        seen.append(("started", reviewer.id, job.id))

    @subscribe("quality.review_finished")
    def finished(review, reviewer, job, now, **_):
        seen.append(("finished", reviewer.id, job.id))

    try:
        job = _peer_job()
        author, reviewer = make_trainer(), make_trainer()
        qualified[reviewer.id] = {REVIEWER_KEY}
        _answered(job, author)
        peer.decide(peer.claim_review(job, reviewer).id, reviewer, "accept")
    finally:
        _subscribers["quality.review_started"].remove(started)
        _subscribers["quality.review_finished"].remove(finished)
    assert seen == [("started", reviewer.id, job.id), ("finished", reviewer.id, job.id)]


def test_answers_approved_another_way_leave_the_review_queue(qualified):
    from marketplace.assignment import review as assignment_review
    from marketplace.quality import periodic
    job = _peer_job()
    author, reviewer = make_trainer(), make_trainer()
    qualified[reviewer.id] = {REVIEWER_KEY}
    (assignment,) = _answered(job, author)
    assignment_review.approve(assignment.id, job.requester)
    assert periodic.close_settled_reviews(None) == 1
    assert periodic.close_settled_reviews(None) == 0
    with pytest.raises(Conflict):
        peer.claim_review(job, reviewer)
    assert db.session.get(Assignment, assignment.id).status == "approved"


def test_a_dispute_can_still_be_overturned_after_an_appeal_reinstated_the_answer(qualified):
    from marketplace.assignment import review as assignment_review
    job, author, reviewer, assignment, review = _rejected_by_a_reviewer(qualified)
    dispute = disputes.dispute_review(review.id, author, "The post is rude but attacks nobody for who they are.")
    assignment_review.reinstate(assignment.id, make_admin(), "Reinstated on appeal by another admin.")
    disputes.decide_dispute(dispute.id, job.requester, "overturned", "Agreed: no protected group is attacked.")
    db.session.commit()
    db.session.refresh(assignment)
    assert assignment.status == "approved" and dispute.status == "overturned"
