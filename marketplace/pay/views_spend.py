"""Requester pages of the pay room: bonuses on a job, spend per job and per week, the spend CSV."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_login import current_user

from ..core.errors import DomainError
from ..core.permissions import Role, require, role_required
from ..core.web import apply_domain_error
from ..extensions import db
from ..jobs.models import Job
from ..quality.exports import csv_lines
from . import bonuses, calculations, earnings, policies, services
from .forms import BonusForm, new_token

bp = Blueprint("pay_spend", __name__, url_prefix="/pay")


@bp.route("/jobs/<int:job_id>/bonus", methods=["GET", "POST"])
@role_required(Role.REQUESTER)
def bonus(job_id: int):
    job = db.session.get(Job, job_id)
    require(job is not None and policies.can_pay_bonus(current_user, job), 404)
    trainers = bonuses.trainers_on_job(job.id)
    form = BonusForm()
    form.trainer_id.choices = [(t.id, t.display_name) for t in trainers]
    if form.validate_on_submit():
        try:
            bonuses.award(current_user, job, form.trainer_id.data, form.cents, form.reason.data, form.source.data,
                          form.token.data, services.server_now())
            db.session.commit()
            flash("Bonus paid. The trainer has been told, with your reason.", "success")
            return redirect(url_for("pay_spend.bonus", job_id=job.id))
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc, {"amount_cents": "amount", "trainer": "trainer_id"})
    elif not form.is_submitted():
        form.token.data = new_token()
    status = 422 if form.is_submitted() else 200
    return render_template("pay/bonus.html", job=job, form=form, trainers=trainers,
                           names={t.id: t.display_name for t in trainers}, paid=bonuses.for_job(job.id)), status


@bp.route("/spend")
@role_required(Role.REQUESTER)
def spend():
    summary = earnings.requester_spend(current_user, services.server_now())
    return render_template("pay/spend.html", summary=summary, calc=calculations)


@bp.route("/spend.csv")
@role_required(Role.REQUESTER)
def spend_csv():
    rows = list(earnings.spend_csv_rows(current_user))  # read now: the body is written after the request
    return Response(csv_lines(rows, earnings.SPEND_COLUMNS, excel_bom=True), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=fairtrain-spend.csv"})
