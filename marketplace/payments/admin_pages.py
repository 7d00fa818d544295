"""Admin money pages under /admin/money: totals, movements, stuck payouts, reconciliation, payouts and refunds."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.models import User
from ..core.errors import DomainError
from ..core.money import format_cents
from ..core.permissions import Role, role_required
from ..core.time import utcnow
from ..core.web import apply_domain_error
from ..extensions import db
from . import freezes, ledger, payout_accounts, payouts, reconciliation, refunds, services, statements, topups
from .forms import EmptyForm, LiftFreezeForm, ManualPayoutForm, RefundForm, new_token
from .gateway import GatewayError
from .models import LedgerAccount, Payout
from .provider import begin_write, currency, gateway
from .views import bp


def _status() -> int:
    return 422 if request.method == "POST" else 200


@bp.route("/admin/money")
@role_required(Role.ADMIN)
def admin_overview(lift_form: LiftFreezeForm | None = None):
    totals = ledger.totals_by_kind()
    owed = db.session.execute(
        sa.select(LedgerAccount.user_id, LedgerAccount.kind, LedgerAccount.balance_cents)
        .where(LedgerAccount.kind.in_((ledger.TRAINER_PAYABLE, ledger.REQUESTER_FUNDS)),
               LedgerAccount.balance_cents > 0).order_by(LedgerAccount.balance_cents.desc()).limit(50)).all()
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_({r.user_id for r in owed})))}
    return render_template("payments/admin_overview.html", totals=totals, labels=ledger.KIND_DESCRIPTIONS,
                           movements=ledger.recent_transactions(30), stuck=payouts.stuck_payouts(utcnow()),
                           freeze=freezes.active_freeze(), run=reconciliation.latest_run(), owed=owed, people=people,
                           lift_form=lift_form or LiftFreezeForm(formdata=None), form=EmptyForm(),
                           simulated=gateway().simulated), _status()


@bp.route("/admin/money/reconcile", methods=["POST"])
@role_required(Role.ADMIN)
def run_reconciliation():
    if not EmptyForm().validate_on_submit():
        abort(400)
    found = reconciliation.gather(utcnow(), gateway())
    begin_write()
    run = reconciliation.record(utcnow(), found)
    db.session.commit()
    flash(f"Reconciliation finished: {run.status.replace('_', ' ')}, {len(run.findings)} finding(s).",
          "success" if run.status == "ok" else "warning")
    return redirect(url_for("payments.admin_overview"))


@bp.route("/admin/money/freeze/lift", methods=["POST"])
@role_required(Role.ADMIN)
def lift_freeze():
    form = LiftFreezeForm()
    if not form.validate_on_submit():
        return admin_overview(lift_form=form)
    try:
        freezes.lift_freeze(actor=current_user, reason=form.reason.data)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc)
        return admin_overview(lift_form=form)
    flash("Payouts resume. Queued payouts go out with the next recovery run.", "success")
    return redirect(url_for("payments.admin_overview"))


@bp.route("/admin/money/payouts/<int:payout_id>/retry", methods=["POST"])
@role_required(Role.ADMIN)
def retry_payout(payout_id: int):
    """Send a stuck payout now: Stripe is asked for a transfer under its key first, so this never pays twice."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    db.get_or_404(Payout, payout_id)
    payout = payouts.send_payout(payout_id, gateway(), look_first=True)
    flash(f"Payout {payout.id} is {payout.status}." + (f" {payout.last_error}" if payout.last_error else ""),
          "success" if payout.status == "paid" else "warning")
    return redirect(request.referrer if _local(request.referrer) else url_for("payments.admin_overview"))


def _local(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)


def _person(user_id: int, role: str) -> User:
    user = db.get_or_404(User, user_id)
    if user.role != role:
        abort(404)
    return user


