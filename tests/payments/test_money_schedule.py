"""The money room's scheduled jobs are in SCHEDULE and do their work through the scheduler's runner."""
from __future__ import annotations

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.payments import payouts, services
from marketplace.payments.models import Payout, ReconciliationRun
from marketplace.scheduler import SCHEDULE, run_job
from tests.factories import make_payout_ready_trainer


def test_recovery_and_reconciliation_are_scheduled():
    jobs = {job.id: job for job in SCHEDULE}
    assert jobs["recover_payments"].func == "marketplace.payments.periodic:recover_payments"
    assert jobs["reconcile_payments"].trigger == "cron"


def test_the_scheduler_finishes_a_payout_left_behind_and_reconciles(app, sim_app_gateway):
    trainer = make_payout_ready_trainer()
    services.pay_onboarding(trainer, 4_000, "onb")
    payouts.pay_trainer(trainer, None, actor=None, reason="payroll", idempotency_key="left-behind")
    db.session.commit()  # the web process died here
    assert run_job("recover_payments", holder="test") == 1
    assert run_job("recover_payments", holder="test") == 0
    assert db.session.scalar(sa.select(Payout.status)) == "paid" and sim_app_gateway.transfers_created() == 1
    assert run_job("reconcile_payments", holder="test") == 0
    assert db.session.scalar(sa.select(ReconciliationRun.status)) == "ok"
