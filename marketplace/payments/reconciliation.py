"""Reconciliation: the ledger checked against itself and against the gateway's charges, refunds and transfers.

Findings have a severity: "missing" (the ledger holds money Stripe says we do not have: payouts freeze),
"mismatch" (records disagree without money missing), "fixed" (a missed credit, now credited under its usual
key), "error" (the gateway could not be asked; nothing is concluded), "acknowledged" (money missing that an admin
already looked at when lifting the freeze it caused: still listed, it does not freeze payouts again). Admins get a notice when the findings
change. Charges are checked for WINDOW_DAYS; transfers up to MAX_TRANSFERS_SCANNED, newest first.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ..accounts.models import User
from ..core import notices
from ..core.money import format_cents
from ..extensions import db
from . import ledger, topups
from .freezes import freeze_payouts
from .gateway import GatewayError, NotFound, PaymentGateway
from .models import Charge, Payout, PayoutFreeze, ReconciliationRun, Refund

log = logging.getLogger(__name__)
WINDOW_DAYS = 35
MAX_TRANSFERS_SCANNED = 10_000
ADMIN_LINK = "/admin/money"


class _Findings:
    def __init__(self):
        self.items: list[dict[str, Any]] = []

    def add(self, severity: str, code: str, ref: str, message: str) -> None:
        self.items.append({"severity": severity, "code": code, "ref": ref, "message": message})

    def of(self, severity: str) -> list[dict[str, Any]]:
        return [f for f in self.items if f["severity"] == severity]


@dataclass
class Gathered:
    """What the read-only phase found; record() writes it (and credits missed payments)."""

    findings: _Findings = field(default_factory=_Findings)
    checked: dict[str, Any] = field(default_factory=dict)
    missed_credits: list[tuple[int, str, int, str]] = field(default_factory=list)


def reconcile(now: datetime, gateway: PaymentGateway) -> ReconciliationRun:
    """gather() then record(); the caller commits."""
    return record(now, gather(now, gateway))


def gather(now: datetime, gateway: PaymentGateway) -> Gathered:
    """Every check, reading only: the ledger against itself, then charges, refunds and transfers at Stripe.
    Reading first keeps a long run from holding SQLite's write lock while it waits on the network."""
    found = Gathered()
    for problem in ledger.integrity_problems():
        found.findings.add("missing", problem["code"], problem["ref"], problem["message"])
    try:
        _check_charges(now, gateway, found)
        _check_transfers(now, gateway, found.findings, found.checked)
    except GatewayError as exc:
        log.warning("reconciliation stopped: %s (%s)", exc.message, exc.detail)
        found.findings.add("error", "gateway_unavailable", "gateway",
                           f"Stripe could not be asked ({exc.message}); this run is incomplete.")
    found.checked.update(ledger_card_payments_cents=-ledger.total_of_kind(ledger.STRIPE_CLEARING),
                         ledger_refunds_cents=ledger.total_of_kind(ledger.REFUNDS),
                         ledger_paid_out_cents=ledger.total_of_kind(ledger.TRAINER_PAID_OUT))
    return found


def record(now: datetime, found: Gathered) -> ReconciliationRun:
    """Credit missed payments (same key as the webhook), store the run, freeze payouts if money is missing, and
    tell admins when the findings changed. The caller commits."""
    findings = found.findings
    acknowledged = _acknowledged_keys()
    for finding in findings.items:
        if finding["severity"] == "missing" and (finding["code"], finding["ref"]) in acknowledged:
            finding["severity"] = "acknowledged"
    for charge_id, pi_id, amount, currency in found.missed_credits:
        outcome = topups.credit_payment_intent(pi_id, amount, currency, via="reconciliation")
        if outcome not in ("credited", "already_credited"):
            findings.add("mismatch", "missed_credit", f"charge:{charge_id}",
                         f"Charge {charge_id} succeeded at Stripe but could not be credited ({outcome}).")
        elif outcome == "credited":
            findings.add("fixed", "missed_credit", f"charge:{charge_id}",
                         f"Charge {charge_id} had succeeded at Stripe but was not credited; it is now.")
    run = ReconciliationRun(started_at=now, finished_at=now, status="ok", findings=findings.items,
                            checked=found.checked)
    if findings.of("missing"):
        run.status = "money_missing"
    elif findings.of("mismatch") or findings.of("fixed") or findings.of("acknowledged"):
        run.status = "mismatch"
    elif findings.of("error"):
        run.status = "error"
    db.session.add(run)
    db.session.flush()
    if findings.of("missing"):
        first = findings.of("missing")[0]["message"]
        freeze_payouts(f"Reconciliation run {run.id} found money missing: {first}", run_id=run.id)
    _tell_admins(run)
    return run


