"""Trainer pages: the list of assessments and my qualifications, taking an attempt, reading the result."""
from __future__ import annotations

import re

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ..core.errors import DomainError
from ..core.money import pay_for_seconds
from ..core.permissions import Role, good_standing_required, role_required
from ..core.time import utcnow
from ..extensions import db
from . import attempts, presenters, reviews, services
from .forms import ActionForm, ContestForm
from .grading import ANSWER_MAX_CHARS, GRACE_SECONDS
from .models import ItemContest
from .web import bp

FIELD = re.compile(r"^(item|rationale)-(\d{1,6})$")


def answers_from_form(attempt, form) -> dict[int, attempts.Answer]:
    """Read answers posted by the attempt page: `item-N` (options chosen) and `rationale-N` (text).

    The page posts every item (`full=1`), so an item with no option ticked is cleared; fields naming an
    item that is not in the attempt are passed on for the service to refuse.
    """
    positions = {int(m.group(2)) for name in form if (m := FIELD.match(name))}
    full = form.get("full") == "1"
    kinds = {item.position: item.kind for item in attempt.items}
    if full:
        positions |= set(kinds)
    answers = {}
    for position in sorted(positions):
        selected = form.getlist(f"item-{position}")
        if kinds.get(position) == "free_text" and not selected:
            selected = None
        elif not selected and not full:
            selected = None
        rationale = form.get(f"rationale-{position}")
        answers[position] = attempts.Answer(selected=selected, rationale=rationale)
    return answers


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _load(attempt_id: int):
    try:
        return attempts.attempt_for(attempt_id, current_user)
    except DomainError:
        abort(404)


@bp.route("/assessments")
@role_required(Role.WORKER)
def index():
    """My qualifications with their state and why; every assessment with where I stand; my attempts."""
    now = utcnow()
    return render_template("assessments/index.html", qualifications=services.my_qualifications(current_user.id, now),
                           cards=services.assessments_overview(current_user.id, now),
                           history=services.attempts_of(current_user.id), form=ActionForm(),
                           rate=current_app.config["ONBOARDING_RATE_CENTS_PER_HOUR"], pay_for_seconds=pay_for_seconds)


@bp.route("/assessments/<key>")
@role_required(Role.WORKER)
def detail(key: str):
    assessment = services.assessment_by_key(key)
    if assessment is None:
        abort(404)
    history = [a for a in services.attempts_of(current_user.id) if a.qualification_id == assessment.qualification_id]
    rate = current_app.config["ONBOARDING_RATE_CENTS_PER_HOUR"]
    return render_template("assessments/detail.html", assessment=assessment, history=history, form=ActionForm(),
                           standing=attempts.standing_for(current_user.id, assessment), rate=rate,
                           max_pay=pay_for_seconds(rate, assessment.time_limit_minutes * 60))


@bp.route("/assessments/<key>/start", methods=["POST"])
@role_required(Role.WORKER)
@good_standing_required
def start(key: str):
    assessment = services.assessment_by_key(key)
    if assessment is None:
        abort(404)
    ActionForm().validate_on_submit()  # CSRF is checked globally; the form carries nothing else
    try:
        attempt, created = attempts.start_attempt(assessment, current_user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("assessments.detail", key=key))
    if not created:
        flash("You already have this attempt in progress: here it is.", "info")
    return redirect(url_for("assessments.take", attempt_id=attempt.id))


@bp.route("/assessments/attempts/<int:attempt_id>")
@role_required(Role.WORKER, Role.ADMIN)
def take(attempt_id: int):
    attempt = _load(attempt_id)
    if attempt.status != "in_progress" or attempt.user_id != current_user.id:
        return redirect(url_for("assessments.result", attempt_id=attempt.id))
    now = utcnow()
    return render_template("assessments/take.html", attempt=attempt, assessment=attempt.assessment,
                           items=[presenters.public_item(i) for i in attempt.items], now=now, form=ActionForm(),
                           grace=GRACE_SECONDS, max_chars=ANSWER_MAX_CHARS,
                           time_up=now > attempt.deadline_at)


@bp.route("/assessments/attempts/<int:attempt_id>/save", methods=["POST"])
@role_required(Role.WORKER)
def save(attempt_id: int):
    """Save answers (autosave posts here with Accept: application/json; without JavaScript, the Save button)."""
    attempt = _load(attempt_id)
    try:
        changed = attempts.save_answers(attempt, current_user, answers_from_form(attempt, request.form))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if _wants_json():
            body = {"error": {"code": exc.code, "message": exc.message}}
            if getattr(exc, "errors", None):
                body["error"]["details"] = exc.errors
            return jsonify(body), exc.status
        flash(exc.message, "error")
        return redirect(url_for("assessments.take", attempt_id=attempt_id))
    if _wants_json():
        answered = sum(1 for i in attempt.items if presenters.public_item(i)["answered"])
        return jsonify({"saved_at": utcnow().isoformat(), "changed": changed, "answered": answered})
    flash("Your answers are saved.", "success")
    return redirect(url_for("assessments.take", attempt_id=attempt_id))


@bp.route("/assessments/attempts/<int:attempt_id>/submit", methods=["POST"])
@role_required(Role.WORKER)
def submit(attempt_id: int):
    attempt = _load(attempt_id)
    try:
        attempts.submit_attempt(attempt, current_user, answers=answers_from_form(attempt, request.form))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        target = "assessments.result" if exc.code == "already_submitted" else "assessments.take"
        return redirect(url_for(target, attempt_id=attempt_id))
    flash("Your attempt is submitted.", "success")
    return redirect(url_for("assessments.result", attempt_id=attempt_id))


@bp.route("/assessments/attempts/<int:attempt_id>/result")
@role_required(Role.WORKER, Role.ADMIN)
def result(attempt_id: int):
    attempt = _load(attempt_id)
    if attempt.status == "in_progress":
        if attempt.user_id == current_user.id:
            return redirect(url_for("assessments.take", attempt_id=attempt.id))
        return render_template("assessments/in_progress_admin.html", attempt=attempt)
    contests = {c.attempt_item_id: c for c in db.session.scalars(
        db.select(ItemContest).where(ItemContest.attempt_item_id.in_([i.id for i in attempt.items])))}
    data = presenters.attempt_result(attempt)
    rate = current_app.config["ONBOARDING_RATE_CENTS_PER_HOUR"]
    return render_template("assessments/result.html", attempt=attempt, assessment=attempt.assessment, data=data,
                           items_by_position={i.position: i for i in attempt.items}, contests=contests,
                           standing=attempts.standing_for(attempt.user_id, attempt.assessment),
                           contest_form=ContestForm(), rate=rate,
                           pay_cents=pay_for_seconds(rate, attempt.paid_seconds or 0))


@bp.route("/assessments/attempts/<int:attempt_id>/items/<int:position>/contest", methods=["POST"])
@role_required(Role.WORKER)
def contest(attempt_id: int, position: int):
    attempt = _load(attempt_id)
    form = ContestForm()
    if not form.validate_on_submit():
        message = next(iter(form.comment.errors), "Write why you think the item was marked wrongly.")
        flash(f"Item {position}: {message} (20 to 2,000 characters).", "error")
        return redirect(url_for("assessments.result", attempt_id=attempt_id) + f"#item-{position}")
    try:
        reviews.contest_item(attempt, current_user, position, form.comment.data)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(f"Your comment on item {position} is recorded. An admin will answer in writing.", "success")
    return redirect(url_for("assessments.result", attempt_id=attempt_id) + f"#item-{position}")
