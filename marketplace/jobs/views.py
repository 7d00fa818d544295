"""Requester pages: my jobs, the creation wizard (kind -> basics -> eligibility -> pay -> preview), the job
page, and its state changes (publish, pause, resume, close, add funds: the money moves in payments, through
the events these services emit)."""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..core.errors import DomainError
from ..core.markdown import render_instructions as render_markdown
from ..core.permissions import Role, good_standing_required, require, role_required
from ..core.web import apply_domain_error
from ..extensions import db
from . import budget, policies, services, states
from .forms import KIND_FIELDS, AddFundsForm, BasicsForm, EligibilityForm, PayForm
from .kinds import KINDS
from .models import ImportRun, Job, Task

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

STEPS = [("basics", "What the work is"), ("eligibility", "Who may do it"), ("pay", "Pay and review"),
         ("preview", "Preview")]


def _status() -> int:
    return 422 if request.method == "POST" else 200


def load_own_job(job_id: int) -> Job:
    """The current requester's job, or 404 (another requester's job does not exist for them)."""
    job = db.session.get(Job, job_id)
    require(job is not None and policies.can_view_job(current_user, job), 404)
    return job


def money_ready() -> bool:
    return services.money_is_wired()


@bp.route("/")
@role_required(Role.REQUESTER)
def my_jobs():
    jobs = list(db.session.scalars(sa.select(Job).where(Job.requester_id == current_user.id)
                                   .order_by(Job.created_at.desc(), Job.id.desc())))
    return render_template("jobs/my_jobs.html", jobs=jobs, kinds=KINDS)


@bp.route("/new")
@role_required(Role.REQUESTER)
@good_standing_required
def new_job():
    return render_template("jobs/choose_kind.html", kinds=KINDS, steps=STEPS, step="basics")


@bp.route("/new/<kind>", methods=["GET", "POST"])
@role_required(Role.REQUESTER)
@good_standing_required
def new_job_basics(kind):
    require(kind in KINDS, 404)
    form = BasicsForm()
    if request.method == "GET":
        form.load_config(KINDS[kind].example_config)
    if form.validate_on_submit():
        try:
            job = services.create_job(current_user, {
                "title": form.title.data.strip(), "summary": (form.summary.data or "").strip(),
                "instructions": form.instructions.data or "", "kind": kind, "config": form.config_for(kind),
                "hourly_rate_cents": current_app.config["MIN_HOURLY_RATE_CENTS"]})
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc, aliases=_config_aliases())
        else:
            flash("Draft saved. Next: who may do this work.", "success")
            return redirect(url_for("jobs.edit_eligibility", job_id=job.id))
    return render_template("jobs/wizard_basics.html", form=form, kind=KINDS[kind], fields=KIND_FIELDS[kind],
                           job=None, steps=STEPS, step="basics"), _status()


def _config_aliases() -> dict[str, str]:
    names = {name for fields in KIND_FIELDS.values() for name in fields}
    return {f"config.{name}": name for name in names} | {"config": "labels"}


@bp.route("/<int:job_id>/edit/basics", methods=["GET", "POST"])
@role_required(Role.REQUESTER)
def edit_basics(job_id):
    job = load_own_job(job_id)
    require(policies.can_edit_job(current_user, job), 404)
    form = BasicsForm()
    if request.method == "GET":
        form.title.data, form.summary.data, form.instructions.data = job.title, job.summary, job.instructions
        form.load_config(job.config)
    if form.validate_on_submit():
        data = {"title": form.title.data.strip(), "summary": (form.summary.data or "").strip(),
                "instructions": form.instructions.data or ""}
        if job.is_draft:
            data["config"] = form.config_for(job.kind)
        if _save(job, form, data, aliases=_config_aliases()):
            return _next_step(job, "basics")
    return render_template("jobs/wizard_basics.html", form=form, kind=KINDS[job.kind], fields=KIND_FIELDS[job.kind],
                           job=job, steps=STEPS, step="basics"), _status()


def _save(job: Job, form, data: dict, aliases=None) -> bool:
    try:
        services.update_job(job, current_user, data)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc, aliases=aliases)
        return False
    return True


def _next_step(job: Job, done: str):
    if not job.is_draft:
        flash("Changes saved.", "success")
        return redirect(url_for("jobs.view_job", job_id=job.id))
    following = {"basics": "jobs.edit_eligibility", "eligibility": "jobs.edit_pay", "pay": "jobs.preview"}[done]
    return redirect(url_for(following, job_id=job.id))


