"""Job services: create and edit jobs, move them between states, queue task imports, eligibility facts.

Money lives above this room. Each state change announces itself with core.events in the caller's transaction
(`job.published`, `job.resumed`, `job.closed`, `job.budget_added`); the payments room subscribes and moves
the budget into or out of escrow, refusing (and so rolling back the change) when the money is not there.
Services never commit.
"""
from __future__ import annotations

import logging
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app, g

from ..accounts.models import TrainerLanguage
from ..assessments import services as assessments
from ..assessments.models import Qualification
from ..core import audit, events, notices
from ..core.errors import Conflict, DomainError, NotFound, ValidationFailed
from ..core.money import format_cents
from ..core.schema import schema_errors
from ..core.taxonomy import countries, languages
from ..core.time import utcnow
from ..extensions import db, execute
from ..moderation import services as moderation
from . import budget, states
from .eligibility import Exclusion, JobRules, QualificationInfo, TrainerFacts, exclusions
from .kinds import validate_config
from .models import ContentWarningAcceptance, ImportRun, Job, Task
from .schemas import JOB_CREATE, JOB_UPDATE, standalone
from .storage import TooLarge, get_storage, new_key

log = logging.getLogger(__name__)

DEFAULTS = {"summary": "", "instructions": "", "config": {}, "required_languages": [], "required_expertise": [],
            "required_qualifications": [], "allowed_countries": [], "country_reason": "", "content_warning": "",
            "est_minutes_per_task": 5, "weekly_limit_minutes": 0, "budget_cents": 0, "answers_per_task": 1,
            "review_policy": "auto", "review_window_hours": 72, "reservation_minutes": 30}


def _check_fields(data: dict, schema: dict) -> dict:
    if not isinstance(data, dict):
        raise ValidationFailed("Send the job as a JSON object.", errors={"body": "must be an object"})
    errors = schema_errors(standalone(schema), data)
    if errors:
        field, sentence = next(iter(errors.items()))
        raise ValidationFailed(f"{field} {sentence}.", errors=errors, field=field.split(".")[0].split("[")[0])
    return data


def _check_rules(values: dict) -> dict:
    """Rules the schema cannot say: real codes, the pay floor, a reason for a country limit."""
    errors: dict[str, str] = {}
    minimum = current_app.config["MIN_HOURLY_RATE_CENTS"]
    if values["hourly_rate_cents"] < minimum:
        errors["hourly_rate_cents"] = (f"must be at least the platform minimum of ${minimum / 100:.2f} an hour, "
                                       "so trainers are paid fairly")
    codes = [entry["code"] for entry in values["required_languages"]]
    unknown = [c for c in codes if c not in languages()]
    if unknown:
        errors["required_languages"] = f"has an unknown language code: {unknown[0]}"
    elif len(set(codes)) != len(codes):
        errors["required_languages"] = "names a language twice"
    known = set(db.session.scalars(sa.select(Qualification.key)))
    missing = [key for key in values["required_qualifications"] if key not in known]
    if missing:
        errors["required_qualifications"] = (f"names a qualification that does not exist: {missing[0]} "
                                             "(choose from the qualification catalogue)")
    bad = [c for c in values["allowed_countries"] if c not in countries()]
    if bad:
        errors["allowed_countries"] = f"has an unknown country code: {bad[0]}"
    if values["allowed_countries"] and not values["country_reason"].strip():
        errors["country_reason"] = ("is required when the job is limited to some countries: trainers elsewhere "
                                    "read it")
    if errors:
        field, sentence = next(iter(errors.items()))
        raise ValidationFailed(f"{field} {sentence}.", errors=errors, field=field)
    if values.get("kind"):
        values["config"] = validate_config(values["kind"], values.get("config") or {})
    return values


def create_job(requester, data: dict) -> Job:
    """Create a draft job from requester input (API body or wizard), checked against JOB_CREATE and the rules.

    Side effects: a Job row in draft, an audit row `jobs.created`.
    """
    _check_fields(data, JOB_CREATE)
    values = _check_rules({**DEFAULTS, **data})
    now = utcnow()
    job = Job(requester_id=requester.id, status=states.DRAFT, created_at=now, updated_at=now,
              **{name: values[name] for name in JOB_CREATE["properties"]})
    job.weekly_limit_minutes = values["weekly_limit_minutes"] or None
    db.session.add(job)
    db.session.flush()
    audit.record("jobs.created", actor=requester, subject=job, reason=f"Draft job created: {job.title}")
    return job


