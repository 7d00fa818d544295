"""Work engine services: may I work on this job, claim the next task, save a draft, submit, return.

Every state change is a compare-and-set update (DESIGN.md section 5). Services take the actor and `now`
explicitly, raise DomainErrors people can act on, and never commit: the view, API call or scheduled job owns
the transaction (so "submit and next" is one transaction).
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.attributes import set_committed_value

from ..core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from ..core.events import emit
from ..core.time import utcnow
from ..extensions import db, execute
from ..jobs import services as jobs
from ..jobs import states as job_states
from ..jobs.eligibility import Exclusion, TrainerFacts
from ..jobs.kinds import validate_answer
from ..jobs.models import Job, Task
from . import claims, facts_cache, flags, hooks, matching, states, testruns, worktime
from .models import Assignment


class NotEligible(Forbidden):
    code = "not_eligible"

    def __init__(self, message: str, exclusions: list[Exclusion], **kw):
        super().__init__(message, **kw)
        self.errors = [{"code": e.code, "message": e.message, "remedy": e.remedy} for e in exclusions]


class NoWorkLeft(Conflict):
    code = "no_tasks"


# --- eligibility with the work rules -----------------------------------------------------------------------

def weekly_hours(user, job: Job, time: worktime.WorkTime) -> matching.WeeklyHours:
    return matching.WeeklyHours(trainer_cap_minutes=user.weekly_cap_minutes,
                                trainer_week_minutes=time.week_minutes(),
                                job_limit_minutes=job.weekly_limit_minutes,
                                job_week_minutes=time.job_week_minutes(job.id))


def task_supply(job: Job, worker_id: int) -> matching.TaskSupply:
    """Whether the job still has a task with a free slot, and one this trainer has not had (two small
    index lookups on the open-task index)."""
    open_task = (sa.select(Task.id).where(Task.job_id == job.id, Task.is_open.is_(True),
                                          Task.holders < job.answers_per_task))
    mine = sa.exists().where(Assignment.task_id == Task.id, Assignment.worker_id == worker_id)
    for_me = db.session.scalar(open_task.where(~mine).limit(1)) is not None
    if for_me:
        return matching.TaskSupply(True, True)
    return matching.TaskSupply(db.session.scalar(open_task.limit(1)) is not None, False)


def work_exclusions(user, job: Job, now: datetime, *, facts: TrainerFacts | None = None,
                    time: worktime.WorkTime | None = None, supply: matching.TaskSupply | None = None,
                    catalogue=None, extra: list[Exclusion] | None = None) -> list[Exclusion]:
    """Every rule that keeps `user` from starting a task of `job` now: the jobs room's eligibility facts
    (profile, qualifications, moderation's standing for this job, the content warning) and the work rules
    (weekly limits, task supply). The catalogue of qualification names is loaded only to word a
    qualification or language rule (this runs at every claim)."""
    facts = facts or jobs.trainer_facts(user, job, now, only_for_rules=True)
    if time is None:
        # Time worked only matters against a limit: without the trainer's cap or the job's per-trainer limit
        # (the common case) the claim path does not measure it.
        limited = user.weekly_cap_minutes is not None or job.weekly_limit_minutes is not None
        time = worktime.work_time(user.id, now) if limited else worktime.WorkTime()
    if extra is None:
        extra = jobs.extra_exclusions(user, job, now)  # rooms above: e.g. the quality room's removal from a job
    arguments = (facts, jobs.job_rules(job), weekly_hours(user, job, time), supply or matching.TaskSupply())
    found = matching.work_exclusions(*arguments, catalogue or {}, extra=extra)
    if catalogue is None and any(e.code in ("qualification", "language") for e in found):
        found = matching.work_exclusions(*arguments, jobs.qualification_catalogue(), extra=extra)
    return found


def check_may_claim(user, job: Job, now: datetime) -> None:
    """Raise a clear error when the trainer may not start a task of this job now."""
    if not user.is_worker:
        raise Forbidden("Only trainers take tasks. Requesters and admins can preview a job from its page.")
    facts, extra = facts_cache.facts_for(user, job, now)  # every rule is applied; the facts may be remembered
    excl = work_exclusions(user, job, now, facts=facts, extra=extra)
    blocking = matching.blocking(excl)
    standing = next((e for e in blocking if e.code == "standing"), None)
    if standing is not None:
        raise NotEligible(str(standing), blocking, code="suspended")
    if blocking:
        raise NotEligible("You cannot take this job now: " + " ".join(str(e) for e in blocking), blocking)
    if excl:  # only the content warning is left: it needs an explicit yes
        raise NotEligible(f"{excl[0].message} Accept it to start; you can stop at any time.", excl,
                          code="content_warning", status=409)
    # Rooms above may refuse too (the pay room: the job's escrow must cover one more session).
    emit("work.claiming", job=job, trainer=user, now=now)


# --- claiming ----------------------------------------------------------------------------------------------

# The claim path's own statements are built once with bind parameters (building a statement costs more CPU
# than running it on these index lookups, and a claim runs several).
_LIVE = (sa.select(Assignment).where(Assignment.job_id == sa.bindparam("job_id"),
                                     Assignment.worker_id == sa.bindparam("worker_id"),
                                     Assignment.status == states.RESERVED, Assignment.expires_at > sa.bindparam("now"))
         .order_by(Assignment.id))
_EVER_AND_LIVE = (sa.select(sa.func.count(Assignment.id),
                            sa.func.count(Assignment.id).filter(Assignment.status == states.RESERVED,
                                                                Assignment.expires_at > sa.bindparam("now")))
                  .where(Assignment.job_id == sa.bindparam("job_id"), Assignment.worker_id == sa.bindparam("worker_id")))
_BY_IDS = sa.select(Assignment).where(Assignment.id.in_(sa.bindparam("ids", expanding=True))).order_by(Assignment.id)


def live_reservations(job_id: int, worker_id: int, now: datetime) -> list[Assignment]:
    return list(db.session.scalars(_LIVE, {"job_id": job_id, "worker_id": worker_id, "now": now}))


def claim_next(job: Job, worker, *, k: int = 1, now: datetime | None = None,
               want_gold: bool | None = None) -> list[Assignment]:
    """Give the trainer up to `k` tasks of the job to work on, counting the reservations they already hold
    on it (so a retried or doubled request never grabs more). Refuses with the reason when they may not work
    on the job, and with `no_tasks` when no task is left for them.

    Side effects: expired reservations of the job are released first (their slots are free at once); new
    assignments in `reserved` with the job's reservation time; task holders counters bumped.
    """
    now = now or utcnow()
    limit = current_app.config["ASSIGNMENT_MAX_CLAIM"]
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= limit:
        raise ValidationFailed(f"Ask for between 1 and {limit} tasks at a time.", field="k",
                               errors={"k": f"must be a whole number from 1 to {limit}"})
    check_may_claim(worker, job, now)
    claims.begin_write()
    held = claims.retry_on_deadlock(lambda: _release_and_claim(job, worker.id, now, k, want_gold))
    if not held:
        supply = task_supply(job, worker.id)
        reason = matching.supply_exclusions(supply) or matching.supply_exclusions(matching.TaskSupply(False))
        raise NoWorkLeft(str(reason[0]), code=reason[0].code)
    return held


def _release_and_claim(job: Job, worker_id: int, now: datetime, k: int, want_gold: bool | None) -> list[Assignment]:
    claims.release_expired(job.id, now, reopen=job.status != job_states.CLOSED)
    # One look at the trainer's rows on the job: how many they ever held (the gold-mix position) and how many
    # they hold now; the held ones are loaded only when there are some.
    ever, live = execute(_EVER_AND_LIVE, {"job_id": job.id, "worker_id": worker_id, "now": now}).one()
    held = live_reservations(job.id, worker_id, now) if live else []
    if len(held) < k:
        new_ids = _claim_slots(job, worker_id, now, k - len(held), want_gold, position=ever)
        if new_ids:
            held += list(db.session.scalars(_BY_IDS, {"ids": new_ids}))
    return held


def _claim_slots(job: Job, worker_id: int, now: datetime, count: int, want_gold: bool | None, *,
                 position: int) -> list[int]:
    """Claim `count` tasks; with a gold-mix provider, slot by slot (each slot's gold or not is decided by the
    trainer's position on the job: how many tasks they ever held on it, so a retry cannot reroll it)."""
    expires_at = now + timedelta(minutes=job.reservation_minutes)
    if want_gold is None and hooks.resolve("GOLD_MIX_PROVIDER") is not None:
        ids: list[int] = []
        for slot in range(count):
            got = claims.claim(job.id, overlap=job.answers_per_task, worker_id=worker_id, now=now,
                               expires_at=expires_at, want_gold=hooks.gold_preference(job.id, worker_id, position + slot))
            if not got:
                break
            ids += got
        return ids
    return claims.claim(job.id, overlap=job.answers_per_task, worker_id=worker_id, now=now, expires_at=expires_at,
                        k=count, want_gold=want_gold)


# --- one assignment ----------------------------------------------------------------------------------------

_OWN = (sa.select(Assignment).options(sa.orm.joinedload(Assignment.job))
        .where(Assignment.id == sa.bindparam("assignment_id")))  # built once: every submit, draft, return


def get_own(assignment_id: int, worker) -> Assignment:
    """The trainer's own assignment; anyone else's does not exist for them (blind: no peeking)."""
    # The job comes in the same query (submit, draft and return all read it next).
    assignment = db.session.scalar(_OWN, {"assignment_id": assignment_id})
    if assignment is None or assignment.worker_id != worker.id:
        raise NotFound("There is no such task in your work. It may belong to someone else.")
    return assignment


def _refresh(assignment: Assignment) -> Assignment:
    db.session.refresh(assignment)
    return assignment


def _check_json_size(value, limit: int, what: str) -> None:
    if len(json.dumps(value, ensure_ascii=False)) > limit:
        raise ValidationFailed(f"The {what} is too large (over {limit // 1000} KB).", status=413,
                               code="payload_too_large", errors={what: "is too large"})


def save_draft(assignment_id: int, worker, draft, *, now: datetime | None = None) -> Assignment:
    """Keep work in progress (autosave). Only the holder of a live reservation can save; drafts are not
    checked against the answer schema (they may be half done)."""
    now = now or utcnow()
    if not isinstance(draft, dict):
        raise ValidationFailed("A draft must be an object.", errors={"draft": "must be an object"})
    _check_json_size(draft, current_app.config["ASSIGNMENT_MAX_ANSWER_BYTES"], "draft")
    assignment = get_own(assignment_id, worker)
    claims.begin_write()
    saved = db.session.execute(
        sa.update(Assignment).where(Assignment.id == assignment.id, Assignment.worker_id == worker.id,
                                    Assignment.status == states.RESERVED, Assignment.expires_at > now)
        .values(draft=draft, draft_saved_at=now).execution_options(synchronize_session=False)).rowcount
    _refresh(assignment)
    if not saved:
        raise Conflict(_not_reserved_message(assignment, now), code="not_reserved")
    return assignment


def _not_reserved_message(assignment: Assignment, now: datetime) -> str:
    if assignment.status == states.RESERVED:  # reserved but out of time
        return states.SUBMIT_REFUSALS[states.EXPIRED]
    return states.SUBMIT_REFUSALS[assignment.status]


_A = Assignment.__table__
_SUBMIT_WHERE = (_A.c.id == sa.bindparam("b_id"), _A.c.worker_id == sa.bindparam("b_worker"),
                 _A.c.status == states.RESERVED, _A.c.expires_at > sa.bindparam("b_now", type_=_A.c.expires_at.type))
_SUBMIT_VALUES = {name: sa.bindparam("v_" + name, type_=_A.c[name].type)
                  for name in ("status", "answer", "submitted_at", "draft")}
_SUBMIT = sa.update(_A).where(*_SUBMIT_WHERE).values(**_SUBMIT_VALUES)
_SUBMIT_AUTO = sa.update(_A).where(*_SUBMIT_WHERE).values(
    **_SUBMIT_VALUES, reviewed_at=sa.bindparam("v_reviewed_at", type_=_A.c.reviewed_at.type))


def submit(assignment_id: int, worker, answer, *, now: datetime | None = None) -> Assignment:
    """Submit the trainer's answer: validated against the job kind's schema first, then ONE conditional update
    (owner, still reserved, not expired). Idempotent: the same answer submitted again (a double click, a
    retry) returns the first result; a different answer after submission is refused.

    Side effects: the assignment becomes `submitted` (or `approved` at once when the job's review policy is
    automatic); the task's answers_done and, when it completes the task, the job's tasks_done go up; the
    event "assignment.submitted" (first submission only).
    """
    now = now or utcnow()
    assignment = get_own(assignment_id, worker)
    answer = testruns.attach_latest(assignment, answer)  # server-made fields first, so a retry compares equal
    if assignment.status in states.ANSWERED and assignment.answer == answer:
        return assignment
    job, task = assignment.job, assignment.task
    _check_json_size(answer, current_app.config["ASSIGNMENT_MAX_ANSWER_BYTES"], "answer")
    if assignment.status == states.RESERVED and assignment.expires_at > now:
        validate_answer(job.kind, job.config, task.payload, answer)
    claims.begin_write()
    auto = job.review_policy == "auto"
    values = {"status": states.APPROVED if auto else states.SUBMITTED, "answer": answer, "submitted_at": now,
              "draft": None}
    if auto:
        values["reviewed_at"] = now

    def write() -> int:
        # The answer and the task's count in one savepoint: on PostgreSQL a claim holding this task's row while
        # it waits for another can make the count a deadlock's victim; the savepoint undoes both and runs again.
        done = execute(_SUBMIT_AUTO if auto else _SUBMIT,
                       {"b_id": assignment.id, "b_worker": worker.id, "b_now": now,
                        **{"v_" + key: value for key, value in values.items()}}).rowcount
        if done:
            _count_answer(task.id, job, +1)
        return done

    done = claims.retry_on_deadlock(write)
    if done:
        # The conditional update won, so the row now holds exactly `values`: record them as loaded instead of
        # reading the row back.
        for key, value in values.items():
            set_committed_value(assignment, key, value)
    else:
        _refresh(assignment)
        if assignment.status in states.ANSWERED and assignment.answer == answer:
            return assignment  # the other click won the race with the same answer
        raise Conflict(_not_reserved_message(assignment, now), code="not_reserved")
    # Rooms above react in this transaction (the quality room scores gold and queues peer review).
    emit("assignment.submitted", assignment=assignment, job=job, task=task, worker=worker, now=now)
    return assignment


_COUNT_ANSWER = (sa.update(Task.__table__).where(Task.__table__.c.id == sa.bindparam("task_id"))
                 .values(answers_done=Task.__table__.c.answers_done + sa.bindparam("delta"))
                 .returning(Task.__table__.c.answers_done))
_COUNT_TASK_DONE = (sa.update(Job.__table__).where(Job.__table__.c.id == sa.bindparam("job_id"))
                    .values(tasks_done=Job.__table__.c.tasks_done + sa.bindparam("delta")))


def _count_answer(task_id: int, job: Job, delta: int) -> None:
    """Keep Task.answers_done and Job.tasks_done (a task is done when it has all its answers). Core statements
    built once (every submit): loaded Task/Job objects keep their old counters until refreshed, as before."""
    answers = execute(_COUNT_ANSWER, {"task_id": task_id, "delta": delta}).scalar_one()
    crossed = (delta > 0 and answers == job.answers_per_task) or (delta < 0 and answers == job.answers_per_task - 1)
    if crossed:
        execute(_COUNT_TASK_DONE, {"job_id": job.id, "delta": delta})


def return_task(assignment_id: int, worker, *, reason: str | None = None, note: str = "",
                now: datetime | None = None) -> Assignment:
    """Give a task back without penalty. The optional reason (and note) reach the requester only in
    aggregate, except a flag (broken, harmful): the requester is told at once which task and why, never who.
    The slot is free for another trainer at once."""
    now = now or utcnow()
    if reason is not None and reason not in states.RETURN_REASONS:
        raise ValidationFailed("Choose one of the listed reasons, or none.", field="reason",
                               errors={"reason": f"must be one of: {', '.join(states.RETURN_REASONS)}"})
    note = (note or "").strip()
    if len(note) > 1000:
        raise ValidationFailed("Keep the note under 1,000 characters.", field="note",
                               errors={"note": "must be at most 1000 characters"})
    assignment = get_own(assignment_id, worker)
    claims.begin_write()
    done = db.session.execute(
        sa.update(Assignment).where(Assignment.id == assignment.id, Assignment.worker_id == worker.id,
                                    Assignment.status == states.RESERVED)
        .values(status=states.RETURNED, ended_at=now, return_reason=reason, return_note=note, draft=None)
        .execution_options(synchronize_session=False)).rowcount
    _refresh(assignment)
    if not done:
        raise Conflict(states.RETURN_REFUSALS[assignment.status], code="not_reserved")
    claims.give_back(Counter([assignment.task_id]), reopen=assignment.job.status != job_states.CLOSED)
    if reason in states.FLAG_REASONS:
        flags.tell_requester(assignment, reason, note, actor=worker, now=now)
    return assignment


def flag_task(assignment_id: int, worker, *, reason: str, note: str, then_next: bool = False,
              now: datetime | None = None):
    """Flag a task as broken or harmful: a return (no penalty, the slot freed) that needs the trainer's words
    and tells the requester at once. Same result shape as return_and_next."""
    if reason not in states.FLAG_REASONS:
        raise ValidationFailed("Flag a task as broken or harmful.", field="reason",
                               errors={"reason": f"must be one of: {', '.join(states.FLAG_REASONS)}"})
    problem = flags.check_note(reason, note or "")
    if problem:
        raise ValidationFailed(problem, field="note", errors={"note": problem})
    return return_and_next(assignment_id, worker, reason=reason, note=note, then_next=then_next, now=now)


def start_work(job: Job, worker, *, k: int = 1, accept_warning: bool = False,
               now: datetime | None = None) -> list[Assignment]:
    """"Start working" on a job: accept its content warning when the trainer just said yes to it, then claim
    up to k tasks (counting the ones they hold). Returns the assignments to work on, in order."""
    now = now or utcnow()
    if accept_warning and job.content_warning and worker.is_worker and worker.in_good_standing:
        jobs.accept_content_warning(job, worker)
    return claim_next(job, worker, k=k, now=now)


def next_after(job: Job, worker, now: datetime) -> tuple[Assignment | None, str | None]:
    """The next task after a submit or return, or why there is none (the first action stands either way)."""
    try:
        return claim_next(job, worker, k=1, now=now)[0], None
    except (NoWorkLeft, NotEligible) as exc:
        return None, exc.message


def submit_and_next(assignment_id: int, worker, answer, *, then_next: bool, now: datetime | None = None):
    """Submit, then (when asked) claim the next task of the same job in the same transaction.
    Returns (submitted assignment, next assignment or None, why there is no next one or None)."""
    now = now or utcnow()
    done = submit(assignment_id, worker, answer, now=now)
    if not then_next:
        return done, None, None
    following, why = next_after(done.job, worker, now)
    return done, following, why


def return_and_next(assignment_id: int, worker, *, reason: str | None, note: str, then_next: bool,
                    now: datetime | None = None):
    """Return a task without penalty and, when asked, take the next one (same shape as submit_and_next)."""
    now = now or utcnow()
    given_back = return_task(assignment_id, worker, reason=reason, note=note, now=now)
    if not then_next:
        return given_back, None, None
    following, why = next_after(given_back.job, worker, now)
    return given_back, following, why


def seconds_left(assignment: Assignment, now: datetime | None = None) -> int:
    return max(0, int((assignment.expires_at - (now or utcnow())).total_seconds()))


def local_day_start(now: datetime, tz_name: str | None) -> datetime:
    """Midnight of the trainer's own day (their profile's time zone), as a UTC instant."""
    try:
        zone = ZoneInfo(tz_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = now.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(now.tzinfo)


def my_progress(job_id: int, worker, now: datetime) -> dict:
    """The trainer's own counts on a job: answered today (their day) and in total (for the work page)."""
    day = local_day_start(now, worker.timezone)
    answered = sa.and_(Assignment.job_id == job_id, Assignment.worker_id == worker.id,
                       Assignment.status.in_((states.SUBMITTED, states.APPROVED, states.REJECTED)))
    total, today = db.session.execute(sa.select(
        sa.func.count(Assignment.id), sa.func.count(Assignment.id).filter(Assignment.submitted_at >= day))
        .where(answered)).one()
    return {"answered": total, "answered_today": today}


__all__ = ["DomainError", "NoWorkLeft", "NotEligible", "check_may_claim", "claim_next", "get_own",
           "my_progress", "return_task", "save_draft", "submit", "work_exclusions"]
