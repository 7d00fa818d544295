"""Every scheduled job in one table (SCHEDULE), and the runner behind `flask scheduler run`.

Bodies live in `<room>/periodic.py`, take `now`, are idempotent and return a count. The runner holds a
lease row in the database: a second scheduler process keeps waiting and runs nothing until the lease lapses.
"""
from __future__ import annotations

import importlib
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import IntegrityError

from .core.models import SchedulerLease
from .core.time import utcnow
from .extensions import db

log = logging.getLogger(__name__)
LEASE_NAME = "scheduler"
LEASE_SECONDS = 90


@dataclass(frozen=True)
class ScheduledJob:
    id: str
    func: str  # "module.path:function"
    trigger: str  # "interval" or "cron"
    trigger_args: dict = field(default_factory=dict)
    description: str = ""


SCHEDULE: list[ScheduledJob] = [
    ScheduledJob("send_outbox", "marketplace.core.periodic:send_outbox", "interval", {"seconds": 30},
                 "Deliver queued e-mails (SMTP when configured, the log otherwise)."),
    ScheduledJob("run_imports", "marketplace.jobs.periodic:run_imports", "interval", {"seconds": 60},
                 "Run queued task imports; requeue imports whose process died."),
    ScheduledJob("pause_underfunded_jobs", "marketplace.payments.periodic:pause_underfunded_jobs", "interval",
                 {"minutes": 5}, "Pause published jobs whose escrow cannot pay for another hour; tell requesters."),
    ScheduledJob("sweep_reservations", "marketplace.assignment.periodic:sweep_reservations", "interval",
                 {"minutes": 5}, "Expire lapsed task reservations (claims release them too; this tidies up)."),
    ScheduledJob("auto_approve", "marketplace.assignment.periodic:auto_approve", "interval", {"minutes": 15},
                 "Approve submitted answers whose job's review window has passed."),
    ScheduledJob("moderation_expire_sanctions", "marketplace.moderation.periodic:expire_sanctions", "interval",
                 {"minutes": 1}, "End temporary suspensions at their end date and restore standing."),
    ScheduledJob("moderation_escalate_appeals", "marketplace.moderation.periodic:escalate_appeals", "interval",
                 {"minutes": 30}, "Tell every admin (once) about appeals near or past their decision deadline."),
    ScheduledJob("moderation_country_withdrawals", "marketplace.moderation.periodic:apply_country_withdrawals",
                 "interval", {"minutes": 5}, "Make country withdrawals effective at the end of their notice."),
    ScheduledJob("expire_qualifications", "marketplace.assessments.periodic:expire_qualifications", "interval",
                 {"minutes": 30}, "Warn holders before a qualification expires; expire those past their validity."),
    ScheduledJob("close_abandoned_attempts", "marketplace.assessments.periodic:close_abandoned_attempts",
                 "interval", {"minutes": 5}, "Submit assessment attempts left open past their time limit (late)."),
    ScheduledJob("quality_snapshots", "marketplace.quality.periodic:refresh_snapshots", "interval", {"minutes": 10},
                 "Re-compute agreement and aggregated answers of jobs with new answers."),
    ScheduledJob("close_settled_reviews", "marketplace.quality.periodic:close_settled_reviews", "interval",
                 {"minutes": 15}, "Take answers decided another way out of the peer review queue."),
    ScheduledJob("recover_payments", "marketplace.payments.periodic:recover_payments", "interval", {"minutes": 2},
                 "Finish payouts and refunds interrupted by a crash or a Stripe outage (looked up by key first)."),
    ScheduledJob("reconcile_payments", "marketplace.payments.periodic:reconcile_payments", "cron",
                 {"hour": 3, "minute": 17}, "Compare the ledger with Stripe; freeze payouts if money is missing."),
    ScheduledJob("sweep_sessions", "marketplace.pay.periodic:sweep_sessions", "interval", {"minutes": 1},
                 "Close work sessions idle past the gap (at their last activity); pay finished assessment time."),
    ScheduledJob("close_pay_weeks", "marketplace.pay.periodic:close_pay_weeks", "interval", {"minutes": 15},
                 "Close last week's timesheets and open their review window."),
    ScheduledJob("auto_approve_timesheets", "marketplace.pay.periodic:auto_approve_timesheets", "interval",
                 {"minutes": 15}, "Approve timesheets past their review window; send unanswered disputes to admins."),
    ScheduledJob("check_budgets", "marketplace.pay.periodic:check_budgets", "interval", {"minutes": 1},
                 "Pause jobs whose escrow cannot pay for one more session (budget guarantee)."),
    ScheduledJob("weekly_payroll", "marketplace.payments.periodic:weekly_payroll", "interval", {"hours": 1},
                 "Payday (PAYROLL_WEEKDAY, PAYROLL_HOUR_UTC): pay each trainer's balance once per week; catches up."),
]


