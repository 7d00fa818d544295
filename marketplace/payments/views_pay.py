"""The trainer's earnings dashboard: the pay room's figures (weeks, jobs, pending) beside the money room's
(approved and in the balance, on its way, paid out), the next payday, and a CSV export."""
from __future__ import annotations

from flask import Blueprint, Response, render_template
from flask_login import current_user

from ..core.permissions import Role, role_required
from ..pay import calculations, earnings, services as pay_services, statements
from ..quality.exports import csv_lines
from . import payout_accounts, services

bp = Blueprint("earnings", __name__)


@bp.route("/earnings")
@role_required(Role.WORKER)
def dashboard():
    now = pay_services.server_now()
    summary = earnings.trainer_earnings(current_user, now)
    ready, why = payout_accounts.readiness(current_user)
    return render_template("payments/earnings.html", summary=summary, balances=services.trainer_balances(current_user),
                           chart=summary.chart_data(current_user.timezone), calc=calculations, ready=ready, why=why,
                           statements=statements.for_trainer(current_user.id))


@bp.route("/earnings.csv")
@role_required(Role.WORKER)
def earnings_csv():
    rows = list(earnings.earnings_csv_rows(current_user))  # read now: the body is written after the request
    return Response(csv_lines(rows, earnings.EARNINGS_COLUMNS, excel_bom=True), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=fairtrain-earnings.csv"})
