"""Pay pages: the heartbeat endpoint, timesheets (trainer, requester, admin views) and the dispute steps."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..core.errors import DomainError
from ..core.permissions import Role, require, role_required
from ..core.time import for_reader
from ..core.web import apply_domain_error
from ..extensions import db
from . import calculations, clock, disputes, earnings, policies, services, timesheets
from .forms import AnswerForm, DecideForm, DisputeForm, EmptyForm, WithdrawForm
from .models import SessionDispute, Timesheet

bp = Blueprint("pay", __name__, url_prefix="/pay")

# What the page reports: a plain beat while the trainer is active, or a final one (always written) when they
# leave the tab, close it or go idle; "stop" ends the session now (submit and stop). A submission is sent at
# once but coalesced like a beat: the next task's page beats straight after it, and the answer row itself
# records the moment (bench/heartbeats_model.py: making submits write costs 0.09 writes per heartbeat).
EVENTS = {"beat", "start", "submit", "blur", "hidden", "close", "idle", "stop"}
FINAL_EVENTS = {"blur", "hidden", "close", "idle"}


def _json_error(status: int, code: str, message: str, **extra):
    return jsonify({"error": {"code": code, "message": message, **extra}}), status


@bp.route("/heartbeat", methods=["POST"])
def heartbeat():
    """A beat from the work page (fetch, or sendBeacon with the CSRF token in the form body)."""
    if not current_user.is_authenticated:
        return _json_error(401, "unauthorized", "You are logged out, so your time is not being recorded. Log in "
                                                "again to continue.")
    if not current_user.is_worker:
        return _json_error(403, "forbidden", "Only trainers record working time.")
    data = request.get_json(silent=True) if request.is_json else request.form
    data = data or {}
    try:
        job_id = int(data.get("job_id", ""))
    except (TypeError, ValueError):
        return _json_error(422, "validation_failed", "job_id must be a job's number.", field="job_id")
    event = str(data.get("event") or "beat")
    if event not in EVENTS:
        return _json_error(422, "validation_failed", f"event must be one of: {', '.join(sorted(EVENTS))}.",
                           field="event")
    try:
        outcome = services.heartbeat(current_user, job_id, kind=str(data.get("kind") or "job"),
                                     final=event in FINAL_EVENTS, stop=event == "stop")
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _json_error(exc.status, exc.code, exc.message)
    body = {"session_id": outcome.session_id, "wrote": outcome.wrote, "opened": outcome.opened,
            "clock": clock.clock(current_user.id, job_id, services.server_now(),
                                 tz=current_user.timezone or "UTC").as_json()}
    if outcome.refused:
        return _json_error(409, outcome.refused, outcome.message, clock=body["clock"])
    return jsonify(body)


# --- timesheets ----------------------------------------------------------------------------------------------

@bp.route("/timesheets", endpoint="timesheets")  # the nav's reserved `pay.timesheets`
@login_required
def timesheets_index():
    now = services.server_now()
    if current_user.is_worker:
        rows = [timesheets.sheet(t) for t in timesheets.for_trainer(current_user.id, limit=60)]
        return render_template("pay/timesheets_trainer.html", rows=rows, calc=calculations,
                               summary=earnings.trainer_earnings(current_user, now),
                               waiting=_waiting_for_trainer(current_user.id),
                               assessments=earnings.assessment_sessions(current_user.id),
                               onboarding_rate=current_app.config["ONBOARDING_RATE_CENTS_PER_HOUR"])
    if current_user.is_requester:
        rows = [timesheets.sheet(t) for t in timesheets.for_requester(current_user.id, limit=100)]
        return render_template("pay/timesheets_requester.html", rows=rows, calc=calculations,
                               to_review=[r for r in rows if r.timesheet.status == "submitted"])
    return render_template("pay/timesheets_admin.html", disputes=timesheets.unresolved_disputes_for_admin(),
                           calc=calculations)


def _waiting_for_trainer(trainer_id: int) -> list[SessionDispute]:
    return [d for s in timesheets.for_trainer(trainer_id) for d in disputes.for_timesheet(s.id) if d.status == "open"]


def _load(timesheet_id: int) -> Timesheet:
    sheet = db.session.get(Timesheet, timesheet_id)
    require(sheet is not None and policies.can_view_timesheet(current_user, sheet), 404)
    return sheet


def _detail(sheet: Timesheet, *, status: int = 200, dispute_forms=None, answer_forms=None, decide_forms=None):
    current = timesheets.sheet(sheet)
    viewer_tz = current_user.timezone
    dispute_forms = dispute_forms or {}
    answer_forms = answer_forms or {}
    decide_forms = decide_forms or {}
    for line in current.lines:
        dispute_forms.setdefault(line.session.id, DisputeForm(prefix=f"d{line.session.id}"))
        if line.dispute is not None:
            answer_forms.setdefault(line.dispute.id, AnswerForm(prefix=f"a{line.dispute.id}"))
            decide_forms.setdefault(line.dispute.id, DecideForm(prefix=f"x{line.dispute.id}"))
    can_review = policies.can_review_timesheet(current_user, sheet)
    in_window = sheet.status == "submitted" and (sheet.review_due_at is None
                                                 or services.server_now() < sheet.review_due_at)
    return render_template("pay/timesheet.html", sheet=sheet, current=current, calc=calculations, tz=viewer_tz,
                           week_label=calculations.week_label(sheet.week_start, viewer_tz),
                           week_end_label=for_reader(sheet.week_start + calculations.WEEK, viewer_tz,
                                                     "%a %-d %b, %H:%M"),
                           can_review=can_review and in_window, is_trainer=current_user.id == sheet.trainer_id,
                           is_admin=current_user.is_admin, dispute_forms=dispute_forms, answer_forms=answer_forms,
                           decide_forms=decide_forms, approve_form=EmptyForm(),
                           withdraw_form=WithdrawForm(prefix="w")), status


@bp.route("/timesheets/<int:timesheet_id>")
@login_required
def timesheet(timesheet_id: int):
    return _detail(_load(timesheet_id))


@bp.route("/timesheets/<int:timesheet_id>/approve", methods=["POST"])
@role_required(Role.REQUESTER)
def approve(timesheet_id: int):
    sheet = _load(timesheet_id)
    require(policies.can_review_timesheet(current_user, sheet))
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        timesheets.approve(sheet, current_user, services.server_now())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("pay.timesheet", timesheet_id=timesheet_id))
    flash("Timesheet approved: the time not under dispute is paid from the job's escrow.", "success")
    return redirect(url_for("pay.timesheet", timesheet_id=timesheet_id))


@bp.route("/timesheets/<int:timesheet_id>/sessions/<int:session_id>/dispute", methods=["POST"])
@role_required(Role.REQUESTER)
def dispute_session(timesheet_id: int, session_id: int):
    sheet = _load(timesheet_id)
    require(policies.can_review_timesheet(current_user, sheet))
    form = DisputeForm(prefix=f"d{session_id}")
    if form.validate_on_submit():
        try:
            disputes.open_dispute(sheet, session_id, current_user, form.reason.data,
                                  form.proposed_minutes.data * 60, services.server_now())
            db.session.commit()
            flash("Dispute sent. The trainer reads your reason and answers; the session waits until it is "
                  "resolved.", "success")
            return redirect(url_for("pay.timesheet", timesheet_id=timesheet_id))
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc, {"proposed_seconds": "proposed_minutes"})
    return _detail(_load(timesheet_id), status=422, dispute_forms={session_id: form})


def _load_dispute(dispute_id: int) -> SessionDispute:
    dispute = db.session.get(SessionDispute, dispute_id)
    require(dispute is not None and policies.can_view_timesheet(current_user, dispute.timesheet), 404)
    return dispute


@bp.route("/disputes/<int:dispute_id>/answer", methods=["POST"])
@role_required(Role.WORKER)
def answer_dispute(dispute_id: int):
    dispute = _load_dispute(dispute_id)
    require(policies.can_answer_dispute(current_user, dispute))
    form = AnswerForm(prefix=f"a{dispute_id}")
    if form.validate_on_submit():
        try:
            disputes.answer(dispute, current_user, accept=form.decision.data == "accept", text=form.answer.data,
                            now=services.server_now())
            db.session.commit()
            flash("Your answer was sent." + (" An admin will decide." if form.decision.data == "contest" else ""),
                  "success")
            return redirect(url_for("pay.timesheet", timesheet_id=dispute.timesheet_id))
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc, {"text": "answer"})
    sheet = _load(dispute.timesheet_id)
    return _detail(sheet, status=422, answer_forms={dispute_id: form})


@bp.route("/disputes/<int:dispute_id>/withdraw", methods=["POST"])
@role_required(Role.REQUESTER)
def withdraw_dispute(dispute_id: int):
    dispute = _load_dispute(dispute_id)
    form = WithdrawForm(prefix="w")
    if not form.validate_on_submit():
        abort(400)
    try:
        disputes.withdraw(dispute, current_user, form.reason.data, services.server_now())
        db.session.commit()
        flash("Dispute withdrawn: the session is paid as recorded.", "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("pay.timesheet", timesheet_id=dispute.timesheet_id))


@bp.route("/disputes/<int:dispute_id>/decide", methods=["POST"])
@role_required(Role.ADMIN)
def decide_dispute(dispute_id: int):
    dispute = _load_dispute(dispute_id)
    form = DecideForm(prefix=f"x{dispute_id}")
    if form.validate_on_submit():
        uphold = form.outcome.data == "uphold"
        try:
            disputes.decide(dispute, current_user, uphold=uphold, reason=form.reason.data,
                            seconds=form.minutes.data * 60 if uphold and form.minutes.data is not None else None,
                            now=services.server_now())
            db.session.commit()
            flash("Decision recorded; both sides have been told.", "success")
            return redirect(url_for("pay.timesheets"))
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc, {"seconds": "minutes"})
    return _detail(_load(dispute.timesheet_id), status=422, decide_forms={dispute_id: form})


@bp.app_template_global("pay_config")
def pay_config() -> dict:
    """Settings the work page's heartbeat script needs (data attributes of the clock partial)."""
    config = current_app.config
    return {"interval": config["HEARTBEAT_INTERVAL_SECONDS"], "active": config["HEARTBEAT_ACTIVE_SECONDS"]}


@bp.app_template_filter("local_time")
def local_time(value, fmt: str = "%a %-d %b, %H:%M") -> str:
    """An instant in the viewer's time zone (their profile), short: "Mon 6 Mar, 09:00"."""
    if value is None:
        return "—"
    zone = calculations.zone(current_user.timezone if current_user.is_authenticated else "UTC")
    return value.astimezone(zone).strftime(fmt)


@bp.app_template_filter("duration")
def duration(seconds: int | None) -> str:
    """"1 h 05 min", "12 min", "45 s"."""
    seconds = int(seconds or 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


@bp.app_template_global("pay_clock")
def pay_clock(job_id: int | None = None) -> dict:
    """The clock the work page shows before its first heartbeat answers (the same server numbers)."""
    if not current_user.is_authenticated:
        return clock.Clock(0, 0, 0).as_json()
    return clock.clock(current_user.id, job_id, services.server_now(), tz=current_user.timezone or "UTC").as_json()