def job_values(job: Job) -> dict:
    """The job's editable fields as requester input (the shape create_job takes)."""
    values = {name: getattr(job, name) for name in JOB_CREATE["properties"]}
    values["weekly_limit_minutes"] = job.weekly_limit_minutes or 0
    return values


def update_job(job: Job, actor, data: dict) -> list[str]:
    """Change a job's fields. Drafts change freely; published or paused jobs keep their kind, configuration and
    overlap, and their rate may only rise (states.check_edit). Returns the names of the fields that changed."""
    _check_fields(data, JOB_UPDATE)
    current = job_values(job)
    values = _check_rules({**current, **data})
    changes = {name: values[name] for name in data if values[name] != current[name]}
    states.check_edit(job.status, changes, current_rate_cents=job.hourly_rate_cents)
    if "budget_cents" in changes and not job.is_draft:
        raise Conflict("The budget of a published job grows by adding funds to it, not by editing it.",
                       field="budget_cents")
    for name, value in changes.items():
        setattr(job, name, value)
    if "weekly_limit_minutes" in changes:
        job.weekly_limit_minutes = changes["weekly_limit_minutes"] or None
    if changes:
        job.updated_at = utcnow()
        audit.record("jobs.updated", actor=actor, subject=job, reason="Job edited.",
                     data={"fields": sorted(changes)})
    return sorted(changes)


def _move(job: Job, action: str, *, paused_reason: str | None = None, **extra) -> None:
    """Compare-and-set the job's state (two tabs, or a person and the budget check, cannot both win)."""
    new = states.next_status(job.status, action)
    values = {"status": new, "paused_reason": paused_reason, "updated_at": utcnow(), **extra}
    moved = db.session.execute(sa.update(Job).where(Job.id == job.id, Job.status == job.status)
                               .values(**values).execution_options(synchronize_session=False)).rowcount
    if not moved:
        db.session.refresh(job)
        raise Conflict(f"This job changed while you were looking at it (it is now {job.status}). Reload and try again.")
    db.session.refresh(job)


def check_publishable(job: Job) -> None:
    """What must hold before trainers see a job: tasks, no import running, pay floor, a funded first hour."""
    if job.task_count == 0:
        raise Conflict("Add tasks before publishing: upload a JSONL or CSV file on the job's Tasks page.")
    if import_in_progress(job):
        raise Conflict("An import of tasks is still running; publish when it has finished.")
    minimum = current_app.config["MIN_HOURLY_RATE_CENTS"]
    if job.hourly_rate_cents < minimum:
        raise ValidationFailed(f"The hourly rate is under the platform minimum of ${minimum / 100:.2f}.",
                               field="hourly_rate_cents", errors={"hourly_rate_cents": "is under the minimum"})
    per_hour = cost_per_hour(job)
    if job.budget_cents < per_hour:
        raise ValidationFailed(
            f"The budget must pay for at least one hour of work (${per_hour / 100:,.2f}: this job's rate plus the "
            "platform fee).",
            field="budget_cents", errors={"budget_cents": "must cover at least one hour of work"})
    validate_config(job.kind, job.config)


MONEY_EVENTS = ("job.published", "job.resumed", "job.closed", "job.budget_added")


def money_is_wired() -> bool:
    """True when a room above (payments) holds job budgets in escrow; without it nothing may be published."""
    return all(events.subscribers(name) for name in MONEY_EVENTS)


def _require_money() -> None:
    if not money_is_wired():
        raise Conflict("Publishing is unavailable: the payments room that holds job budgets in escrow is not "
                       "installed, and trainers must never work on an unfunded job.", code="payments_unavailable")


def publish_job(job: Job, actor) -> None:
    """Open a draft job to trainers. The `job.published` subscribers move its budget into escrow in the same
    transaction, so a job is never open without its money set aside."""
    check_publishable(job)
    _require_money()
    _move(job, "publish", published_at=utcnow())
    audit.record("jobs.published", actor=actor, subject=job,
                 reason=f"Published with a budget of {format_cents(job.budget_cents)}.",
                 data={"budget_cents": job.budget_cents})
    events.emit("job.published", job=job, actor=actor)


def pause_job(job: Job, actor, *, reason: str = states.PAUSED_BY_REQUESTER) -> None:
    """Stop new work on a published job. Trainers holding a task may finish it and are paid."""
    _move(job, "pause", paused_reason=reason)
    audit.record("jobs.paused", actor=actor, subject=job, reason=f"Paused ({reason}).")