@bp.route("/<int:job_id>/edit/eligibility", methods=["GET", "POST"])
@role_required(Role.REQUESTER)
def edit_eligibility(job_id):
    job = load_own_job(job_id)
    require(policies.can_edit_job(current_user, job), 404)
    catalogue = services.qualification_catalogue()
    form = EligibilityForm(qualification_choices=[(k, q.name + (f" (assessment: {q.assessment_title})"
                                                                if q.assessment_title else ""))
                                                  for k, q in catalogue.items()])
    if request.method == "GET":
        for row, entry in zip(form.languages, job.required_languages):
            row.code.data, row.min_proficiency.data = entry["code"], entry["min_proficiency"]
        form.expertise.data = list(job.required_expertise)
        form.qualifications.data = list(job.required_qualifications)
        form.countries.data = list(job.allowed_countries)
        form.country_reason.data, form.content_warning.data = job.country_reason, job.content_warning
    if form.validate_on_submit() and _save(job, form, form.values(), aliases={
            "required_languages": "languages", "required_expertise": "expertise",
            "required_qualifications": "qualifications", "allowed_countries": "countries"}):
        return _next_step(job, "eligibility")
    return render_template("jobs/wizard_eligibility.html", form=form, job=job, steps=STEPS,
                           step="eligibility"), _status()


@bp.route("/<int:job_id>/edit/pay", methods=["GET", "POST"])
@role_required(Role.REQUESTER)
def edit_pay(job_id):
    job = load_own_job(job_id)
    require(policies.can_edit_job(current_user, job), 404)
    form = PayForm()
    if request.method == "GET":
        form.load(job)
    if form.validate_on_submit() and _save(job, form, form.values(include_budget=job.is_draft), aliases={
            "hourly_rate_cents": "hourly_rate", "budget_cents": "budget", "weekly_limit_minutes": "weekly_limit_hours"}):
        return _next_step(job, "pay")
    fee = current_app.config["PLATFORM_FEE_BASIS_POINTS"]
    return render_template("jobs/wizard_pay.html", form=form, job=job, steps=STEPS, step="pay", fee_basis_points=fee,
                           min_rate=current_app.config["MIN_HOURLY_RATE_CENTS"], **_pay_context(job)), _status()


@bp.route("/<int:job_id>/preview")
@role_required(Role.REQUESTER, Role.ADMIN)
def preview(job_id):
    """The job as a trainer will see it, with its first task (or an example task before any upload)."""
    job = load_own_job(job_id)
    task = db.session.scalar(sa.select(Task).where(Task.job_id == job.id).order_by(Task.seq).limit(1))
    payload = task.payload if task else KINDS[job.kind].example_task
    return render_template("jobs/preview.html", job=job, payload=payload, task=task, steps=STEPS, step="preview",
                           instructions=render_markdown(job.instructions), exclusions=None, **_pay_context(job))


def _pay_context(job: Job) -> dict:
    fee = current_app.config["PLATFORM_FEE_BASIS_POINTS"]
    return {"per_hour_cents": budget.cost_per_hour_cents(job.hourly_rate_cents, fee),
            "net_per_hour_cents": job.hourly_rate_cents,  # the trainer keeps the full rate: the fee is on top
            "per_task_cents": budget.earnings_per_task_cents(job.hourly_rate_cents, job.est_minutes_per_task),
            "hours_budget": budget.hours(job.budget_cents, budget.cost_per_hour_cents(job.hourly_rate_cents, fee)),
            "fee_percent": f"{fee / 100:g}"}


@bp.route("/<int:job_id>")
@role_required(Role.REQUESTER, Role.ADMIN)
def view_job(job_id):
    job = load_own_job(job_id)
    runs = list(db.session.scalars(sa.select(ImportRun).where(ImportRun.job_id == job.id)
                                   .order_by(ImportRun.id.desc()).limit(5)))
    problems = []
    if job.is_draft:
        try:
            services.check_publishable(job)
        except DomainError as exc:
            problems.append(exc.message)
    return render_template("jobs/job.html", job=job, runs=runs, problems=problems, money_ready=money_ready(),
                           funds_form=AddFundsForm(formdata=None, idempotency_key=uuid.uuid4().hex),
                           actions=states.allowed_actions(job.status), can_edit=policies.can_edit_job(current_user, job),
                           instructions=render_markdown(job.instructions), **_pay_context(job))


