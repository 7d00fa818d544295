"""The property of the pure week rules, through the services: for random stretches of work sent as heartbeats,
the time per pay week (timesheets and the payroll's aggregate) adds up exactly to the time worked, across year
ends and 2028-02-29."""
from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sqlalchemy as sa

from marketplace.assignment.services import claim_next
from marketplace.extensions import db
from marketplace.pay import services, statements, timesheets
from marketplace.pay.models import Timesheet, WorkSession
from tests.factories import make_trainer

from .helpers import Clock, working_job
from .strategies import ANCHORS

# A stretch of work: a pause before it (longer than the idle gap), then beats every 30 s, then a final beat.
stretches = st.lists(st.tuples(st.integers(301, 3 * 86_400), st.integers(0, 40), st.integers(0, 29)),
                     min_size=1, max_size=6)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(anchor=st.sampled_from(ANCHORS), lead=st.integers(-2 * 86_400, 0), work=stretches)
def test_minutes_per_week_sum_to_the_minutes_worked(app, anchor, lead, work):
    start = (anchor + timedelta(seconds=lead)).replace(microsecond=0)
    with Clock(start) as clock:
        job = working_job(reservation_minutes=60 * 24 * 30)
        trainer = make_trainer()
        claim_next(job, trainer)
        db.session.commit()
        worked = 0
        for pause, beats, tail in work:
            clock.advance(seconds=pause)
            services.heartbeat(trainer, job.id)
            for _ in range(beats):
                clock.advance(seconds=30)
                services.heartbeat(trainer, job.id)
            clock.advance(seconds=tail)
            services.heartbeat(trainer, job.id, final=True)
            db.session.commit()
            worked += beats * 30 + tail
        clock.advance(days=8)
        timesheets.close_weeks(clock.now)
        db.session.commit()
        sheets = list(db.session.scalars(sa.select(Timesheet).where(Timesheet.trainer_id == trainer.id)))
        assert sum(s.recorded_seconds for s in sheets) == worked
        weeks = {s.week_start for s in sheets}
        assert sum(statements.week_seconds_by_trainer(week).get(trainer.id, 0) for week in weeks) == worked
        for row in db.session.scalars(sa.select(WorkSession).where(WorkSession.trainer_id == trainer.id)):
            assert row.week_start <= row.started_at <= row.last_activity_at <= row.week_start + timedelta(days=7)