def pause_for_budget(job: Job, *, escrow_cents: int) -> bool:
    """The platform pauses a job whose escrow cannot pay for another hour, and tells its requester why."""
    if job.status != states.PUBLISHED:
        return False
    _move(job, "pause", paused_reason=states.PAUSED_FOR_BUDGET)
    per_hour = cost_per_hour(job)
    message = (f"Your job “{job.title}” has ${escrow_cents / 100:,.2f} left in escrow, less than one hour of work "
               f"(${per_hour / 100:,.2f}), so we paused it: trainers are never asked to work unpaid. Add funds to "
               "the job and it resumes at once.")
    audit.record("jobs.paused_for_budget", actor=None, subject=job, subject_user=job.requester_id, reason=message,
                 data={"escrow_cents": escrow_cents})
    notices.notify(job.requester, f"Job paused: its budget is used up ({job.title})"[:200], message,
                   link=f"/jobs/{job.id}", category="jobs")
    return True


def resume_job(job: Job, actor) -> None:
    """Reopen a paused job; `job.resumed` subscribers refuse when the escrow cannot pay for another hour."""
    _require_money()
    _move(job, "resume")
    audit.record("jobs.resumed", actor=actor, subject=job, reason="Resumed.")
    events.emit("job.resumed", job=job, actor=actor)


def add_budget(job: Job, actor, amount_cents: int, idempotency_key: str) -> bool:
    """Add to a live job's budget (`job.budget_added` moves the money into escrow, once per key).

    A job paused because its budget ran out resumes by itself when the escrow covers another hour again.
    Returns True when the job resumed.
    """
    _require_money()
    if not job.is_live:
        raise Conflict("Funds can be added to a published or paused job; a draft is funded when it is published.")
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ValidationFailed("Enter an amount above zero.", field="amount", errors={"amount": "must be above zero"})
    if not idempotency_key:
        raise ValidationFailed("An idempotency key is required so a retry never adds twice.")
    added = events.emit("job.budget_added", job=job, actor=actor, amount_cents=amount_cents,
                        idempotency_key=idempotency_key)
    if not any(added):  # the payments room saw this key before: the money moved already
        return False
    db.session.execute(sa.update(Job).where(Job.id == job.id)
                       .values(budget_cents=Job.budget_cents + amount_cents, updated_at=utcnow())
                       .execution_options(synchronize_session=False))
    db.session.refresh(job)
    audit.record("jobs.budget_added", actor=actor, subject=job, reason=f"Budget raised by {format_cents(amount_cents)}.",
                 data={"amount_cents": amount_cents})
    if job.status == states.PAUSED and job.paused_reason == states.PAUSED_FOR_BUDGET:
        try:
            with db.session.begin_nested():
                resume_job(job, actor)
        except DomainError:  # still not enough for an hour of work: it stays paused, with the money added
            db.session.refresh(job)
            return False
        return True
    return False


def close_job(job: Job, actor) -> None:
    """Close a job for good: no new work; unused escrow goes back to the requester (payments.job_funding)."""
    if import_in_progress(job):
        raise Conflict("An import of tasks is still running; close the job when it has finished.")
    if job.is_live:  # a draft holds no money; a live job's escrow must go back through payments
        _require_money()
    _move(job, "close", closed_at=utcnow())
    # One set-based update: a closed job offers no task to anyone.
    db.session.execute(sa.update(Task).where(Task.job_id == job.id, Task.is_open.is_(True)).values(is_open=False)
                       .execution_options(synchronize_session=False))
    audit.record("jobs.closed", actor=actor, subject=job, reason="Closed.")
    events.emit("job.closed", job=job, actor=actor)  # payments returns the unused escrow


def cost_per_hour(job: Job) -> int:
    """What an hour of work takes from the job's escrow: the rate plus the platform fee (fee on top)."""
    return budget.cost_per_hour_cents(job.hourly_rate_cents, current_app.config["PLATFORM_FEE_BASIS_POINTS"])


def import_in_progress(job: Job) -> bool:
    return db.session.scalar(sa.select(sa.func.count(ImportRun.id)).where(
        ImportRun.job_id == job.id, ImportRun.status.in_(("queued", "running")))) > 0