def _begin_write() -> None:
    """On SQLite, take the write lock before reading what a money change will change, so two writers queue
    instead of one failing (the same as payments.provider.begin_write, whose engine hook reads this option)."""
    session = db.session()
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"fairtrain_write_lock": True})


def _change(job_id: int, change, success: str):
    """Load the requester's own job, apply one state change, commit, and say what happened."""
    _begin_write()
    job = load_own_job(job_id)
    require(policies.can_edit_job(current_user, job), 404)
    try:
        change(job)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(success, "success")
    return redirect(url_for("jobs.view_job", job_id=job.id))


@bp.route("/<int:job_id>/publish", methods=["POST"])
@role_required(Role.REQUESTER)
@good_standing_required
def publish(job_id):
    return _change(job_id, lambda job: services.publish_job(job, current_user),
                   "Published: the budget is in escrow and trainers can start.")


@bp.route("/<int:job_id>/pause", methods=["POST"])
@role_required(Role.REQUESTER)
def pause(job_id):
    return _change(job_id, lambda job: services.pause_job(job, current_user),
                   "Job paused: no new tasks are handed out. Trainers holding a task may finish it and are paid.")


@bp.route("/<int:job_id>/resume", methods=["POST"])
@role_required(Role.REQUESTER)
@good_standing_required
def resume(job_id):
    return _change(job_id, lambda job: services.resume_job(job, current_user), "Job resumed.")


@bp.route("/<int:job_id>/close", methods=["POST"])
@role_required(Role.REQUESTER)
def close(job_id):
    return _change(job_id, lambda job: services.close_job(job, current_user),
                   "Job closed. Unused escrow goes back to your funds.")


@bp.route("/<int:job_id>/add-funds", methods=["POST"])
@role_required(Role.REQUESTER)
@good_standing_required
def add_funds(job_id):
    """Raise a live job's budget from the requester's funds (the form's one-time key makes a resubmit harmless)."""
    form = AddFundsForm()
    if not form.validate_on_submit():
        flash(next(iter(form.errors.values()))[0] if form.errors else "Enter an amount.", "error")
        return redirect(url_for("jobs.view_job", job_id=job_id))
    amount = int((form.amount.data * 100).to_integral_value())

    def change(job):
        if services.add_budget(job, current_user, amount, f"form:{form.idempotency_key.data}"):
            flash("The job had paused for budget; it is running again.", "info")
    return _change(job_id, change, f"Added ${amount / 100:,.2f} to the job's budget.")


@bp.route("/<int:job_id>/about")
@role_required(Role.WORKER, Role.REQUESTER, Role.ADMIN)
def about(job_id):
    """The trainer's view of a job: pay, instructions, and every rule that keeps them from it."""
    job = db.session.get(Job, job_id)
    require(job is not None and policies.can_view_as_trainer(current_user, job), 404)
    exclusions = services.eligibility(current_user, job) if current_user.is_worker else None
    return render_template("jobs/about.html", job=job, exclusions=exclusions,
                           instructions=render_markdown(job.instructions), **_pay_context(job))


@bp.route("/<int:job_id>/accept-warning", methods=["POST"])
@role_required(Role.WORKER)
@good_standing_required
def accept_warning(job_id):
    job = db.session.get(Job, job_id)
    require(job is not None and policies.can_view_as_trainer(current_user, job), 404)
    try:
        services.accept_content_warning(job, current_user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash("Thank you. You can stop at any time; looking after yourself comes first.", "success")
    return redirect(url_for("jobs.about", job_id=job.id))


@bp.app_template_filter("kind_label")
def kind_label(kind: str) -> str:
    spec = KINDS.get(kind)
    return spec.label if spec else kind


@bp.app_template_global("job_status_pill")
def job_status_pill(job) -> str:
    return {"draft": "pill", "published": "pill pill-ok", "paused": "pill pill-warn", "closed": "pill pill-bad"}.get(
        job.status, "pill")


@bp.app_template_global("qualification_name")
def qualification_name(key: str) -> str:
    """A required qualification as people read it ("Hate-speech judgement (English)"), not its key; the
    catalogue is read once per request."""
    return services.qualification_names().get(key, key)
