"""Admin pages of the moderation room: appeals queue, sanctions, a person's history, conduct, country rules."""
from __future__ import annotations

from datetime import datetime, time

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.models import User
from ..core import audit
from ..core.errors import DomainError
from ..core.permissions import Role, role_required
from ..core.record import sections_for
from ..core.time import UTC, utcnow
from ..core.web import apply_domain_error
from ..extensions import db
from . import services
from .forms import ConductForm, DecideAppealForm, FindPersonForm, LiftForm, SanctionForm, WithdrawalForm
from .rules import parse_evidence
from .views import bp, refused


def _admin() -> User:
    return current_user._get_current_object()


def _start_of(day) -> datetime | None:
    return datetime.combine(day, time(0, 0), tzinfo=UTC) if day else None


@bp.route("/admin/appeals")
@role_required(Role.ADMIN)
def admin_appeals():
    """Open appeals, soonest deadline first (late ones marked), recent decisions, and the figures."""
    open_appeals, decided = services.appeal_queue()
    return render_template("moderation/admin_appeals.html", open_appeals=open_appeals, decided=decided,
                           figures=services.appeal_figures(utcnow()), now=utcnow(), person=services.person_label,
                           kind_label=services.kind_label)


@bp.route("/admin/appeals/<int:appeal_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_appeal(appeal_id: int):
    appeal = services.get_appeal(appeal_id)
    form = DecideAppealForm()
    own_decision = current_user.id == appeal.decision_maker_id
    if form.validate_on_submit():
        try:
            services.decide_appeal(appeal, _admin(), outcome=form.outcome.data, reason=form.reason.data or "")
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            flash(f"Appeal {appeal.status}. The trainer has been told, with your reason.", "success")
            return redirect(url_for("moderation.admin_appeals"))
    return render_template("moderation/admin_appeal.html", appeal=appeal, form=form, own_decision=own_decision,
                           kind_label=services.kind_label(appeal.kind), person=services.person_label,
                           now=utcnow()), refused()


@bp.route("/admin/sanctions")
@role_required(Role.ADMIN)
def admin_sanctions():
    """Find a person to sanction or review; active and recent sanctions."""
    form = FindPersonForm(request.args)
    query = (form.q.data or "").strip()
    if query:
        person = db.session.get(User, int(query)) if query.isdigit() and len(query) < 10 else \
            db.session.scalar(sa.select(User).where(User.email == query.lower()))
        if person is not None:
            return redirect(url_for("moderation.admin_history", user_id=person.id))
        flash(f"No account matches {query!r}.", "error")
    return render_template("moderation/admin_sanctions.html", form=form,
                           active=services.recent_sanctions(active_only=True),
                           recent=services.recent_sanctions(limit=50), title=services.sanction_title,
                           person=services.person_label)


@bp.route("/admin/people/<int:user_id>")
@role_required(Role.ADMIN)
def admin_history(user_id: int):
    """Everything about one person on one page: standing, sanctions, appeals, blocks and the audit log."""
    person = db.get_or_404(User, user_id)
    return render_template("moderation/admin_history.html", person=person,
                           standing=services.standing_for(person), sections=sections_for(person.id),
                           events=audit.events_about(person.id), sanctions=services.sanctions_of(person.id),
                           title=services.sanction_title, actor=services.person_label)


@bp.route("/admin/people/<int:user_id>/sanction", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def issue_sanction(user_id: int):
    person = db.get_or_404(User, user_id)
    if person.is_admin or person.id == current_user.id:
        abort(403, description="Admins cannot sanction themselves or another admin.")
    form = SanctionForm()
    clauses = services.current_clauses()
    form.clause_ids.choices = [(c.id, c.label) for c in clauses]
    if not clauses:
        flash("Publish the code of conduct first: every sanction cites its clauses.", "error")
    if form.validate_on_submit():
        try:
            sanction = services.issue_sanction(
                person, _admin(), level=form.level.data, reason=form.reason.data or "",
                clause_ids=form.clause_ids.data or [], evidence=parse_evidence(form.evidence.data or ""),
                scope=form.scope.data, scope_id=form.scope_id.data, ends_at=_start_of(form.ends_on.data),
                is_severe=form.is_severe.data, severity_justification=form.severity_justification.data or "")
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc, aliases={"ends_at": "ends_on"})
        else:
            flash(f"{services.sanction_title(sanction)} issued. {person.display_name} has been told, with the "
                  "reason, clauses, evidence and how to appeal.", "success")
            return redirect(url_for("moderation.sanction_detail", sanction_id=sanction.id))
    return render_template("moderation/issue_sanction.html", form=form, person=person,
                           warned=_warned_numbers(person.id, clauses)), refused()


def _warned_numbers(user_id: int, clauses) -> set[str]:
    missing = {c.number for c in services.clauses_without_prior_warning(user_id, clauses)}
    return {c.number for c in clauses} - missing


@bp.route("/admin/sanctions/<int:sanction_id>/lift", methods=["POST"])
@role_required(Role.ADMIN)
def lift_sanction(sanction_id: int):
    sanction = services.get_sanction(sanction_id)
    form = LiftForm()
    if not form.validate_on_submit():
        flash("Write why you lift it.", "error")
        return redirect(url_for("moderation.sanction_detail", sanction_id=sanction.id))
    try:
        services.lift_sanction(sanction, _admin(), reason=form.reason.data)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash("Lifted. The person has been told.", "success")
    return redirect(url_for("moderation.sanction_detail", sanction_id=sanction.id))


@bp.route("/admin/conduct", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_conduct():
    """Publish a new version of the code of conduct (announced to every trainer with its date)."""
    form = ConductForm()
    if request.method == "GET":
        form.text.data = services.editable_text()
    if form.validate_on_submit():
        try:
            version = services.publish_version(form.text.data or "", summary=form.summary.data or "", actor=_admin())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            flash(f"Version {version.number} published and announced to every trainer.", "success")
            return redirect(url_for("moderation.conduct"))
    return render_template("moderation/admin_conduct.html", form=form, current=services.current_version()), refused()


@bp.route("/admin/countries", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_countries():
    """Announce a withdrawal from a country (with notice), and see every withdrawal."""
    form = WithdrawalForm()
    if form.validate_on_submit():
        try:
            withdrawal = services.announce_withdrawal(form.country.data, effective_at=_start_of(form.effective_on.data),
                                                      reason=form.reason.data or "", actor=_admin())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc, aliases={"effective_at": "effective_on"})
        else:
            flash(f"Announced to the trainers in {withdrawal.country}. Work continues until the end of notice.",
                  "success")
            return redirect(url_for("moderation.admin_countries"))
    return render_template("moderation/admin_countries.html", form=form, withdrawals=services.withdrawals(),
                           lift_form=LiftForm(), now=utcnow()), refused()


@bp.route("/admin/countries/<int:withdrawal_id>/cancel", methods=["POST"])
@role_required(Role.ADMIN)
def cancel_withdrawal(withdrawal_id: int):
    withdrawal = services.get_withdrawal(withdrawal_id)
    form = LiftForm()
    try:
        if not form.validate_on_submit():
            raise DomainError("Write why the withdrawal is called off.")
        services.cancel_withdrawal(withdrawal, _admin(), reason=form.reason.data)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash("Withdrawal called off; the trainers there have been told.", "success")
    return redirect(url_for("moderation.admin_countries"))
