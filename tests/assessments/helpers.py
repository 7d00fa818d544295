"""Shared steps for the assessment tests: start, answer and submit attempts at chosen moments."""
from datetime import datetime, timedelta, timezone

import time_machine

from marketplace.assessments import services
from marketplace.extensions import db
from tests.factories import answer_attempt

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)


def take(assessment, trainer, *, right=None, at=T0, minutes=5, rationale="The post attacks a group for who they are."):
    """Start, answer (`right`: positions answered with the gold option; all by default) and submit."""
    with time_machine.travel(at, tick=False):
        attempt, _ = services.start_attempt(assessment, trainer)
    answer_attempt(attempt, right=right, rationale=rationale, now=at + timedelta(minutes=1))
    with time_machine.travel(at + timedelta(minutes=minutes), tick=False):
        services.submit_attempt(attempt, trainer)
    db.session.commit()
    return attempt


def written_positions(attempt):
    return [i.position for i in attempt.items if i.needs_writing]
