"""The pay room's reactions to facts of the rooms below it (core/events.py), and its appealable decisions.

- `work.claiming` (the work engine, before a claim): refuse a new task when the job's escrow cannot start one
  more session (the budget guarantee); the scheduled budget check pauses such jobs so they leave the queue.
- `quality.review_started` / `quality.review_finished` (peer review): reviewing is paid working time like any
  other. Taking a review opens (or continues) a session of kind "review" on the job, at the job's rate, on the
  trainer's timesheet for that job (approved, disputed and billed like task time, fee on top); deciding it is the
  session's final beat. The review page sends heartbeats in between (pay/_heartbeat.html, kind "review"), so idle
  time is never billed. A review cannot start when the job's escrow cannot pay for it (the budget guarantee).
- Moderation's `on_platform_suspension` hook ("suspended trainers are paid what they earned"): the trainer's open
  session is closed at the moment the suspension starts (or at its last activity, if it was idle by then), so the
  work up to it stays on the timesheet and is approved and paid like any other; payroll pays suspended trainers.
- Moderation's appeals registry: an admin's upheld dispute decision ("timesheet_dispute") can be appealed by
  the trainer, and another admin decides (four eyes); overturning it restores the session's time and pays it.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa

from ..core.errors import Conflict
from ..core.events import subscribe
from ..extensions import db
from ..moderation.appeals import Decision, register_appealable
from ..moderation.hooks import on_platform_suspension
from . import budget, disputes, services
from .models import SessionDispute, Timesheet

log = logging.getLogger(__name__)


class BudgetExhausted(Conflict):
    code = "budget_exhausted"


@subscribe("work.claiming")
def check_budget_before_claim(job, trainer, now) -> None:
    """A trainer already holding a task of the job keeps their reserve; anyone else needs a fresh one."""
    holders = budget.trainers_holding(job, now)
    if trainer.id in holders:
        return
    if not budget.can_start(job, trainer.id, now, holders=holders):
        raise BudgetExhausted(budget.budget_message(job))


@subscribe("quality.review_started")
def review_started(review, reviewer, job, now, **_) -> None:
    outcome = services.heartbeat(reviewer, job.id, kind="review", now=now.replace(microsecond=0))
    if outcome.refused == "budget":
        raise BudgetExhausted(outcome.message)
    if outcome.refused:
        log.warning("review %s by trainer %s: no paid session (%s)", review.id, reviewer.id, outcome.refused)


@subscribe("quality.review_finished")
def review_finished(review, reviewer, job, now, **_) -> None:
    services.heartbeat(reviewer, job.id, kind="review", final=True, now=now.replace(microsecond=0))


@on_platform_suspension
def close_work_on_suspension(user, sanction) -> None:
    row = services.open_session(user.id)
    if row is None or not user.is_worker:
        return
    at = max(row.last_activity_at, min(sanction.starts_at, services.server_now()).replace(microsecond=0))
    services.stop_work(user, now=at)


# --- appeals (the moderation room's registry) ----------------------------------------------------------------

def _dispute_decision(subject_id: int) -> Decision | None:
    """An admin's decision that upheld a dispute (time removed) is appealable by the trainer; other outcomes
    took nothing from them."""
    dispute = db.session.get(SessionDispute, subject_id)
    if dispute is None or dispute.status != "upheld":
        return None
    return Decision(
        kind="timesheet_dispute", subject_id=dispute.id, concerns_user_id=dispute.timesheet.trainer_id,
        decided_by_id=dispute.admin_id, decided_at=dispute.decided_at,
        description=(f"Time removed from your session on “{dispute.timesheet.job.title}” "
                     f"({disputes.week_name(dispute)}): {dispute.recorded_seconds // 60} min recorded, "
                     f"{(dispute.decided_seconds or 0) // 60} min paid. Reason: {dispute.admin_reason}"),
        link=f"/pay/timesheets/{dispute.timesheet_id}",
        restore=lambda appeal, actor: disputes.reverse_on_appeal(dispute, actor))


def _upheld_disputes_of(user_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(SessionDispute.id).join(Timesheet).where(
        Timesheet.trainer_id == user_id, SessionDispute.status == "upheld")))


register_appealable("timesheet_dispute", _dispute_decision, label="time removed from a timesheet",
                    lister=_upheld_disputes_of)
