"""Test data builders: small functions that make valid rows with sensible defaults."""
from __future__ import annotations

import itertools
from functools import lru_cache

from marketplace.accounts.models import TrainerExpertise, TrainerLanguage, User
from marketplace.accounts.passwords import hash_password
from marketplace.extensions import db

DEFAULT_PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


@lru_cache(maxsize=1)
def _default_hash() -> str:
    # argon2 is deliberately slow; hash the shared test password once per run.
    return hash_password(DEFAULT_PASSWORD)


def make_user(role: str = "worker", *, email: str | None = None, password: str | None = None,
              display_name: str | None = None, country: str | None = "GB", languages=(("en", "native"),),
              expertise=(), status: str = "active", commit: bool = True, **fields) -> User:
    n = next(_counter)
    user = User(email=email or f"{role}{n}@example.com", role=role,
                password_hash=hash_password(password) if password else _default_hash(),
                display_name=display_name or f"{role.capitalize()} {n}", status=status,
                country=country if role == "worker" else fields.pop("country_override", None), **fields)
    if role == "worker":
        user.languages = [TrainerLanguage(code=c, proficiency=p) for c, p in languages]
        user.expertise = [TrainerExpertise(area=a, detail=[]) for a in expertise]
    db.session.add(user)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return user


def make_trainer(**kw) -> User:
    return make_user("worker", **kw)


def make_requester(**kw) -> User:
    kw.setdefault("organisation", "Test Lab")
    return make_user("requester", **kw)


def make_admin(**kw) -> User:
    return make_user("admin", **kw)


def make_job(requester=None, *, kind: str = "classification", status: str = "draft", config=None,
             tasks: int = 0, commit: bool = True, **fields):
    """A job (draft by default) with a valid configuration for its kind and, optionally, `tasks` tasks."""
    from marketplace.jobs.kinds import KINDS, validate_config
    from marketplace.jobs.models import Job, Task

    requester = requester or make_requester()
    values = {"title": f"{kind.replace('_', ' ').capitalize()} job", "hourly_rate_cents": 2000,
              "budget_cents": 10_000, "est_minutes_per_task": 5}
    values.update(fields)
    job = Job(requester_id=requester.id, kind=kind, status=status,
              config=validate_config(kind, config or KINDS[kind].example_config), **values)
    db.session.add(job)
    db.session.flush()
    if tasks:
        example = KINDS[kind].example_task
        if kind == "bounding_boxes":
            example = {"image": f"images/job-{job.id}/x.png", "width": 640, "height": 480, "original_name": "x.png"}
        db.session.add_all([Task(job_id=job.id, seq=i + 1, payload=dict(example), external_id=f"t{i + 1}")
                            for i in range(tasks)])
        job.task_count = tasks
    if commit:
        db.session.commit()
    return job


def fund_escrow(job, cents: int) -> None:
    """Put `cents` into the job's escrow as publishing does (a card top-up, then funds to escrow); no commit."""
    from marketplace.payments import ledger
    n = next(_counter)
    ledger.post(f"test-topup:{job.requester_id}:{n}", {ledger.STRIPE_CLEARING: -cents,
                                                      ledger.requester_funds(job.requester_id): cents},
                kind="top_up", description="Funds added by card (test)")
    ledger.ensure_account(ledger.job_escrow(job.id), user_id=job.requester_id)
    ledger.post(f"test-escrow:{job.id}:{n}", {ledger.requester_funds(job.requester_id): -cents,
                                              ledger.job_escrow(job.id): cents},
                kind="escrow_fund", description=f"Budget moved into escrow for job #{job.id} (test)")


# Due process (moderation room).
SANCTION_REASON = ("Submitted 40 answers in 90 seconds on the sentiment job, far too fast to have read the posts; "
                   "12 of 14 gold items were wrong.")
SEVERITY_REASON = "Deliberate fraud on paid work: a warning would not protect the requester."


def publish_conduct():
    """The repository's code of conduct as version 1 (idempotent); returns the version in force."""
    from marketplace.moderation import services
    services.load_data_file()
    db.session.commit()
    return services.current_version()


def clause_ids(*numbers: str) -> list[int]:
    from marketplace.moderation import services
    by_number = {c.number: c.id for c in services.current_clauses()}
    return [by_number[n] for n in numbers]