def resolve(path: str):
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def acquire_lease(holder: str, now, seconds: int = LEASE_SECONDS) -> bool:
    """Take or renew the scheduler lease with one compare-and-set; True when this holder has it."""
    expires = now + timedelta(seconds=seconds)
    taken = db.session.execute(
        sa.update(SchedulerLease)
        .where(SchedulerLease.name == LEASE_NAME,
               sa.or_(SchedulerLease.holder == holder, SchedulerLease.expires_at < now))
        .values(holder=holder, expires_at=expires)
    ).rowcount
    if taken:
        db.session.commit()
        return True
    try:
        db.session.add(SchedulerLease(name=LEASE_NAME, holder=holder, expires_at=expires))
        db.session.commit()
        return True
    except IntegrityError:
        db.session.rollback()
        return False


def run_job(job_id: str, holder: str | None = None) -> int | None:
    """Run one scheduled body now, if this process holds the lease; returns its count (None if skipped)."""
    holder = holder or _holder()
    job = next(j for j in SCHEDULE if j.id == job_id)
    now = utcnow()
    if not acquire_lease(holder, now):
        log.info("scheduler: %s skipped, another process holds the lease", job_id)
        return None
    try:
        count = resolve(job.func)(now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("scheduler: %s failed", job_id)
        raise
    finally:
        db.session.remove()
    log.info("scheduler: %s done (%s)", job_id, count)
    return count


_HOLDER: str | None = None


def _holder() -> str:
    global _HOLDER
    if _HOLDER is None:
        _HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    return _HOLDER


def _run_in_app(job_id: str) -> None:
    # APScheduler stores this textual reference in its job store; the app is rebuilt per process.
    app = _APP or current_app._get_current_object()
    with app.app_context():
        run_job(job_id)


_APP = None

cli = AppGroup("scheduler", help="The scheduler process (one per deployment; a second one waits).")


@cli.command("list")
def list_jobs() -> None:
    """Show every scheduled job."""
    for job in SCHEDULE:
        click.echo(f"{job.id:28} {job.trigger} {job.trigger_args}  {job.description}")


@cli.command("run-once")
@click.argument("job_id")
@with_appcontext
def run_once(job_id: str) -> None:
    """Run one job now (still honouring the lease)."""
    if job_id not in {j.id for j in SCHEDULE}:
        raise click.ClickException(f"No scheduled job {job_id!r}; see `flask scheduler list`.")
    click.echo(f"{job_id}: {run_job(job_id)}")


@cli.command("run")
@with_appcontext
def run_scheduler() -> None:
    """Run APScheduler with a persistent job store in this process until stopped."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.blocking import BlockingScheduler

    global _APP
    _APP = current_app._get_current_object()
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    scheduler = BlockingScheduler(jobstores={"default": SQLAlchemyJobStore(url=url, tablename="apscheduler_jobs")},
                                  job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
                                  timezone="UTC")
    for job in SCHEDULE:
        scheduler.add_job("marketplace.scheduler:_run_in_app", job.trigger, args=[job.id], id=job.id,
                          replace_existing=True, **job.trigger_args)
    click.echo(f"scheduler {_holder()} starting with {len(SCHEDULE)} jobs")
    while True:
        try:
            scheduler.start()
            break
        except Exception:  # the store may be briefly unreachable; retry rather than die
            log.exception("scheduler failed to start; retrying in 10 s")
            time.sleep(10)
