"""Work sessions from heartbeats, stored: coalescing, closing at the idle gap, switching jobs, week ends."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.pay import services
from marketplace.pay.models import Timesheet, WorkSession
from tests.factories import make_trainer

from .helpers import MONDAY, Clock, beat, trainer_with_task, work, working_job


def sessions_of(trainer):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(WorkSession).where(WorkSession.trainer_id == trainer.id)
                                   .order_by(WorkSession.started_at)))


def test_first_beat_opens_a_session_at_server_time_with_its_timesheet():
    with Clock(MONDAY) as clock:
        job = working_job()
        trainer = trainer_with_task(job)
        outcome = beat(trainer, job)
        [row] = sessions_of(trainer)
        assert outcome.opened and outcome.wrote
        assert (row.started_at, row.last_activity_at, row.closed_at, row.seconds) == (clock.now, clock.now, None, 0)
        sheet = db.session.get(Timesheet, row.timesheet_id)
        assert (sheet.trainer_id, sheet.job_id, sheet.week_start.isoformat()) == (
            trainer.id, job.id, "2028-03-06T00:00:00+00:00")


def test_beats_every_30_seconds_write_the_row_once_in_six_and_lose_no_time_with_a_final_beat():
    with Clock(MONDAY) as clock:
        job = working_job()
        trainer = trainer_with_task(job)
        beat(trainer, job)
        writes = 0
        for _ in range(62):  # 31 minutes of steady work
            clock.advance(seconds=30)
            writes += beat(trainer, job).wrote
        assert writes == 10  # one write per 6 beats: 0.17 writes per heartbeat
        [row] = sessions_of(trainer)
        assert row.seconds == 30 * 60  # between writes the stored row lags the real 31 minutes ...
        clock.advance(seconds=20)
        assert beat(trainer, job, final=True).wrote  # ... and the final beat (blur, close, submit) catches up
        [row] = sessions_of(trainer)
        assert row.seconds == 31 * 60 + 20


def test_a_late_or_duplicate_beat_never_moves_time_backwards():
    with Clock(MONDAY) as clock:
        job = working_job()
        trainer = trainer_with_task(job)
        beat(trainer, job)
        clock.advance(seconds=200)
        beat(trainer, job)
        stored = sessions_of(trainer)[0].last_activity_at
        outcome = services.heartbeat(trainer, job.id, now=stored - timedelta(seconds=90), final=True)
        db.session.commit()
        assert not outcome.wrote and sessions_of(trainer)[0].last_activity_at == stored


def test_a_beat_after_the_idle_gap_closes_the_session_at_its_last_activity_and_starts_a_new_one():
    with Clock(MONDAY) as clock:
        job = working_job()
        trainer = trainer_with_task(job)
        beat(trainer, job)
        clock.advance(seconds=200)
        beat(trainer, job, final=True)
        clock.advance(minutes=12)  # away for 12 minutes: more than the 5-minute idle gap
        outcome = beat(trainer, job)
        first, second = sessions_of(trainer)
        assert outcome.opened
        assert (first.seconds, first.close_reason, first.idle_seconds) == (200, "idle", 12 * 60)
        assert first.closed_at == MONDAY + timedelta(seconds=200)
        assert (second.started_at, second.closed_at) == (clock.now, None)


def test_the_sweep_closes_a_silent_session_at_its_last_activity_so_idle_time_is_never_billed():
    with Clock(MONDAY) as clock:
        job = working_job()
        trainer = trainer_with_task(job)
        beat(trainer, job)
        clock.advance(seconds=290)
        beat(trainer, job, final=True)  # the page's blur beacon; then the trainer walks away
        clock.advance(seconds=299)
        assert services.close_idle_sessions(clock.now) == 0  # within the gap: still open
        clock.advance(seconds=2)
        assert services.close_idle_sessions(clock.now) == 1
        db.session.commit()
        [row] = sessions_of(trainer)
        assert (row.closed_at, row.seconds, row.close_reason) == (MONDAY + timedelta(seconds=290), 290, "idle")
        assert row.idle_seconds == 301


def test_working_on_a_second_job_closes_the_first_session_so_no_instant_is_billed_twice():
    with Clock(MONDAY) as clock:
        job_a, job_b = working_job(), working_job()
        trainer = trainer_with_task(job_a)
        trainer_with_task(job_b, trainer)
        beat(trainer, job_a)
        clock.advance(seconds=120)
        beat(trainer, job_a, final=True)  # leaving tab A
        clock.advance(seconds=10)
        beat(trainer, job_b)
        clock.advance(seconds=60)
        beat(trainer, job_b, final=True)
        clock.advance(seconds=5)
        beat(trainer, job_a)  # back to A
        rows = sessions_of(trainer)
        assert [(r.job_id, r.seconds, r.close_reason) for r in rows] == [
            (job_a.id, 120, "switched"), (job_b.id, 60, "switched"), (job_a.id, 0, None)]
        spans = sorted((r.started_at, r.last_activity_at) for r in rows)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))  # disjoint


def test_two_open_sessions_for_one_trainer_are_impossible_in_the_database():
    import pytest
    from sqlalchemy.exc import IntegrityError
    with Clock(MONDAY):
        job = working_job()
        trainer = trainer_with_task(job)
        beat(trainer, job)
        [row] = sessions_of(trainer)
        db.session.add(WorkSession(trainer_id=trainer.id, kind="job", job_id=job.id, timesheet_id=row.timesheet_id,
                                   week_start=row.week_start, started_at=row.started_at,
                                   last_activity_at=row.started_at))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_work_across_monday_midnight_utc_is_split_into_the_two_pay_weeks_without_losing_a_second():
    sunday_night = MONDAY + timedelta(days=6, hours=14, minutes=50)  # Sun 12 Mar 23:50 UTC
    with Clock(sunday_night) as clock:
        job = working_job()
        trainer = trainer_with_task(job)
        work(trainer, job, clock, beats=40)  # 20 minutes, through midnight
        first, second = sessions_of(trainer)
        assert (first.seconds, first.close_reason) == (600, "week_end")
        assert second.started_at == sunday_night + timedelta(minutes=10) and second.seconds == 600
        assert first.timesheet_id != second.timesheet_id


def test_no_session_starts_without_a_task_in_hand():
    with Clock(MONDAY):
        job = working_job()
        trainer = make_trainer()
        outcome = beat(trainer, job)
        assert outcome.refused == "no_task" and sessions_of(trainer) == []


def test_stop_closes_the_session_now_and_bills_up_to_the_stop():
    with Clock(MONDAY) as clock:
        job = working_job()
        trainer = trainer_with_task(job)
        beat(trainer, job)
        clock.advance(seconds=95)
        assert services.stop_work(trainer)
        db.session.commit()
        [row] = sessions_of(trainer)
        assert (row.seconds, row.close_reason, row.closed_at) == (95, "stopped", clock.now)
