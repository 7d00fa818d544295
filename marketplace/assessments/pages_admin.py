"""Admin pages: the review queue, reviewing an attempt, answering contests, importing, granting and revoking."""
from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.models import User
from ..core.errors import DomainError, ValidationFailed
from ..core.permissions import Role, role_required
from ..core.time import utcnow
from ..core.web import apply_domain_error
from ..extensions import db
from . import bank, holdings, presenters, reviews, services
from .forms import ContestAnswerForm, GrantForm, ImportForm, ReviewDecisionForm, RevokeForm
from .models import Assessment, AssessmentItem, Attempt, AttemptItem, ItemContest, TrainerQualification
from .web import bp

MARK = re.compile(r"^mark-(\d{1,6})$")


def _status() -> int:
    return 422 if request.method == "POST" else 200


@bp.route("/admin/assessments/")
@role_required(Role.ADMIN)
def admin_catalogue():
    """Every assessment with its bank and activity; every qualification with its holders."""
    counts = dict(db.session.execute(sa.select(AssessmentItem.assessment_id, sa.func.count(AssessmentItem.id))
                                     .where(AssessmentItem.is_active.is_(True))
                                     .group_by(AssessmentItem.assessment_id)).all())
    attempts = dict(db.session.execute(sa.select(Attempt.assessment_id, sa.func.count(Attempt.id))
                                       .group_by(Attempt.assessment_id)).all())
    holders = dict(db.session.execute(
        sa.select(TrainerQualification.qualification_id, sa.func.count(TrainerQualification.id))
        .where(TrainerQualification.status == "active").group_by(TrainerQualification.qualification_id)).all())
    assessments = list(db.session.scalars(sa.select(Assessment).order_by(Assessment.is_active.desc(),
                                                                         Assessment.title)))
    return render_template("assessments/admin_catalogue.html", assessments=assessments, counts=counts,
                           attempts=attempts, holders=holders, qualifications=services.qualification_catalogue())


@bp.route("/admin/assessments/import", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def import_file():
    """Upload an assessment file: validated, all or nothing; every problem listed by item."""
    form = ImportForm()
    problems: list[str] = []
    if form.validate_on_submit():
        raw = form.file.data.read(current_app.config["ASSESSMENT_UPLOAD_MAX_BYTES"] + 1)
        try:
            if len(raw) > current_app.config["ASSESSMENT_UPLOAD_MAX_BYTES"]:
                raise ValidationFailed("The file is too large: assessment files are at most "
                                       f"{current_app.config['ASSESSMENT_UPLOAD_MAX_BYTES'] // 1024} KB.")
            summary = bank.import_bytes(raw, actor=current_user)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            problems = list(getattr(exc, "errors", None) or [])
        else:
            flash(summary.describe(), "success")
            return redirect(url_for("assessments.admin_catalogue"))
    return render_template("assessments/admin_import.html", form=form, problems=problems), _status()


@bp.route("/admin/assessments/reviews")
@role_required(Role.ADMIN)
def review_queue():
    """Attempts waiting for review (overdue ones highlighted) and contested items waiting for an answer."""
    return render_template("assessments/review_queue.html", queue=reviews.review_queue(),
                           contests=reviews.open_contests(),
                           overdue_days=current_app.config["REVIEW_OVERDUE_DAYS"], users=_users_of_contests())


def _users_of_contests():
    ids = {c.user_id for c in reviews.open_contests()}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))} if ids else {}