def _check_charges(now: datetime, gateway: PaymentGateway, found: Gathered) -> None:
    findings, checked = found.findings, found.checked
    since = now - timedelta(days=WINDOW_DAYS)
    charges = db.session.scalars(sa.select(Charge).where(Charge.payment_intent_id.is_not(None),
                                                         Charge.created_at >= since,
                                                         Charge.status.in_(("created", "succeeded")))
                                 .order_by(Charge.id)).all()
    checked["charges"] = len(charges)
    checked["refunds"] = 0
    for charge in charges:
        ref = f"charge:{charge.id}"
        try:
            intent = gateway.retrieve_payment_intent(charge.payment_intent_id)
        except NotFound:
            if charge.status == "succeeded":
                findings.add("missing", "payment_not_found", ref,
                             f"Charge {charge.id} was credited but Stripe has no payment {charge.payment_intent_id}.")
            continue
        if charge.status == "created":
            if intent.succeeded:
                found.missed_credits.append((charge.id, intent.id, intent.amount_cents, intent.currency))
            continue
        txn = ledger.find(topups.top_up_key(charge))
        credited = ledger.entries_of(txn.id).get(ledger.requester_funds(charge.requester_id), 0) if txn else 0
        if not intent.succeeded or intent.amount_cents != credited:
            findings.add("missing", "payment_differs", ref,
                         f"Charge {charge.id}: credited {format_cents(credited)}, Stripe says "
                         f"{format_cents(intent.amount_cents)} ({intent.status}).")
        checked["refunds"] += _check_refunds(charge, gateway, findings)


def _check_refunds(charge: Charge, gateway: PaymentGateway, findings: _Findings) -> int:
    at_stripe = gateway.list_refunds_for(charge.payment_intent_id)
    ours = db.session.scalars(sa.select(Refund).where(Refund.charge_id == charge.id)).all()
    ours_by_key = {f"refund:{r.id}": r for r in ours}
    stripe_ids = set()
    for refund in at_stripe:
        stripe_ids.add(refund.id)
        mine = ours_by_key.get(refund.metadata.get("idempotency_key", ""))
        if mine is None or mine.status == "failed" or mine.amount_cents != refund.amount_cents:
            findings.add("missing", "refund_outside_fairtrain", f"refund:{refund.id}",
                         f"Stripe refunded {format_cents(refund.amount_cents)} of charge {charge.id} "
                         f"({refund.id}) without a matching refund in our ledger.")
    for mine in ours:
        if mine.status == "succeeded" and mine.stripe_refund_id not in stripe_ids:
            findings.add("mismatch", "refund_not_at_stripe", f"refund:{mine.id}",
                         f"Refund {mine.id} is recorded as done but Stripe has no such refund.")
    return len(at_stripe)


