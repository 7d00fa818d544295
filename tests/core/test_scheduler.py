"""The scheduler lease: a second scheduler process is harmless."""
from datetime import datetime, timedelta, timezone

import time_machine

from marketplace import scheduler
from marketplace.core import notices
from tests.factories import make_trainer

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)


def test_second_process_cannot_take_the_lease_until_it_lapses(db):
    assert scheduler.acquire_lease("host-a", T0)
    assert not scheduler.acquire_lease("host-b", T0 + timedelta(seconds=30))
    assert scheduler.acquire_lease("host-a", T0 + timedelta(seconds=60))  # renewal by the holder
    assert scheduler.acquire_lease("host-b", T0 + timedelta(seconds=60 + scheduler.LEASE_SECONDS + 1))


def test_job_is_skipped_by_a_process_without_the_lease(db):
    with time_machine.travel(T0, tick=False):
        notices.notify(make_trainer(), "Hi", "Body")
        db.session.commit()
        assert scheduler.acquire_lease("host-a", T0)
        assert scheduler.run_job("send_outbox", holder="host-b") is None
        assert scheduler.run_job("send_outbox", holder="host-a") == 1


def test_every_scheduled_job_points_at_a_callable_body():
    ids = [job.id for job in scheduler.SCHEDULE]
    assert len(ids) == len(set(ids))
    for job in scheduler.SCHEDULE:
        assert callable(scheduler.resolve(job.func)), job.id
        assert ".periodic:" in job.func, "scheduled bodies live in <room>/periodic.py"


def test_scheduler_list_command_shows_the_table(app):
    result = app.test_cli_runner().invoke(args=["scheduler", "list"])
    assert "send_outbox" in result.output
