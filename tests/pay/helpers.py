"""Shared helpers for the pay room's database tests: a frozen clock, a trainer holding a task, beats."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import time_machine

from marketplace.assignment.services import claim_next
from marketplace.extensions import db
from marketplace.pay import services
from tests.factories import make_open_job, make_requester, make_trainer

UTC = timezone.utc
# A Monday morning, UTC: the pay week runs Mon 6 Mar 00:00 to Mon 13 Mar 00:00 2028.
MONDAY = datetime(2028, 3, 6, 9, 0, tzinfo=UTC)


class Clock:
    """time-machine, frozen (tick=False), moved by hand: `clock.at(...)`, `clock.advance(seconds=30)`."""

    def __init__(self, start: datetime):
        self._traveller = time_machine.travel(start, tick=False)
        self.now = start

    def __enter__(self):
        self._shift = self._traveller.start()
        return self

    def __exit__(self, *exc):
        self._traveller.stop()

    def at(self, moment: datetime) -> datetime:
        self._shift.move_to(moment)
        self.now = moment
        return moment

    def advance(self, **delta) -> datetime:
        return self.at(self.now + timedelta(**delta))


def working_job(*, rate_cents: int = 2000, tasks: int = 20, escrow: int | None = None, requester=None, **fields):
    """A published job with its budget in escrow, long reservations (so a task can be held for hours)."""
    fields.setdefault("reservation_minutes", 600)
    return make_open_job(requester or make_requester(), tasks=tasks, hourly_rate_cents=rate_cents, escrow=escrow,
                         **fields)


def trainer_with_task(job, trainer=None, **kw):
    """A trainer holding one task of the job (claimed now)."""
    trainer = trainer or make_trainer(**kw)
    claim_next(job, trainer)
    db.session.commit()
    return trainer


def beat(trainer, job, **kw):
    outcome = services.heartbeat(trainer, job.id, **kw)
    db.session.commit()
    return outcome


def work(trainer, job, clock, *, beats: int, every: int = 30, final: bool = True, **kw):
    """Steady work on a job: a first beat, `beats` more `every` seconds apart, then (by default) the final beat."""
    beat(trainer, job, **kw)
    for _ in range(beats):
        clock.advance(seconds=every)
        beat(trainer, job, **kw)
    if final:
        beat(trainer, job, final=True, **kw)