@bp.route("/admin/assessments/reviews/<int:attempt_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def review_attempt(attempt_id: int):
    """Each written answer beside its item, a mark for each, and the decision with a written reason."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None:
        abort(404)
    form = ReviewDecisionForm()
    marks = {int(m.group(1)): value for name, value in request.form.items() if (m := MARK.match(name))}
    mark_errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            reviews.decide_review(attempt, actor=current_user, marks=marks, decision=form.decision.data,
                                  reason=form.reason.data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            db.session.refresh(attempt)
            errors = getattr(exc, "errors", None)
            mark_errors = {k: v for k, v in errors.items() if k.startswith("mark-")} if isinstance(errors, dict) else {}
            apply_domain_error(form, exc)
        else:
            flash(f"Decision recorded: attempt {'approved' if attempt.status == 'passed' else 'rejected'}. "
                  "The trainer has been told, with your reason.", "success")
            return redirect(url_for("assessments.review_queue"))
    trainer = db.session.get(User, attempt.user_id)
    items = [presenters.result_item(i) for i in attempt.items] if attempt.status != "in_progress" else []
    overdue_after = timedelta(days=current_app.config["REVIEW_OVERDUE_DAYS"])
    waiting = (utcnow() - attempt.submitted_at) if attempt.submitted_at else None
    return render_template("assessments/review_attempt.html", attempt=attempt, assessment=attempt.assessment,
                           trainer=trainer, items=items, form=form, marks=marks, waiting=waiting,
                           is_overdue=bool(waiting and waiting > overdue_after and attempt.status == "pending_review"),
                           decider=db.session.get(User, attempt.decided_by_id) if attempt.decided_by_id else None,
                           mark_errors=mark_errors), _status()


@bp.route("/admin/assessments/contests/<int:contest_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def answer_contest(contest_id: int):
    contest = db.session.get(ItemContest, contest_id)
    if contest is None:
        abort(404)
    item = contest.attempt_item
    form = ContestAnswerForm()
    form.corrected_answer.choices = [(o["key"], f"{o['key']}: {o['text']}") for o in item.options]
    if item.kind == "single_choice":
        form.corrected_answer.label.text = "Correct expected answer (tick exactly one)"
    if request.method == "GET":
        form.corrected_answer.data = list(item.answer)
    if form.validate_on_submit():
        corrected = form.corrected_answer.data if form.correct_gold.data else None
        try:
            reviews.answer_contest(contest, actor=current_user, response=form.response.data,
                                   corrected_answer=corrected)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            flash(f"Answer sent to the trainer. Attempts re-graded: {contest.regraded_attempts}.", "success")
            return redirect(url_for("assessments.review_queue"))
    affected = _affected_count(item)
    return render_template("assessments/answer_contest.html", contest=contest, item=presenters.result_item(item),
                           attempt=item.attempt, trainer=db.session.get(User, contest.user_id), form=form,
                           affected=affected,
                           answered_by=db.session.get(User, contest.answered_by_id) if contest.answered_by_id
                           else None), _status()


def _affected_count(item) -> int:
    """How many attempts show exactly this item's content (the ones a gold correction would re-grade)."""
    return db.session.scalar(sa.select(sa.func.count(sa.distinct(AttemptItem.attempt_id))).where(
        AttemptItem.item_id == item.item_id, AttemptItem.content_hash == item.content_hash)) or 0


@bp.route("/admin/assessments/qualifications/<key>", methods=["GET"])
@role_required(Role.ADMIN)
def qualification_holders(key: str):
    qualification = services.qualification_by_key(key)
    if qualification is None:
        abort(404)
    return render_template("assessments/admin_qualification.html", qualification=qualification,
                           holders=services.holders(qualification.id), grant_form=GrantForm(),
                           revoke_form=RevokeForm(), assessment=services.assessment_for_qualification(key),
                           now=utcnow())


@bp.route("/admin/assessments/qualifications/<key>/grant", methods=["POST"])
@role_required(Role.ADMIN)
def grant(key: str):
    qualification = services.qualification_by_key(key)
    if qualification is None:
        abort(404)
    form = GrantForm()
    if form.validate_on_submit():
        trainer = db.session.scalar(sa.select(User).where(User.email == form.email.data.strip().lower()))
        try:
            if trainer is None:
                raise ValidationFailed("No account has that e-mail address.", field="email")
            holdings.admin_grant(trainer, qualification, actor=current_user, reason=form.reason.data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            flash(f"{trainer.display_name} now holds {qualification.name}; they have been told why.", "success")
            return redirect(url_for("assessments.qualification_holders", key=key))
    return render_template("assessments/admin_qualification.html", qualification=qualification,
                           holders=services.holders(qualification.id), grant_form=form, revoke_form=RevokeForm(),
                           assessment=services.assessment_for_qualification(key), now=utcnow()), 422


@bp.route("/admin/assessments/holdings/<int:holding_id>/revoke", methods=["POST"])
@role_required(Role.ADMIN)
def revoke(holding_id: int):
    holding = db.session.get(TrainerQualification, holding_id)
    if holding is None:
        abort(404)
    key = holding.qualification.key
    form = RevokeForm()
    if not form.validate_on_submit():
        flash("Write a reason of at least 20 characters: the trainer reads it.", "error")
        return redirect(url_for("assessments.qualification_holders", key=key))
    try:
        holdings.revoke(holding, actor=current_user, reason=form.reason.data)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash("Qualification revoked; the trainer has been told why and how to appeal.", "success")
    return redirect(url_for("assessments.qualification_holders", key=key))