@bp.route("/admin/money/trainers/<int:user_id>")
@role_required(Role.ADMIN)
def admin_trainer(user_id: int, form: ManualPayoutForm | None = None):
    trainer = _person(user_id, "worker")
    ready, why = payout_accounts.readiness(trainer)
    return render_template("payments/admin_trainer.html", trainer=trainer, balances=services.trainer_balances(trainer),
                           ready=ready, why=why, account=payout_accounts.payout_account_of(trainer),
                           payouts=payouts.payouts_of(trainer.id), frozen=freezes.payouts_frozen(),
                           form=form or ManualPayoutForm(formdata=None, token=new_token()),
                           movements=ledger.history(ledger.trainer_payable(trainer.id), limit=50)), _status()


@bp.route("/admin/money/trainers/<int:user_id>/payout", methods=["POST"])
@role_required(Role.ADMIN)
def admin_pay_trainer(user_id: int):
    """Manual payout with a written reason: reserve and commit first (outbox), then send."""
    begin_write()
    trainer = _person(user_id, "worker")
    form = ManualPayoutForm()
    if not form.validate_on_submit():
        return admin_trainer(user_id, form=form)
    try:
        payout = payouts.pay_trainer(trainer, form.amount.cents, actor=current_user, reason=form.reason.data,
                                     idempotency_key=f"admin-payout:{form.token.data}", currency=currency())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc)
        return admin_trainer(user_id, form=form)
    if payout is None:
        flash("There is nothing to pay: the trainer's payable balance is zero.", "info")
        return redirect(url_for("payments.admin_trainer", user_id=user_id))
    payout = payouts.send_payout(payout.id, gateway())
    if payout.status == "paid":
        flash(f"Paid {format_cents(payout.amount_cents, payout.currency)} to {trainer.display_name}.", "success")
    elif payout.status == "failed":
        flash(f"Stripe refused the transfer: {payout.last_error} The money is back in the trainer's balance.", "error")
    else:
        flash("The payout is queued" + (f" ({payout.last_error})" if payout.last_error else "") +
              "; recovery sends it as soon as it can.", "warning")
    return redirect(url_for("payments.admin_trainer", user_id=user_id))


@bp.route("/admin/money/requesters/<int:user_id>")
@role_required(Role.ADMIN)
def admin_requester(user_id: int, form: RefundForm | None = None):
    requester = _person(user_id, "requester")
    refundable = sum(left for _, left in refunds.refundable_by_charge(requester.id))
    return render_template("payments/admin_requester.html", requester=requester,
                           available=services.requester_available(requester),
                           in_escrow=services.requester_in_escrow(requester), refundable=refundable,
                           statement=statements.requester_statement(requester, limit=100),
                           charges=topups.charges_of(requester), refunds=refunds.refunds_of(requester.id),
                           form=form or RefundForm(formdata=None, token=new_token())), _status()


@bp.route("/admin/money/requesters/<int:user_id>/refund", methods=["POST"])
@role_required(Role.ADMIN)
def admin_refund(user_id: int):
    """Refund unused funds with a written reason: reserve and commit first (outbox), then ask Stripe."""
    begin_write()
    requester = _person(user_id, "requester")
    form = RefundForm()
    if not form.validate_on_submit():
        return admin_requester(user_id, form=form)
    try:
        made = refunds.refund_unused_funds(requester, form.amount.cents, actor=current_user, reason=form.reason.data,
                                           request_key=f"admin-refund:{form.token.data}")
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc)
        return admin_requester(user_id, form=form)
    ids = [refund.id for refund in made]
    results = []
    for refund_id in ids:
        try:
            results.append(refunds.send_refund(refund_id, gateway()))
        except GatewayError as exc:  # stays pending; recovery finishes it
            flash(exc.message, "warning")
    failed = [r for r in results if r.status == "failed"]
    pending = [r for r in results if r.status == "pending"]
    if failed:
        flash("Stripe refused part of the refund; that money is back in the requester's funds.", "error")
    elif pending:
        flash("The refund is queued; recovery finishes it as soon as Stripe answers.", "warning")
    else:
        flash("Refund sent to the requester's card.", "success")
    return redirect(url_for("payments.admin_requester", user_id=user_id))
