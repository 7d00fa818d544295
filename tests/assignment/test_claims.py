"""Claim, submit, return and expiry through the services, on SQLite and PostgreSQL."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.assignment import review, services
from marketplace.assignment.models import Assignment
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.time import utcnow
from marketplace.extensions import db
from marketplace.jobs.models import Job, Task
from tests.assignment.conftest import GOOD
from tests.factories import make_open_job, make_trainer


def tasks_of(job):
    db.session.expire_all()
    return {t.seq: t for t in db.session.scalars(sa.select(Task).where(Task.job_id == job.id))}


def claim(job, trainer, **kw):
    held = services.claim_next(job, trainer, **kw)
    db.session.commit()
    return held


def test_claim_gives_the_first_open_task_and_counts_a_holder():
    job = make_open_job(tasks=3, overlap=2)
    held = claim(job, make_trainer())
    assert [a.task.seq for a in held] == [1]
    assert held[0].status == "reserved"
    assert held[0].expires_at - held[0].reserved_at == timedelta(minutes=job.reservation_minutes)
    first = tasks_of(job)[1]
    assert (first.holders, first.is_open) == (1, True)


def test_task_closes_when_it_has_as_many_holders_as_its_overlap_and_is_never_over_assigned():
    job = make_open_job(tasks=2, overlap=2)
    trainers = [make_trainer() for _ in range(3)]
    seqs = [claim(job, t, k=2) for t in trainers[:2]]
    assert [[a.task.seq for a in held] for held in seqs] == [[1, 2], [1, 2]]
    tasks = tasks_of(job)
    assert [(t.holders, t.is_open) for t in tasks.values()] == [(2, False), (2, False)]
    with pytest.raises(Conflict) as refused:
        services.claim_next(job, trainers[2])
    assert refused.value.code == "no_tasks"
    assert "Every task of this job is answered or being worked on" in refused.value.message


def test_a_trainer_never_gets_the_same_task_twice_even_after_returning_it():
    job = make_open_job(tasks=2, overlap=3)
    trainer = make_trainer()
    first = claim(job, trainer)[0]
    services.return_task(first.id, trainer, reason="unclear")
    db.session.commit()
    second = claim(job, trainer)[0]
    assert second.task.seq == 2
    services.submit(second.id, trainer, GOOD)
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        services.claim_next(job, trainer)
    assert refused.value.code == "done_all"


def test_unique_task_and_trainer_is_the_backstop_in_the_schema():
    job = make_open_job(tasks=1, overlap=3)
    trainer = make_trainer()
    a = claim(job, trainer)[0]
    db.session.add(Assignment(job_id=job.id, task_id=a.task_id, worker_id=trainer.id, expires_at=utcnow()))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_claiming_again_resumes_the_task_already_held_instead_of_taking_another():
    job = make_open_job(tasks=5)
    trainer = make_trainer()
    first = claim(job, trainer)[0]
    assert claim(job, trainer)[0].id == first.id
    three = claim(job, trainer, k=3)
    assert [a.task.seq for a in three] == [1, 2, 3] and three[0].id == first.id
    assert sum(t.holders for t in tasks_of(job).values()) == 3


@pytest.mark.parametrize("k", [0, -1, 21, "3", True])
def test_claim_size_outside_one_to_the_limit_is_refused(k):
    job = make_open_job(tasks=5)
    with pytest.raises(ValidationFailed):
        services.claim_next(job, make_trainer(), k=k)


def test_submit_records_the_answer_and_completes_the_task_at_its_overlap():
    job = make_open_job(tasks=1, overlap=2, review_policy="requester")
    one, two = make_trainer(), make_trainer()
    a1, a2 = claim(job, one)[0], claim(job, two)[0]
    done = services.submit(a1.id, one, GOOD)
    db.session.commit()
    assert done.status == "submitted" and done.answer == GOOD and done.submitted_at is not None
    assert tasks_of(job)[1].answers_done == 1 and db.session.get(Job, job.id).tasks_done == 0
    services.submit(a2.id, two, {"labels": ["Hate speech"], "justification": "It attacks people for their origin."})
    db.session.commit()
    assert tasks_of(job)[1].answers_done == 2 and db.session.get(Job, job.id).tasks_done == 1


def test_automatic_review_policy_approves_at_submit():
    job = make_open_job(tasks=1, review_policy="auto")
    trainer = make_trainer()
    a = claim(job, trainer)[0]
    done = services.submit(a.id, trainer, GOOD)
    assert done.status == "approved" and done.reviewed_at is not None and done.reviewer_id is None


def test_submitting_twice_with_the_same_answer_returns_the_first_result():
    job = make_open_job(tasks=2)
    trainer = make_trainer()
    a = claim(job, trainer)[0]
    first = services.submit(a.id, trainer, GOOD)
    db.session.commit()
    submitted_at = first.submitted_at
    again = services.submit(a.id, trainer, dict(GOOD))
    db.session.commit()
    assert again.id == first.id and again.submitted_at == submitted_at
    assert tasks_of(job)[1].answers_done == 1  # counted once


def test_a_different_answer_after_submitting_is_refused_and_changes_nothing():
    job = make_open_job(tasks=1)
    trainer = make_trainer()
    a = claim(job, trainer)[0]
    services.submit(a.id, trainer, GOOD)
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        services.submit(a.id, trainer, {"labels": ["Hate speech"], "justification": "Changed my mind about it."})
    assert "cannot change" in refused.value.message
    db.session.rollback()
    assert db.session.get(Assignment, a.id).answer == GOOD


@pytest.mark.parametrize("answer, field", [
    ({"labels": ["Not a label"], "justification": "Long enough justification."}, "labels[0]"),
    ({"labels": ["Neither", "Hate speech"], "justification": "Long enough justification."}, "labels"),
    ({"labels": ["Neither"], "justification": "short"}, "justification"),
    ({"labels": ["Neither"]}, "justification"),
    ({"labels": [], "justification": "Long enough justification."}, "labels"),
    ({"label": "Neither"}, "labels"),
    (["Neither"], "answer"),
])
def test_an_answer_that_does_not_fit_the_schema_is_refused_and_nothing_changes(answer, field):
    job = make_open_job(tasks=1)
    trainer = make_trainer()
    a = claim(job, trainer)[0]
    with pytest.raises(ValidationFailed) as refused:
        services.submit(a.id, trainer, answer)
    assert field in refused.value.errors
    db.session.rollback()
    stored = db.session.get(Assignment, a.id)
    assert stored.status == "reserved" and stored.answer is None


def test_someone_elses_assignment_does_not_exist_for_a_trainer():
    job = make_open_job(tasks=1, overlap=2)
    owner, other = make_trainer(), make_trainer()
    a = claim(job, owner)[0]
    for attempt in (lambda: services.submit(a.id, other, GOOD), lambda: services.save_draft(a.id, other, {}),
                    lambda: services.return_task(a.id, other), lambda: services.get_own(a.id, other)):
        with pytest.raises(NotFound):
            attempt()
    db.session.rollback()
    assert db.session.get(Assignment, a.id).status == "reserved"


def test_a_returned_task_cannot_be_submitted_and_its_slot_is_free_at_once():
    job = make_open_job(tasks=1)
    owner, other = make_trainer(), make_trainer()
    a = claim(job, owner)[0]
    services.return_task(a.id, owner, reason="broken", note="The post is cut off.")
    db.session.commit()
    assert tasks_of(job)[1].holders == 0 and tasks_of(job)[1].is_open
    with pytest.raises(Conflict) as refused:
        services.submit(a.id, owner, GOOD)
    assert "You returned this task" in refused.value.message
    db.session.rollback()
    assert claim(job, other)[0].task.seq == 1


def test_return_reason_must_be_one_of_the_listed_reasons():
    job = make_open_job(tasks=1)
    trainer = make_trainer()
    a = claim(job, trainer)[0]
    with pytest.raises(ValidationFailed):
        services.return_task(a.id, trainer, reason="lazy")


def test_an_expired_reservation_frees_its_slot_at_the_next_claim_without_the_sweep():
    job = make_open_job(tasks=1, reservation_minutes=10)
    slow, quick = make_trainer(), make_trainer()
    start = utcnow()
    with time_machine.travel(start, tick=False):
        a = claim(job, slow)[0]
        with pytest.raises(Conflict):
            services.claim_next(job, quick)  # still held
        db.session.rollback()
    with time_machine.travel(start + timedelta(minutes=10, seconds=1), tick=False):
        taken = claim(job, quick)[0]
        assert taken.task_id == a.task_id
        assert db.session.get(Assignment, a.id).status == "expired"
        assert tasks_of(job)[1].holders == 1
        with pytest.raises(Conflict) as refused:
            services.submit(a.id, slow, GOOD)
        assert "reservation of this task expired" in refused.value.message


def test_an_expired_but_unreleased_reservation_cannot_be_submitted():
    job = make_open_job(tasks=1, reservation_minutes=5)
    trainer = make_trainer()
    start = utcnow()
    with time_machine.travel(start, tick=False):
        a = claim(job, trainer)[0]
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        with pytest.raises(Conflict) as refused:
            services.submit(a.id, trainer, GOOD)
        assert refused.value.code == "not_reserved"
        with pytest.raises(Conflict):
            services.save_draft(a.id, trainer, {"labels": ["Neither"]})
    db.session.rollback()
    assert db.session.get(Assignment, a.id).answer is None


def test_the_sweep_tidies_expired_reservations_of_jobs_nobody_claims_from():
    job = make_open_job(tasks=3, reservation_minutes=5)
    trainer = make_trainer()
    start = utcnow()
    claim(job, trainer, k=3, now=start)
    assert review.sweep_reservations(start + timedelta(minutes=4)) == 0
    assert review.sweep_reservations(start + timedelta(minutes=5)) == 3
    db.session.commit()
    assert review.sweep_reservations(start + timedelta(minutes=6)) == 0  # idempotent
    assert all(t.holders == 0 and t.is_open for t in tasks_of(job).values())


def test_drafts_are_saved_for_the_holder_only_and_cleared_by_submit():
    job = make_open_job(tasks=1)
    trainer = make_trainer()
    a = claim(job, trainer)[0]
    services.save_draft(a.id, trainer, {"labels": ["Neither"], "justification": "half"})
    db.session.commit()
    assert db.session.get(Assignment, a.id).draft == {"labels": ["Neither"], "justification": "half"}
    with pytest.raises(ValidationFailed):
        services.save_draft(a.id, trainer, ["not", "an", "object"])
    db.session.rollback()
    services.submit(a.id, trainer, GOOD)
    db.session.commit()
    assert db.session.get(Assignment, a.id).draft is None


def test_submit_and_next_claims_the_next_task_in_the_same_transaction():
    job = make_open_job(tasks=2)
    trainer = make_trainer()
    a = claim(job, trainer)[0]
    done, following, why = services.submit_and_next(a.id, trainer, GOOD, then_next=True)
    db.session.commit()
    assert done.status == "approved" and following.task.seq == 2 and why is None
    done, following, why = services.submit_and_next(following.id, trainer, GOOD, then_next=True)
    assert done.status == "approved" and following is None
    assert why.startswith("Every task of this job is answered or being worked on")


def test_paused_or_closed_jobs_hand_out_nothing():
    job = make_open_job(tasks=2, status="paused", paused_reason="budget")
    with pytest.raises(services.NotEligible) as refused:
        services.claim_next(job, make_trainer())
    assert "paused: its budget is used up" in refused.value.message


def test_the_claim_statement_itself_skips_a_job_paused_after_the_check():
    from marketplace.assignment import claims
    job = make_open_job(tasks=2)
    job.status = "paused"
    db.session.commit()
    now = utcnow()
    claims.begin_write()
    assert claims.claim(job.id, overlap=1, worker_id=make_trainer(commit=False).id, now=now,
                        expires_at=now + timedelta(minutes=5)) == []


def test_claiming_while_suspended_is_refused_with_the_reason():
    job = make_open_job(tasks=2)
    with pytest.raises(services.NotEligible) as refused:
        services.claim_next(job, make_trainer(status="suspended"))
    assert refused.value.code == "suspended" and refused.value.status == 403
    assert "Your account is suspended" in refused.value.message and "appeal" in refused.value.message
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 0


def test_claiming_a_job_the_trainer_is_not_eligible_for_gives_the_rule_in_the_error():
    job = make_open_job(tasks=2, required_languages=[{"code": "ja", "min_proficiency": "professional"}])
    with pytest.raises(services.NotEligible) as refused:
        services.claim_next(job, make_trainer())
    assert refused.value.code == "not_eligible"
    assert "Requires Japanese (professional or better)." in refused.value.message
    assert refused.value.errors[0]["code"] == "language"


def test_claiming_needs_the_content_warning_accepted_first():
    job = make_open_job(tasks=2, content_warning="Posts contain slurs.")
    trainer = make_trainer()
    with pytest.raises(services.NotEligible) as refused:
        services.claim_next(job, trainer)
    assert refused.value.code == "content_warning" and "Posts contain slurs." in refused.value.message
    db.session.rollback()
    held = services.start_work(job, trainer, accept_warning=True)
    assert held[0].task.seq == 1


def test_the_weekly_cap_stops_new_claims(worked):
    job = make_open_job(tasks=2, weekly_limit_minutes=60)
    capped, job_limited = make_trainer(weekly_cap_minutes=120), make_trainer()
    worked(capped, week_minutes=120)
    worked(job_limited, week_minutes=10, job={job.id: 60})
    for trainer, code in ((capped, "weekly_cap"), (job_limited, "job_weekly_limit")):
        with pytest.raises(services.NotEligible) as refused:
            services.claim_next(job, trainer)
        assert refused.value.errors[0]["code"] == code


def test_sqlite_claims_begin_immediate_so_writers_queue_instead_of_failing(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    job = make_open_job(tasks=1)
    trainer = make_trainer()
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement.strip().split()[0:2])
    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        _ = trainer.email  # a read transaction is open, as in a request
        claim(job, trainer)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert ["BEGIN", "IMMEDIATE"] in seen
    assert seen.index(["BEGIN", "IMMEDIATE"]) < next(i for i, s in enumerate(seen) if s[0] == "UPDATE")


GOLD_SLOTS = {0: False, 1: True, 2: False}


def gold_slots(job_id, worker_id, position):
    return GOLD_SLOTS.get(position, False)


def test_a_gold_mix_provider_decides_slot_by_slot_and_falls_back_to_any_task(app):
    job = make_open_job(tasks=6, overlap=2)
    tasks = tasks_of(job)
    tasks[5].gold = {"labels": ["Neither"]}
    db.session.commit()
    previous = app.config["GOLD_MIX_PROVIDER"]
    app.config["GOLD_MIX_PROVIDER"] = "tests.assignment.test_claims:gold_slots"
    try:
        first, second = make_trainer(), make_trainer()
        assert [a.task.seq for a in claim(job, first, k=3)] == [1, 5, 2]  # slot 1 is gold: task 5
        GOLD_SLOTS[0] = True  # the second trainer's first slot is gold too, but task 5 is then full
        assert [a.task.seq for a in claim(job, second, k=3)] == [5, 1, 2]
        third = make_trainer()
        # Gold measures every trainer (quality room): a gold slot takes the gold task even past the overlap...
        assert [a.task.seq for a in claim(job, third, k=1)] == [5]
        # ...and a gold slot with no gold task left for this trainer falls back to any task.
        assert [a.task.seq for a in claim(job, third, k=2)] == [5, 3]
    finally:
        app.config["GOLD_MIX_PROVIDER"] = previous
        GOLD_SLOTS[0] = False
