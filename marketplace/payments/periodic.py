"""Scheduled bodies of the money room: each takes `now`, is idempotent, and returns a count."""
from __future__ import annotations

from ..extensions import db
from . import payouts, reconciliation, refunds
from .provider import begin_write, gateway


def recover_payments(now) -> int:
    """Finish payouts and refunds whose sender died or met a gateway outage (looked up at Stripe by key first)."""
    from .country_payouts import settle_pending
    gw = gateway()
    begin_write()
    settle_pending(now)  # withdrawn countries whose trainers were not all paid in full yet
    db.session.commit()
    done = payouts.recover_payouts(now, gw)
    begin_write()
    settle_pending(now)  # and marked settled once those payouts went out
    db.session.commit()
    for refund_id in refunds.due_refunds(now):
        refund = refunds.send_refund(refund_id, gw, now=now, look_first=True)
        done += refund is not None and refund.status != "pending"
    return done


def reconcile_payments(now) -> int:
    """Compare the ledger with itself and with Stripe; freeze payouts if money is missing; returns the findings."""
    found = reconciliation.gather(now, gateway())
    begin_write()
    run = reconciliation.record(now, found)
    db.session.commit()
    return len(run.findings)


def pause_underfunded_jobs(now) -> int:
    """Pause published jobs whose escrow cannot pay for another hour of work; their requesters are told why."""
    from .job_funding import pause_underfunded_jobs as pause
    return pause(now)


def weekly_payroll(now) -> int:
    """Payday: pay last week's payroll once per trainer (payroll_run.py); hourly, so it catches up."""
    from . import payroll_run  # the pay room's payroll lives beside this file

    return payroll_run.weekly_payroll(now)