def make_sanction(target, admin, *, level: str = "warning", clauses=("1.1",), ends_at=None, scope: str = "platform",
                  scope_id=None, severe: bool | None = None, reason: str = SANCTION_REASON, now=None,
                  commit: bool = True):
    """Issue a sanction through the service (so every rule applies); suspensions skip the warning as severe."""
    from marketplace.moderation import services
    from marketplace.moderation.rules import EvidenceItem
    publish_conduct()
    if severe is None:
        severe = level != "warning"
    sanction = services.issue_sanction(
        target, admin, level=level, reason=reason, clause_ids=clause_ids(*clauses),
        evidence=[EvidenceItem("/work/tasks/812", "40 answers in 90 seconds"), EvidenceItem(None, "Gold report #77")],
        scope=scope, scope_id=scope_id, ends_at=ends_at, is_severe=severe,
        severity_justification=SEVERITY_REASON if severe else "", now=now)
    if commit:
        db.session.commit()
    return sanction

# --- Assessments -------------------------------------------------------------------------------------------

def assessment_spec(key: str = "test-skill", *, items: int = 6, per_attempt: int = 4, pass_mark: int = 75,
                    time_limit: int = 10, max_attempts: int = 3, cooldown: int = 24, requires_review: bool = False,
                    rationale_items: int = 0, free_text_items: int = 0, validity_days: int | None = 365,
                    kind: str = "task_skill") -> dict:
    """A valid assessment file (format 1): choice items whose gold answer is always option 'a'.

    The first `rationale_items` choice items ask for a rationale; `free_text_items` free-text items follow.
    """
    bank = []
    for n in range(1, items + 1):
        bank.append({"key": f"{key}-{n:03d}", "kind": "single_choice", "prompt": f"> Post number {n}.",
                     "question": f"Question {n}?", "options": [{"key": "a", "text": "Right"}, {"key": "b", "text": "Wrong"},
                                                               {"key": "c", "text": "Also wrong"}],
                     "answer": ["a"], "explanation": f"Explanation {n}: a is right because of reason {n}.",
                     **({"rationale": "required"} if n <= rationale_items else {})})
    for n in range(1, free_text_items + 1):
        bank.append({"key": f"{key}-ft-{n:03d}", "kind": "free_text", "prompt": "```python\nx = 1\n```",
                     "question": f"Review this code ({n}).", "explanation": f"A strong review {n} says x is fine."})
    return {"format": 1,
            "qualification": {"key": key, "name": f"Skill {key}", "kind": kind, "description": "A test skill.",
                              "validity_days": validity_days},
            "assessment": {"key": f"{key}-v1", "title": f"Test of {key}", "description": "**Read** this.",
                           "items_per_attempt": per_attempt, "pass_mark_percent": pass_mark,
                           "time_limit_minutes": time_limit, "max_attempts": max_attempts, "cooldown_hours": cooldown,
                           "requires_review": requires_review},
            "items": bank}


def make_assessment(key: str = "test-skill", **kw):
    """Import an assessment built by assessment_spec and return it (committed)."""
    from marketplace.assessments import bank, importing, services
    spec = kw.pop("spec", None) or assessment_spec(key, **kw)
    bank.import_parsed(importing.validate(spec))
    db.session.commit()
    return services.assessment_by_key(spec["assessment"]["key"])


def answer_attempt(attempt, *, right: set[int] | None = None, rationale: str = "Because the target is a group.",
                   now=None) -> None:
    """Answer every item of an attempt: items in `right` (positions; all by default) with the gold option."""
    from marketplace.assessments import services
    answers = {}
    for item in attempt.items:
        if item.kind == "free_text":
            answers[item.position] = services.Answer(rationale=rationale)
            continue
        good = right is None or item.position in right
        answers[item.position] = services.Answer(selected=["a"] if good else ["b"],
                                                 rationale=rationale if item.rationale_required else None)
    user = db.session.get(User, attempt.user_id)
    services.save_answers(attempt, user, answers, now=now)


# --- Work engine ---------------------------------------------------------------------------------------------

