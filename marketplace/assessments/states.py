"""Pure rules for where a trainer stands with one assessment: may they start, and if not, why and until when.

The same function decides what the page shows and what start_attempt() allows, so the two never disagree.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class AttemptFact:
    status: str  # in_progress | pending_review | passed | failed
    started_at: datetime
    submitted_at: datetime | None
    attempt_id: int | None = None


@dataclass(frozen=True)
class HoldingFact:
    status: str  # active | expired | revoked
    expires_at: datetime | None
    cycle_started_at: datetime | None
    revoke_reason: str = ""


@dataclass(frozen=True)
class Rules:
    max_attempts: int
    cooldown_hours: int
    renewal_window_days: int  # how long before expiry a holder may re-certify (the expiry warning period)


@dataclass(frozen=True)
class Standing:
    code: str  # available | renewal_open | in_progress | pending_review | held | revoked | cooldown | no_attempts_left
    can_start: bool
    message: str  # one sentence a trainer reads: the state and why
    attempts_used: int
    attempts_left: int
    retake_at: datetime | None = None
    attempt_id: int | None = None  # the attempt in progress or under review


def _formatter(tz: str):
    try:
        zone = ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")

    def fmt(moment: datetime) -> str:
        local = moment.astimezone(zone)
        return local.strftime("%-d %b %Y, %H:%M ") + (local.tzname() or "UTC")
    return fmt


def attempts_in_cycle(attempts: Sequence[AttemptFact], holding: HoldingFact | None) -> list[AttemptFact]:
    """Attempts that count against the limit: those started since the holding was last granted or expired."""
    since = holding.cycle_started_at if holding else None
    return [a for a in attempts if since is None or a.started_at >= since]


def standing(attempts: Sequence[AttemptFact], holding: HoldingFact | None, rules: Rules,
             now: datetime, tz: str = "UTC") -> Standing:
    """Where a trainer stands with an assessment. Rules, in order:

    1. an attempt in progress or under review must finish first (one at a time);
    2. a revoked qualification is not retaken: the trainer appeals, or an admin grants it again;
    3. an active qualification is retaken only within `renewal_window_days` of its expiry (re-certification);
    4. at most `max_attempts` attempts per cycle (a cycle restarts when the qualification is granted or expires);
    5. after a failed attempt, wait `cooldown_hours` from its submission.
    """
    _fmt = _formatter(tz)  # times are shown in the trainer's own time zone
    counted = attempts_in_cycle(attempts, holding)
    used = len(counted)
    left = max(rules.max_attempts - used, 0)

    def result(code, can_start, message, retake_at=None, attempt_id=None, used_=used, left_=left):
        return Standing(code, can_start, message, used_, left_, retake_at, attempt_id)

    for attempt in attempts:
        if attempt.status == "in_progress":
            return result("in_progress", False, "You have an attempt in progress. Resume it to finish.",
                          attempt_id=attempt.attempt_id)
        if attempt.status == "pending_review":
            return result("pending_review", False, "Your last attempt is waiting for a reviewer to read your "
                          "written answers. You will get a notice with the decision.", attempt_id=attempt.attempt_id)
    if holding and holding.status == "revoked":
        return result("revoked", False, "An admin revoked this qualification"
                      + (f": {holding.revoke_reason}" if holding.revoke_reason else ".")
                      + " You can appeal the decision; retaking the test does not undo it.")
    renewing = False
    if holding and holding.status == "active" and (holding.expires_at is None or holding.expires_at > now):
        if holding.expires_at is None:
            return result("held", False, "You hold this qualification. It does not expire.")
        opens = holding.expires_at - timedelta(days=rules.renewal_window_days)
        if now < opens:
            return result("held", False, f"You hold this qualification until {_fmt(holding.expires_at)}. "
                          f"You can re-certify from {_fmt(opens)}.", retake_at=opens)
        renewing = True  # re-certification: attempts count afresh from the grant
    if used >= rules.max_attempts:
        if renewing:
            return result("no_attempts_left", False, f"You have used all {rules.max_attempts} attempts to renew. "
                          f"Your qualification stays active until {_fmt(holding.expires_at)}.")
        return result("no_attempts_left", False,
                      f"You have used all {rules.max_attempts} attempts. An admin can grant the qualification "
                      "after reviewing your work, and you can contest any item you think was marked wrongly.")
    failed = [a for a in counted if a.status == "failed" and a.submitted_at is not None]
    if failed and rules.cooldown_hours:
        last = max(a.submitted_at for a in failed)
        ends = last + timedelta(hours=rules.cooldown_hours)
        if now < ends:
            return result("cooldown", False, f"You can retake the test from {_fmt(ends)} "
                          f"({rules.cooldown_hours} hours after your last attempt). {left} "
                          f"attempt{'s' if left != 1 else ''} left.", retake_at=ends)
    if renewing:
        return result("renewal_open", True, f"Your qualification expires on {_fmt(holding.expires_at)}. "
                      "Pass the test again to renew it.")
    if holding and holding.status == "expired":
        return result("available", True, "Your qualification expired. Pass the test again to re-certify.")
    plural = "s" if left != 1 else ""
    return result("available", True, f"{left} attempt{plural} left." if used else
                  f"You can take this test up to {rules.max_attempts} time{'s' if rules.max_attempts != 1 else ''}.")
