"""Account pages: register, login, logout, profile, inbox, my record, standing."""
from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..core import audit, notices, record
from ..core.errors import DomainError
from ..core.models import Notice
from ..core.permissions import Role, require, role_required
from ..core.taxonomy import EXPERTISE_AREAS, PROGRAMMING_LANGUAGES
from ..core.web import apply_domain_error, is_safe_next
from ..extensions import db, limiter
from . import services
from .forms import (ChangePasswordForm, EmptyForm, LoginForm, RegisterForm, RequesterProfileForm,
                    TrainerProfileForm)

bp = Blueprint("accounts", __name__)


def _status() -> int:
    """A form page shown again after a POST means the input was refused: 422 (success redirects)."""
    return 422 if request.method == "POST" else 200


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    return render_template("accounts/landing.html")


@bp.route("/home")
@login_required
def home():
    """Where each role lands after login."""
    return render_template("accounts/home.html")


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register_user(
                email=form.email.data, password=form.password.data, role=form.role.data,
                display_name=form.display_name.data, country=form.country.data or None,
                organisation=form.organisation.data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            login_user(user)
            flash("Welcome to FairTrain. Tell us what you work in.", "success")
            return redirect(url_for("accounts.edit_profile"))
    return render_template("accounts/register.html", form=form), _status()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], error_message="Too many login attempts. Wait a minute, then try again.")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            flash("That e-mail and password do not match an account.", "error")
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else url_for("accounts.home"))
    return render_template("accounts/login.html", form=form), (401 if request.method == "POST" else 200)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("You are logged out.", "success")
    return redirect(url_for("accounts.login"))


@bp.route("/profile")
@login_required
def profile():
    return render_template("accounts/profile.html", user=current_user, expertise_names=EXPERTISE_AREAS,
                           programming_languages=PROGRAMMING_LANGUAGES)


@bp.route("/profile/edit", methods=["GET", "POST"])
@login_required
def edit_profile():
    if current_user.is_worker:
        return _edit_trainer_profile()
    if current_user.is_requester:
        return _edit_requester_profile()
    flash("Admins have no profile to edit.", "info")
    return redirect(url_for("accounts.profile"))


def _hours_to_minutes(value) -> int | None:
    return None if value is None else int(round(Decimal(value) * 60))


def _edit_trainer_profile():
    user = current_user
    form = TrainerProfileForm(obj=None if request.method == "POST" else user)
    if request.method == "GET":
        form.country.data = user.country
        form.timezone.data = user.timezone
        for row, lang in zip(form.languages.entries, user.languages):
            row.form.code.data, row.form.proficiency.data = lang.code, lang.proficiency
        form.expertise.data = [e.area for e in user.expertise]
        form.programming_languages.data = sorted({d for e in user.expertise for d in (e.detail or [])})
        form.weekly_goal_hours.data = None if user.weekly_goal_minutes is None else Decimal(user.weekly_goal_minutes) / 60
        form.weekly_cap_hours.data = None if user.weekly_cap_minutes is None else Decimal(user.weekly_cap_minutes) / 60
    if form.validate_on_submit():
        langs = [services.LanguageEntry(r.form.code.data, r.form.proficiency.data or "")
                 for r in form.languages.entries if r.form.code.data]
        expertise = {area: (form.programming_languages.data if area == "software_engineering" else [])
                     for area in form.expertise.data}
        try:
            services.update_trainer_profile(
                user, display_name=form.display_name.data, country=form.country.data, timezone=form.timezone.data,
                languages_=langs, expertise=expertise,
                weekly_goal_minutes=_hours_to_minutes(form.weekly_goal_hours.data),
                weekly_cap_minutes=_hours_to_minutes(form.weekly_cap_hours.data))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc, aliases={"weekly_goal_minutes": "weekly_goal_hours",
                                                   "weekly_cap_minutes": "weekly_cap_hours"})
        else:
            flash("Profile saved.", "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/edit_trainer_profile.html", form=form), _status()