def make_open_job(requester=None, *, tasks: int = 10, overlap: int = 1, kind: str = "classification",
                  config=None, status: str = "published", commit: bool = True, escrow: int | None = None,
                  **fields):
    """A published job (work engine tests) with `tasks` tasks ("Post number N" for classification) and
    `overlap` answers wanted per task; its budget is in escrow (or `escrow` cents; 0 for none)."""
    from marketplace.core.time import utcnow
    from marketplace.jobs.kinds import KINDS, validate_config
    from marketplace.jobs.models import Job, Task

    requester = requester or make_requester()
    values = {"title": "Judge hate speech in posts", "hourly_rate_cents": 2000, "budget_cents": 100_000,
              "est_minutes_per_task": 2, "reservation_minutes": 30, "published_at": utcnow()}
    values.update(fields)
    job = Job(requester_id=requester.id, kind=kind, status=status, answers_per_task=overlap,
              config=validate_config(kind, config or KINDS[kind].example_config), **values)
    db.session.add(job)
    db.session.flush()
    payload = KINDS[kind].example_task
    db.session.add_all([Task(job_id=job.id, seq=i + 1, payload={**payload, **({"text": f"Post number {i + 1}"}
                                                                           if kind == "classification" else {})})
                        for i in range(tasks)])
    job.task_count = tasks
    if escrow is None:
        escrow = job.budget_cents if status in ("published", "paused") else 0
    if escrow:
        fund_escrow(job, escrow)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return job


def make_kind_job(kind: str, payloads: list[dict], *, config=None, **fields):
    """A published job of `kind` whose tasks carry the given payloads (work interface tests)."""
    from marketplace.jobs.models import Task

    job = make_open_job(tasks=0, kind=kind, config=config, commit=False, **fields)
    db.session.add_all([Task(job_id=job.id, seq=i + 1, payload=p, external_id=f"k{i + 1}") for i, p in enumerate(payloads)])
    job.task_count = len(payloads)
    db.session.commit()
    return job

# --- Quality room --------------------------------------------------------------------------------------------

def answer_task(task, trainer, answer, *, now=None):
    """A trainer answers one given task: a reservation as the claim would make it, then the real submit
    (so the rooms above react to "assignment.submitted" as in production)."""
    from datetime import timedelta

    from marketplace.assignment import services as work
    from marketplace.assignment.models import Assignment
    from marketplace.core.time import utcnow
    from marketplace.jobs.models import Task

    now = now or utcnow()
    assignment = Assignment(job_id=task.job_id, task_id=task.id, worker_id=trainer.id, status="reserved",
                            reserved_at=now, expires_at=now + timedelta(minutes=30), review_reason="", return_note="")
    db.session.add(assignment)
    db.session.execute(Task.__table__.update().where(Task.id == task.id).values(holders=Task.holders + 1))
    db.session.flush()
    work.submit(assignment.id, trainer, answer, now=now)
    db.session.commit()
    return assignment


def job_tasks(job):
    """The job's tasks in order."""
    import sqlalchemy as sa

    from marketplace.jobs.models import Task
    return list(db.session.scalars(sa.select(Task).where(Task.job_id == job.id).order_by(Task.seq)))


def give_funds(requester, cents: int, key: str | None = None) -> None:
    """Credit a requester's available funds as a succeeded card top-up would (ledger only)."""
    from marketplace.payments import ledger
    ledger.post(key or f"test-topup:{requester.id}:{next(_counter)}",
                {ledger.STRIPE_CLEARING: -cents, ledger.requester_funds(requester.id): cents},
                kind="top_up", description="Funds added by card (test)")
    db.session.commit()


def make_payout_ready_trainer(gateway=None, complete_onboarding=None, **kw) -> User:
    """A trainer whose Stripe payout account is connected and ready (the app's gateway by default;
    `complete_onboarding(account_id)` finishes Stripe's form where the gateway cannot do it itself)."""
    from marketplace.payments import payout_accounts
    from marketplace.payments.provider import gateway as app_gateway
    trainer = make_trainer(**kw)
    gw = gateway or app_gateway()
    account = payout_accounts.connect(trainer, gw)
    if not account.is_ready:
        complete = complete_onboarding or getattr(gw, "complete_onboarding", None)
        if complete:
            complete(account.stripe_account_id)
        payout_accounts.refresh(account, gw)
    db.session.commit()
    return trainer
