"""Money pages: the trainer's wallet and payout account, the requester's funds and statement, the webhook."""
from __future__ import annotations

import logging

from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_login import current_user

from ..core.errors import DomainError
from ..core.permissions import Role, require, role_required
from ..core.web import apply_domain_error
from ..extensions import csrf, db
from . import freezes, ledger, payout_accounts, payouts, refunds, services, statements, topups, webhooks
from .forms import EmptyForm, SimulatedCardForm, TopUpForm, new_token
from .gateway import GatewayError, InvalidWebhook
from .models import Charge
from .provider import begin_write, connect_webhook_gateway, currency, gateway

log = logging.getLogger(__name__)
bp = Blueprint("payments", __name__)


def _status() -> int:
    return 422 if request.method == "POST" else 200


# --- trainers ----------------------------------------------------------------------------------

@bp.route("/wallet")
@role_required(Role.WORKER)
def wallet():
    balances = services.trainer_balances(current_user)
    ready, why = payout_accounts.readiness(current_user)
    return render_template("payments/wallet.html", balances=balances, ready=ready, why=why,
                           account=payout_accounts.payout_account_of(current_user),
                           payouts=payouts.payouts_of(current_user.id), frozen=freezes.payouts_frozen(),
                           movements=ledger.history(ledger.trainer_payable(current_user.id), limit=50),
                           minimum=current_app.config["PAYOUT_MINIMUM_CENTS"])


@bp.route("/wallet/payout-account")
@role_required(Role.WORKER)
def payout_account():
    account = payout_accounts.payout_account_of(current_user)
    if account is not None and not account.is_ready:
        try:  # Stripe may have finished checking since the last visit
            payout_accounts.refresh(account, gateway())
            db.session.commit()
        except GatewayError as exc:
            db.session.rollback()
            flash(f"We could not ask Stripe about your account just now: {exc.message}", "warning")
        account = payout_accounts.payout_account_of(current_user)
    ready, why = payout_accounts.readiness(current_user)
    return render_template("payments/payout_account.html", account=account, ready=ready, why=why,
                           form=EmptyForm(), simulated=gateway().simulated)


@bp.route("/wallet/payout-account/connect", methods=["POST"])
@role_required(Role.WORKER)
def connect_payout_account():
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        account = payout_accounts.connect(current_user, gateway())
        db.session.commit()
        url = payout_accounts.onboarding_url(
            account, gateway(), refresh_url=url_for("payments.payout_account_refresh", _external=True),
            return_url=url_for("payments.payout_account_return", _external=True))
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("payments.payout_account"))
    except GatewayError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("payments.payout_account"))
    return redirect(url)


@bp.route("/wallet/payout-account/return")
@role_required(Role.WORKER)
def payout_account_return():
    """Where Stripe sends the trainer back after its onboarding form: read the account's state from Stripe."""
    account = payout_accounts.payout_account_of(current_user)
    if account is None:
        return redirect(url_for("payments.payout_account"))
    try:
        payout_accounts.refresh(account, gateway())
        db.session.commit()
    except GatewayError as exc:
        db.session.rollback()
        flash(f"We could not ask Stripe about your account just now: {exc.message}", "warning")
        return redirect(url_for("payments.payout_account"))
    if account.is_ready:
        flash("Your payout account is ready. Your earnings will be sent there.", "success")
    else:
        flash("Stripe still needs some details before it can pay you. Your earnings are safe meanwhile.", "info")
    return redirect(url_for("payments.payout_account"))


@bp.route("/wallet/payout-account/refresh")
@role_required(Role.WORKER)
def payout_account_refresh():
    """Stripe's onboarding links expire; Stripe sends the trainer here for a new one."""
    account = payout_accounts.payout_account_of(current_user)
    if account is None:
        return redirect(url_for("payments.payout_account"))
    try:
        url = payout_accounts.onboarding_url(
            account, gateway(), refresh_url=url_for("payments.payout_account_refresh", _external=True),
            return_url=url_for("payments.payout_account_return", _external=True))
    except GatewayError as exc:
        flash(exc.message, "error")
        return redirect(url_for("payments.payout_account"))
    return redirect(url)


# --- requesters --------------------------------------------------------------------------------

@bp.route("/funds")
@role_required(Role.REQUESTER)
def funds(form: TopUpForm | None = None):
    form = form or TopUpForm(formdata=None, token=new_token())
    return render_template("payments/funds.html", form=form,
                           available=services.requester_available(current_user),
                           in_escrow=services.requester_in_escrow(current_user),
                           statement=statements.requester_statement(current_user, limit=100),
                           charges=topups.charges_of(current_user), refunds=refunds.refunds_of(current_user.id)), _status()