def queue_import(job: Job, actor, *, stream: BinaryIO, filename: str, mode: str,
                 images: BinaryIO | None = None) -> ImportRun:
    """Store an uploaded task file (and ZIP of images) and queue its import. The caller commits, then starts
    the run (start_import). Refuses closed jobs, a second concurrent import, and unknown formats."""
    if job.status == states.CLOSED:
        raise Conflict("This job is closed; it takes no more tasks.")
    if import_in_progress(job):
        raise Conflict("An import into this job is still running. Wait for it to finish, then upload again.")
    if mode not in ("all_or_nothing", "skip_invalid"):
        raise ValidationFailed("Choose all-or-nothing or skip invalid rows.", field="mode",
                               errors={"mode": "must be all_or_nothing or skip_invalid"})
    name = (filename or "").strip()
    file_format = "csv" if name.lower().endswith(".csv") else "jsonl" if name.lower().endswith(
        (".jsonl", ".ndjson", ".json")) else None
    if file_format is None:
        raise ValidationFailed("Upload a .jsonl or .csv file.", field="file",
                               errors={"file": "must be a .jsonl or .csv file"})
    if job.kind == "bounding_boxes" and images is None:
        raise ValidationFailed("Bounding-box tasks need their images: upload a ZIP of images with the file.",
                               field="images", errors={"images": "is required for bounding-box jobs"})
    limit = current_app.config["JOBS_IMPORT_MAX_BYTES"]
    storage = get_storage()
    file_key = new_key(f"imports/job-{job.id}", "." + file_format)
    images_key = new_key(f"imports/job-{job.id}", ".zip") if images is not None else None
    try:
        total = storage.save_stream(file_key, stream, max_bytes=limit)
        if images is not None:
            storage.save_stream(images_key, images, max_bytes=limit)
    except TooLarge:
        storage.delete(file_key)
        if images_key:
            storage.delete(images_key)
        raise ValidationFailed(f"The upload is larger than {limit // (1024 * 1024)} MB.", status=413,
                               code="payload_too_large", field="file") from None
    if total == 0:
        storage.delete(file_key)
        raise ValidationFailed("The file is empty.", field="file", errors={"file": "is empty"})
    run = ImportRun(job_id=job.id, requester_id=actor.id, status="queued", mode=mode, file_format=file_format,
                    original_name=name[:300], file_key=file_key, images_key=images_key, total_bytes=total,
                    created_at=utcnow())
    db.session.add(run)
    db.session.flush()
    audit.record("jobs.import_queued", actor=actor, subject=run, reason=f"Upload of {name} ({total} bytes).",
                 data={"job_id": job.id, "mode": mode})
    return run


def accept_content_warning(job: Job, trainer) -> ContentWarningAcceptance:
    """Record that a trainer read the job's content warning and chose to see its tasks (idempotent)."""
    if not job.content_warning:
        raise Conflict("This job has no content warning to accept.")
    row = db.session.scalar(sa.select(ContentWarningAcceptance).where(
        ContentWarningAcceptance.job_id == job.id, ContentWarningAcceptance.user_id == trainer.id))
    if row is None:
        row = ContentWarningAcceptance(job_id=job.id, user_id=trainer.id, warning_text=job.content_warning,
                                       accepted_at=utcnow())
        db.session.add(row)
    else:
        row.warning_text, row.accepted_at = job.content_warning, utcnow()
    audit.record("jobs.content_warning_accepted", actor=trainer, subject_user=trainer, subject=job,
                 reason="Read and accepted the job's content warning.")
    return row


def has_accepted_warning(job: Job, user_id: int) -> bool:
    """True when the trainer accepted this job's current warning text (a changed warning asks again)."""
    text = db.session.scalar(sa.select(ContentWarningAcceptance.warning_text).where(
        ContentWarningAcceptance.job_id == job.id, ContentWarningAcceptance.user_id == user_id))
    return text is not None and text == job.content_warning


def job_rules(job: Job) -> JobRules:
    return JobRules(status=job.status, paused_reason=job.paused_reason,
                    required_languages=tuple((e["code"], e["min_proficiency"]) for e in job.required_languages),
                    required_expertise=tuple(job.required_expertise),
                    required_qualifications=tuple(job.required_qualifications),
                    allowed_countries=tuple(job.allowed_countries), country_reason=job.country_reason,
                    content_warning=job.content_warning)