def _check_transfers(now: datetime, gateway: PaymentGateway, findings: _Findings, checked: dict) -> None:
    seen: set[str] = set()
    starting_after, scanned, complete = None, 0, False
    while scanned < MAX_TRANSFERS_SCANNED:
        page = gateway.list_transfers(limit=100, starting_after=starting_after)
        for transfer in page.transfers:
            scanned += 1
            seen.add(transfer.id)
            _check_transfer(now, transfer, findings)
        if not page.has_more or not page.transfers:
            complete = True
            break
        starting_after = page.transfers[-1].id
    checked["transfers"] = scanned
    if not complete:
        return
    since = now - timedelta(days=WINDOW_DAYS)
    for payout in db.session.scalars(sa.select(Payout).where(Payout.status == "paid", Payout.paid_at >= since)):
        if payout.transfer_id not in seen:
            findings.add("mismatch", "payout_without_transfer", f"payout:{payout.id}",
                         f"Payout {payout.id} is recorded as paid but Stripe has no transfer {payout.transfer_id}.")


def _check_transfer(now: datetime, transfer, findings: _Findings) -> None:
    key = transfer.idempotency_key or ""
    payout = None
    if key.startswith("payout:") and key[7:].isdigit():
        payout = db.session.get(Payout, int(key[7:]))
    ref = f"transfer:{transfer.id}"
    amount = format_cents(transfer.amount_cents, transfer.currency)
    if payout is None:
        findings.add("missing", "transfer_unknown", ref,
                     f"Stripe sent {amount} to {transfer.destination} ({transfer.id}) with no payout of ours.")
    elif payout.status == "failed":
        findings.add("missing", "failed_payout_was_sent", ref,
                     f"Payout {payout.id} was returned to the trainer's balance, but Stripe made transfer "
                     f"{transfer.id} for it.")
    elif (transfer.amount_cents, transfer.destination) != (payout.amount_cents, payout.destination):
        findings.add("missing", "transfer_differs", ref,
                     f"Transfer {transfer.id} ({amount}) does not match payout {payout.id} "
                     f"({format_cents(payout.amount_cents, payout.currency)}).")
    elif payout.status == "paid" and payout.transfer_id != transfer.id:
        findings.add("missing", "second_transfer", ref,
                     f"Payout {payout.id} was paid by {payout.transfer_id}, and Stripe has another transfer "
                     f"{transfer.id} for it.")
    elif payout.status == "pending" and payout.created_at < now - timedelta(hours=1):
        findings.add("mismatch", "payout_unsettled", ref,
                     f"Transfer {transfer.id} was made, but payout {payout.id} is still pending; recovery should "
                     "record it shortly.")


def _acknowledged_keys() -> set[tuple[str, str]]:
    """Findings of runs whose freeze an admin lifted in writing."""
    runs = db.session.scalars(sa.select(ReconciliationRun).join(
        PayoutFreeze, PayoutFreeze.reconciliation_run_id == ReconciliationRun.id)
        .where(PayoutFreeze.lifted_at.is_not(None)))
    return {(f["code"], f["ref"]) for run in runs for f in run.findings}


def _tell_admins(run: ReconciliationRun) -> None:
    previous = db.session.scalar(sa.select(ReconciliationRun).where(ReconciliationRun.id < run.id)
                                 .order_by(ReconciliationRun.id.desc()).limit(1))
    now_keys = {(f["code"], f["ref"]) for f in run.findings}
    before_keys = {(f["code"], f["ref"]) for f in (previous.findings if previous else [])}
    if not now_keys or now_keys == before_keys:
        return
    lines = [f"- [{f['severity']}] {f['message']}" for f in run.findings[:20]]
    more = len(run.findings) - len(lines)
    subject = ("Payouts frozen: reconciliation found money missing" if run.status == "money_missing"
               else "Reconciliation found differences")
    body = "\n".join(lines + ([f"... and {more} more."] if more > 0 else []) +
                     ["", "Open the money overview to see the details."])
    for admin in db.session.scalars(sa.select(User).where(User.role == "admin", User.status == "active")):
        notices.notify(admin, subject, body, link=ADMIN_LINK, category="money")


def latest_run() -> ReconciliationRun | None:
    return db.session.scalar(sa.select(ReconciliationRun).order_by(ReconciliationRun.id.desc()).limit(1))