def _edit_requester_profile():
    form = RequesterProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            services.update_requester_profile(current_user, display_name=form.display_name.data,
                                              organisation=form.organisation.data or "",
                                              billing_email=form.billing_email.data or "")
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            flash("Profile saved.", "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/edit_requester_profile.html", form=form), _status()


@bp.route("/settings/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            login_user(current_user._get_current_object())  # keep this session; every other one is now logged out
            flash("Password changed. Other devices have been logged out.", "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/inbox")
@login_required
def inbox():
    return render_template("accounts/inbox.html", notices=notices.inbox(current_user.id), form=EmptyForm())


@bp.route("/inbox/<int:notice_id>")
@login_required
def read_notice(notice_id: int):
    notice = db.get_or_404(Notice, notice_id)
    require(notice.user_id == current_user.id, 404)
    notices.mark_read(notice)
    db.session.commit()
    return render_template("accounts/notice.html", notice=notice)


@bp.route("/inbox/read-all", methods=["POST"])
@login_required
def read_all_notices():
    EmptyForm().validate_on_submit()
    notices.mark_all_read(current_user.id)
    db.session.commit()
    return redirect(url_for("accounts.inbox"))


@bp.route("/my-record")
@login_required
def my_record():
    """Every decision about the person: the rooms' sections (sanctions, appeals, blocks ...) and the audit log."""
    return render_template("accounts/my_record.html", sections=record.sections_for(current_user.id),
                           events=audit.events_about(current_user.id))


@bp.route("/my-record.<fmt>")
@login_required
def my_record_download(fmt: str):
    """The person's own record, downloadable as JSON or CSV (the same sections and events as the page)."""
    sections = record.sections_for(current_user.id)
    events = audit.events_about(current_user.id, limit=100_000)
    rows = [{"time": e.occurred_at.isoformat(), "action": e.action,
             "decided_by": _actor_label(e), "reason": e.reason, "data": e.data} for e in events]
    if fmt == "json":
        body = {"sections": [{"key": s.key, "title": s.title, "items": [i.as_dict() for i in items]}
                             for s, items in sections], "events": rows}
        return Response(json.dumps(body, indent=2), mimetype="application/json",
                        headers={"Content-Disposition": "attachment; filename=my-record.json"})
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["section", "time", "what", "decided_by", "reason", "outcome"])
        for section, items in sections:
            for i in items:
                writer.writerow([_csv_safe(c) for c in (section.title, i.when.isoformat(), i.what, i.decided_by,
                                                        i.reason, i.outcome)])
        for row in rows:
            writer.writerow([_csv_safe(c) for c in ("Audit log", row["time"], row["action"], row["decided_by"],
                                                    row["reason"], "")])
        return Response(buffer.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=my-record.csv"})
    return Response("Unknown format; use .json or .csv", status=404)


def _csv_safe(text) -> str:
    # Spreadsheet formula injection: a leading trigger character is neutralised with a quote, in every cell.
    text = "" if text is None else str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _actor_label(event) -> str:
    if event.actor_id is None:
        return "FairTrain (automatic rule)"
    if event.actor_id == current_user.id:
        return "you"
    actor = db.session.get(services.User, event.actor_id)
    if actor is None:
        return "a former account"
    return f"{actor.display_name} ({actor.role_label})"


@bp.app_template_global("actor_label")
def actor_label(event) -> str:
    return _actor_label(event)


@bp.route("/standing")
@login_required
def standing():
    """Where a person not in good standing lands: what happened, what they can still do."""
    about_standing = [n for n in notices.inbox(current_user.id, limit=100) if n.category in ("standing", "country")]
    return render_template("accounts/standing.html", banners=notices.banners(current_user.id),
                           about_standing=about_standing[:10])


@bp.route("/settings")
@login_required
@role_required(Role.WORKER, Role.REQUESTER, Role.ADMIN)
def settings():
    return render_template("accounts/settings.html")
