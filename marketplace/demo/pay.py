"""Demo step: eight weeks of paid work, made through the real services at past instants.

Amara and Yuki work on Aurora AI Lab's "Rate chatbot replies for helpfulness" job a few sessions a week
(claims, answers and heartbeats with `now` in the past); past timesheets are approved and paid from escrow,
last week's wait for review, one of Yuki's sessions is disputed and contested (an admin decides it), and
last week's payroll has run (Amara paid; Yuki's money waits for a payout account). Idempotent: nothing is
done when the demo job already has sessions.
"""
from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa

from ..accounts.models import User
from ..assignment import services as work
from ..core.time import utcnow, week_start
from ..extensions import db
from ..jobs import services as jobs
from ..jobs.models import Job, Task
from ..pay import bonuses, disputes, services as pay, timesheets
from ..pay.models import Timesheet, WorkSession
from ..payments import ledger, payroll_run

TITLE = "Rate chatbot replies for helpfulness"
POSTS = ["The assistant explained compound interest with a worked example.",
         "The reply recommends a medication dose without asking about age or weight.",
         "The answer translates the menu but drops two dishes.",
         "The bot refuses a harmless recipe question.",
         "The reply summarises the article accurately in three sentences.",
         "The answer invents a court case that does not exist."]
ANSWER = {"labels": ["Neither"], "justification": "The reply is on topic and attacks no one."}


def _user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def _demo_job(requester: User) -> Job:
    job = db.session.scalar(sa.select(Job).where(Job.requester_id == requester.id, Job.title == TITLE))
    if job is not None:
        return job
    job = jobs.create_job(requester, {
        "title": TITLE, "kind": "classification", "hourly_rate_cents": 2400, "budget_cents": 150_000,
        "summary": "Judge whether a chatbot's reply is helpful, harmful or neither.",
        "instructions": "Read the reply, choose a label, and say why in a sentence.",
        "config": {"labels": ["Hate speech", "Offensive, not hate speech", "Neither"], "justification_required": True},
        "est_minutes_per_task": 3, "reservation_minutes": 240, "review_policy": "auto"})
    db.session.add_all([Task(job_id=job.id, seq=i + 1, payload={"text": POSTS[i % len(POSTS)] + f" (#{i + 1})"})
                        for i in range(600)])
    job.task_count = 600
    db.session.flush()
    # Its own demo card money (the other demo jobs' budgets have used the lab's funds); publishing moves the
    # budget into escrow as it does for any job.
    ledger.post(f"demo:pay-topup:{job.id}", {ledger.STRIPE_CLEARING: -job.budget_cents,
                                             ledger.requester_funds(requester.id): job.budget_cents},
                kind="top_up", description=f"Demo funds for job #{job.id}")
    jobs.publish_job(job, requester)
    db.session.commit()
    return job


def _session(job: Job, trainer: User, start, minutes: int, tasks: int) -> None:
    """One session as the work page would make it: a claim, beats, answers submitted along the way."""
    now = start
    held = work.claim_next(job, trainer, now=now)
    pay.heartbeat(trainer, job.id, now=now)
    step = timedelta(seconds=max(60, minutes * 60 // max(1, tasks)))
    for _ in range(tasks):
        for _beat in range(max(1, step.seconds // 140)):
            now += timedelta(seconds=min(140, step.seconds))
            pay.heartbeat(trainer, job.id, now=now)
        work.submit(held[0].id, trainer, ANSWER, now=now)
        pay.heartbeat(trainer, job.id, final=True, now=now)
        held = work.claim_next(job, trainer, now=now)
    pay.stop_work(trainer, now=now)
    work.return_task(held[0].id, trainer, reason="no_time", now=now)
    db.session.commit()


def seed() -> None:
    lab, amara, yuki = (_user("lab@aurora-ai.example.com"), _user("amara@trainers.example.com"),
                        _user("yuki@trainers.example.com"))
    admin = _user("admin@fairtrain.example.com")
    if None in (lab, amara, yuki, admin):
        return
    job = _demo_job(lab)
    if db.session.scalar(sa.select(sa.func.count(WorkSession.id)).where(WorkSession.job_id == job.id)):
        return
    rng = random.Random(9)
    now = utcnow().replace(microsecond=0)
    this_week = week_start(now)
    for weeks_ago in range(8, 0, -1):
        monday = this_week - timedelta(weeks=weeks_ago)
        for trainer, hour_utc in ((amara, 8), (yuki, 1)):
            for day in sorted(rng.sample(range(5), rng.randint(2, 4))):
                start = monday + timedelta(days=day, hours=hour_utc, minutes=rng.randint(0, 50))
                _session(job, trainer, start, rng.randint(25, 80), rng.randint(6, 18))
    _session(job, amara, now - timedelta(hours=3), 40, 10)  # today
    timesheets.close_weeks(now)
    db.session.commit()
    last_week = this_week - timedelta(weeks=1)
    for sheet in db.session.scalars(sa.select(Timesheet).where(Timesheet.job_id == job.id,
                                                               Timesheet.status == "submitted")):
        if sheet.week_start < last_week:
            timesheets.approve(sheet, lab, sheet.week_start + timedelta(days=8))
    db.session.commit()
    yuki_sheet = db.session.scalar(sa.select(Timesheet).where(Timesheet.trainer_id == yuki.id,
                                                              Timesheet.week_start == last_week))
    if yuki_sheet is not None:
        line = timesheets.sheet(yuki_sheet).lines[-1]
        dispute = disputes.open_dispute(yuki_sheet, line.session.id, lab, "Most answers in this session were "
                                        "submitted within seconds of each other; we think part of it was idle.",
                                        line.recorded_seconds // 2, now)
        disputes.answer(dispute, yuki, accept=False, now=now,
                        text="I read each reply fully before answering; the short ones take seconds. The time "
                             "is real work.")
    bonuses.award(lab, job, amara.id, 2000, "Your justifications on the medical replies were excellent.", "escrow",
                  "demo-bonus-amara-week", now)
    db.session.commit()
    payroll_run.run(now, week=last_week - timedelta(weeks=1))
    db.session.commit()