@bp.route("/funds/top-ups", methods=["POST"])
@role_required(Role.REQUESTER)
def start_top_up():
    form = TopUpForm()
    if not form.validate_on_submit():
        return funds(form)
    begin_write()
    try:
        charge = topups.start_top_up(current_user, form.amount.cents, form.token.data, currency=currency())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc)
        return funds(form)
    try:
        topups.create_intent(charge, gateway())
        db.session.commit()
    except GatewayError as exc:  # the charge stays; its page offers the payment again
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("payments.top_up", charge_id=charge.id))


def _own_charge(charge_id: int) -> Charge:
    charge = db.get_or_404(Charge, charge_id)
    require(charge.requester_id == current_user.id, 404)
    return charge


@bp.route("/funds/top-ups/<int:charge_id>")
@role_required(Role.REQUESTER)
def top_up(charge_id: int, card_form: SimulatedCardForm | None = None):
    charge = _own_charge(charge_id)
    gw = gateway()
    if charge.status == "created" and not charge.payment_intent_id:
        try:
            topups.create_intent(charge, gw)
            db.session.commit()
        except GatewayError as exc:
            db.session.rollback()
            flash(exc.message, "error")
    if request.args.get("payment_intent") and charge.status == "created" and not gw.simulated:
        _check(charge)  # back from a Stripe.js redirect (3-D Secure): Stripe's answer decides
    return render_template("payments/top_up.html", charge=charge, simulated=gw.simulated,
                           card_form=card_form or SimulatedCardForm(formdata=None), check_form=EmptyForm(),
                           publishable_key=current_app.config.get("STRIPE_PUBLISHABLE_KEY", ""),
                           stripe_js_url=current_app.config["STRIPE_JS_URL"]), _status()


@bp.route("/funds/top-ups/<int:charge_id>/card", methods=["POST"])
@role_required(Role.REQUESTER)
def pay_top_up(charge_id: int):
    """Demo mode's card form. In real mode cards never touch this server: Stripe.js sends them to Stripe."""
    if not gateway().simulated:
        abort(404)
    begin_write()
    charge = _own_charge(charge_id)
    form = SimulatedCardForm()
    if not form.validate_on_submit():
        return top_up(charge_id, card_form=form)
    try:
        outcome = topups.pay_with_card(charge, form.payment_method, gateway())
        db.session.commit()
    except GatewayError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return top_up(charge_id, card_form=form)
    if not outcome.succeeded:
        flash(outcome.message, "error")
        return top_up(charge_id, card_form=form)
    flash(outcome.message, "success")
    return redirect(url_for("payments.funds"))


@bp.route("/funds/top-ups/<int:charge_id>/check", methods=["POST"])
@role_required(Role.REQUESTER)
def check_top_up(charge_id: int):
    """After Stripe.js confirmed the card in the browser: ask Stripe, and credit the funds if it succeeded."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    begin_write()
    charge = _own_charge(charge_id)
    if _check(charge):
        return redirect(url_for("payments.funds"))
    return redirect(url_for("payments.top_up", charge_id=charge.id))


def _check(charge: Charge) -> bool:
    try:
        outcome = topups.check_payment(charge, gateway())
        db.session.commit()
    except GatewayError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return False
    flash(outcome.message, "success" if outcome.succeeded else "info")
    return outcome.succeeded


@bp.route("/funds/statement.csv")
@role_required(Role.REQUESTER)
def statement_csv():
    rows = statements.statement_csv_rows(current_user)
    # Rows are read before the response starts, so the generator needs no request context.
    return Response(statements.csv_lines(rows), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=fairtrain-statement.csv"})


# --- Stripe webhooks (the only route without CSRF: Stripe signs it instead) ----------------------

@bp.route("/payments/stripe/webhook", methods=["POST"])
@csrf.exempt
def stripe_webhook():
    payload = request.get_data(cache=False)
    try:
        event = webhooks.verify(payload, request.headers.get("Stripe-Signature"), gateway(),
                                connect_webhook_gateway())
    except InvalidWebhook as exc:
        log.warning("webhook refused: %s (%s)", exc.message, exc.detail)
        return jsonify({"error": {"code": exc.code, "message": exc.message}}), 400
    begin_write()
    outcome = webhooks.handle_event(event, gateway())
    db.session.commit()
    return jsonify({"received": True, "outcome": outcome})


from . import admin_pages  # noqa: E402,F401  (adds the /admin/money pages to bp)
