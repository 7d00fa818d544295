"""Where a trainer stands with an assessment: pure rules, table-driven."""
from datetime import datetime, timedelta, timezone

import pytest

from marketplace.assessments.states import AttemptFact, HoldingFact, Rules, standing

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
RULES = Rules(max_attempts=3, cooldown_hours=24, renewal_window_days=14)


def failed(hours_ago):
    return AttemptFact("failed", NOW - timedelta(hours=hours_ago, minutes=20), NOW - timedelta(hours=hours_ago))


@pytest.mark.parametrize("attempts, holding, code, can_start", [
    ([], None, "available", True),
    ([failed(30)], None, "available", True),                                  # cooldown over
    ([failed(2)], None, "cooldown", False),                                   # 22 hours still to wait
    ([failed(100), failed(80), failed(50)], None, "no_attempts_left", False), # 3 of 3 used
    ([AttemptFact("in_progress", NOW, None, 7)], None, "in_progress", False),
    ([AttemptFact("pending_review", NOW - timedelta(days=1), NOW - timedelta(days=1), 8)], None, "pending_review", False),
    ([], HoldingFact("active", NOW + timedelta(days=100), NOW - timedelta(days=265)), "held", False),
    ([], HoldingFact("active", None, NOW - timedelta(days=1)), "held", False),
    ([], HoldingFact("active", NOW + timedelta(days=10), NOW - timedelta(days=355)), "renewal_open", True),
    ([], HoldingFact("revoked", None, None, "Copied answers."), "revoked", False),
    # expired: attempts before the expiry do not count, so all three are available again
    ([failed(9000), failed(8900), AttemptFact("passed", NOW - timedelta(days=400), NOW - timedelta(days=400))],
     HoldingFact("expired", NOW - timedelta(days=35), NOW - timedelta(days=35)), "available", True),
])
def test_standing_table(attempts, holding, code, can_start):
    result = standing(attempts, holding, RULES, NOW)
    assert (result.code, result.can_start) == (code, can_start), result.message


def test_cooldown_says_when_the_trainer_may_retake():
    result = standing([failed(2)], None, RULES, NOW)
    assert result.retake_at == NOW - timedelta(hours=2) + timedelta(hours=24)
    assert "2 Jun 2026, 10:00 UTC" in result.message and "2 attempts left" in result.message


def test_times_are_shown_in_the_trainers_time_zone():
    result = standing([failed(2)], None, RULES, NOW, tz="Asia/Tokyo")
    assert "2 Jun 2026, 19:00 JST" in result.message


def test_held_qualification_says_when_renewal_opens():
    holding = HoldingFact("active", NOW + timedelta(days=100), NOW)
    result = standing([], holding, RULES, NOW)
    assert result.retake_at == NOW + timedelta(days=86)
    assert "re-certify from" in result.message


def test_renewal_counts_only_attempts_since_the_grant():
    granted = NOW - timedelta(days=355)
    old = [failed(24 * 360), failed(24 * 358)]  # before the grant
    holding = HoldingFact("active", NOW + timedelta(days=10), granted)
    assert standing(old, holding, RULES, NOW).attempts_used == 0