def trainer_facts(user, job: Job | None = None, now=None, *, only_for_rules: bool = False) -> TrainerFacts:
    """What eligibility may know about a trainer: profile, active qualifications (assessments room) and
    standing (moderation room: suspension, country withdrawal, a sanction or block for this job or requester).

    `only_for_rules` (with a job; the claim path, which runs at every claim): load only the facts the job's
    rules read, so a job without expertise rules never loads the trainer's expertise, etc. The exclusions
    come out the same; the facts are not complete enough to rank jobs by match_score."""
    now = now or utcnow()
    standing = moderation.standing_for(user, now, job_id=job.id if job else None,
                                       requester_id=job.requester_id if job else None)
    lazy = only_for_rules and job is not None
    needs_languages = not lazy or bool(job.required_languages)
    needs_expertise = not lazy or bool(job.required_expertise)
    # A language can be proven by a language qualification, so language rules read qualifications too.
    needs_qualifications = not lazy or bool(job.required_qualifications) or bool(job.required_languages)
    return TrainerFacts(languages=_languages_of(user) if needs_languages else {},
                        expertise=frozenset(e.area for e in user.expertise) if needs_expertise else frozenset(),
                        country=user.country,
                        qualifications=frozenset(held_qualification_keys(user.id, now)) if needs_qualifications
                        else frozenset(),
                        in_good_standing=user.in_good_standing and standing.code not in ("suspended", "deactivated"),
                        standing=standing.code if standing.code in ("suspended", "deactivated") else user.status,
                        country_withdrawn=standing.code == "country", country_withdrawal_reason=standing.reason,
                        barred_code=standing.code if standing.code in BARRED else "",
                        barred_reason=standing.reason if standing.code in BARRED else "",
                        accepted_content_warning=bool(job and job.content_warning and has_accepted_warning(job, user.id)))


BARRED = ("job_sanction", "requester_sanction", "requester_block")

_LANGUAGES = sa.select(TrainerLanguage.code, TrainerLanguage.proficiency).where(
    TrainerLanguage.user_id == sa.bindparam("user_id"))  # built once: every claim of a job with a language rule


def _languages_of(user) -> dict[str, str]:
    """code -> proficiency: from the loaded profile when a page has it, else two columns in one Core statement
    (the claim path; loading the relationship's objects cost more than the query)."""
    if "languages" not in sa.inspect(user).unloaded:
        return {lang.code: lang.proficiency for lang in user.languages}
    return dict(execute(_LANGUAGES, {"user_id": user.id}).all())


def qualification_catalogue() -> dict[str, QualificationInfo]:
    """Every qualification a job may require, with the assessment that grants it (for "take the ..." advice)."""
    catalogue = {}
    for qualification in assessments.qualification_catalogue():
        assessment = assessments.assessment_for_qualification(qualification.key)
        catalogue[qualification.key] = QualificationInfo(qualification.key, qualification.name, qualification.kind,
                                                         assessment.title if assessment else None)
    return catalogue


def qualification_names() -> dict[str, str]:
    """key -> name of every qualification (assessments room), read once per request (pages name each rule)."""
    names = g.get("jobs_qualification_names")
    if names is None:
        names = g.jobs_qualification_names = {q.key: q.name for q in assessments.qualification_catalogue()}
    return names


def held_qualification_keys(user_id: int, now=None) -> frozenset[str]:
    """Keys of the trainer's active, unexpired qualifications (assessments room)."""
    return frozenset(assessments.active_qualification_keys(user_id, now or utcnow()))


# Rules owned by rooms above this one (the quality room's removal of a trainer from a job) plug in here, so
# every place that asks "may this trainer work on this job?" hears them without importing those rooms.
_exclusion_providers: list = []


def register_exclusion_provider(fn) -> None:
    """`fn(user, job, now) -> list[Exclusion]`, registered once at start-up by an upper room's subscribers.py."""
    if fn not in _exclusion_providers:
        _exclusion_providers.append(fn)


def extra_exclusions(user, job: Job, now=None) -> list[Exclusion]:
    """The upper rooms' exclusions of `user` from `job` (see register_exclusion_provider)."""
    if not getattr(user, "is_worker", False):
        return []
    return [e for fn in _exclusion_providers for e in fn(user, job, now or utcnow())]


def eligibility(user, job: Job, now=None) -> list[Exclusion]:
    """Why `user` cannot work on `job` now (empty: they can). The one entry point pages and the API use."""
    now = now or utcnow()
    return exclusions(trainer_facts(user, job, now), job_rules(job), qualification_catalogue()) + \
        extra_exclusions(user, job, now)


def get_job(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFound("There is no such job.")
    return job
