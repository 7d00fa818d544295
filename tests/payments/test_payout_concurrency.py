"""Concurrent payout requests and real process crashes: still exactly one transfer per payout."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.core.time import utcnow
from marketplace.extensions import db
from marketplace.payments import ledger, payouts, services
from marketplace.payments.ledger import InsufficientFunds
from marketplace.payments.models import Payout
from tests.factories import make_admin, make_payout_ready_trainer

ROOT = Path(__file__).resolve().parents[2]


def _ready_trainer(app_gateway, cents=12_345):
    trainer = make_payout_ready_trainer(app_gateway.gateway, app_gateway.complete_onboarding)
    services.pay_onboarding(trainer, cents, f"onboarding:{trainer.id}")
    db.session.commit()
    return trainer


def _run_threads(count, target):
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(n):
        try:
            barrier.wait()
            target(n)
        except BaseException as exc:  # reported below; a thread's exception would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def _pay_all_concurrently(app, app_gateway, trainer_id, admin_id, count, same_key: bool):
    outcomes: list[str] = []

    def request(n):
        with app.app_context():
            try:
                trainer, admin = db.session.get(User, trainer_id), db.session.get(User, admin_id)
                from marketplace.payments.provider import begin_write
                begin_write()
                try:
                    payout = payouts.pay_trainer(trainer, None, actor=admin, reason="Pay everything now",
                                                 idempotency_key="payroll:same" if same_key else f"click:{n}")
                    db.session.commit()
                except InsufficientFunds:
                    db.session.rollback()
                    outcomes.append("nothing left")
                    return
                if payout is None:
                    outcomes.append("nothing left")
                    return
                payouts.send_payout(payout.id, app_gateway.gateway)
                outcomes.append(f"payout {payout.id}")
            finally:
                db.session.remove()

    _run_threads(count, request)
    return outcomes


def _check_one_transfer(app_gateway, trainer_id, cents):
    db.session.rollback()
    assert app_gateway.transfers_created() == 1
    rows = db.session.scalars(sa.select(Payout)).all()
    assert [(p.status, p.amount_cents) for p in rows] == [("paid", cents)]
    trainer = db.session.get(User, trainer_id)
    assert services.trainer_balances(trainer) == services.TrainerBalances(payable=0, pending=0, paid_out=cents)
    assert ledger.integrity_problems() == []


@pytest.mark.postgres_only
@pytest.mark.parametrize("same_key", [True, False], ids=["same-key", "different-keys"])
def test_fifty_concurrent_identical_payout_requests_make_one_transfer(app, stripe_app_gateway, same_key):
    trainer, admin = _ready_trainer(stripe_app_gateway), make_admin()
    outcomes = _pay_all_concurrently(app, stripe_app_gateway, trainer.id, admin.id, 50, same_key)
    assert len(outcomes) == 50
    if not same_key:
        assert sorted(outcomes).count("nothing left") == 49
    _check_one_transfer(stripe_app_gateway, trainer.id, 12_345)


@pytest.mark.parametrize("same_key", [True, False], ids=["same-key", "different-keys"])
def test_concurrent_identical_payout_requests_make_one_transfer_on_any_database(app, sim_app_gateway, same_key):
    trainer, admin = _ready_trainer(sim_app_gateway), make_admin()
    outcomes = _pay_all_concurrently(app, sim_app_gateway, trainer.id, admin.id, 10, same_key)
    assert len(outcomes) == 10
    _check_one_transfer(sim_app_gateway, trainer.id, 12_345)


@pytest.mark.postgres_only
def test_fifty_concurrent_admin_form_submissions_make_one_transfer(app, stripe_app_gateway):
    """The same manual-payout form (one token) sent 50 times at once through the web app."""
    trainer, admin = _ready_trainer(stripe_app_gateway), make_admin()
    trainer_id, admin_session_id = trainer.id, admin.get_id()
    statuses: list[int] = []

    def submit(n):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = admin_session_id
            session["_fresh"] = True
        response = client.post(f"/admin/money/trainers/{trainer_id}/payout",
                               data={"amount": "", "reason": "Trainer asked to be paid before leaving",
                                     "token": "ab" * 16})
        statuses.append(response.status_code)

    _run_threads(50, submit)
    assert statuses == [302] * 50
    _check_one_transfer(stripe_app_gateway, trainer_id, 12_345)


CRASH_SCRIPT = r'''
import os, sys
sys.path.insert(0, {root!r})
from config import TestConfig
from marketplace import create_app
from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.payments import payouts
from marketplace.payments.gateway import build_gateway

app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI={db_url!r}, SECRET_KEY="c" * 40)
gateway = build_gateway(secret_key="sk_test_fairtrain_local", webhook_secret=None, api_base={api!r},
                        connect_api_base={connect!r}, max_network_retries=0)
real_create = gateway.create_transfer

def dying_create(*args, **kwargs):
    if {when!r} == "before_call":
        os._exit(3)          # the process dies with the payout committed, before Stripe hears of it
    real_create(*args, **kwargs)
    os._exit(3)              # Stripe made the transfer; the process dies before recording it

gateway.create_transfer = dying_create
with app.app_context():
    trainer = db.session.get(User, {trainer_id})
    payout = payouts.pay_trainer(trainer, None, actor=None, reason="payroll", idempotency_key="payroll:crash")
    db.session.commit()
    print("payout", payout.id, flush=True)
    payouts.send_payout(payout.id, gateway)
print("not reached", flush=True)
'''


@pytest.mark.parametrize("when", ["before_call", "after_call"])
def test_a_real_process_death_around_the_transfer_ends_with_one_transfer(app, database, stripe_app_gateway, when):
    """A separate Python process reserves a payout and is killed (os._exit) before or after the Stripe call;
    recovery in this process then finishes it: exactly one transfer and a balanced ledger."""
    trainer = _ready_trainer(stripe_app_gateway)
    script = CRASH_SCRIPT.format(root=str(ROOT), db_url=database.url, api=stripe_app_gateway.localstripe_url,
                                 connect=stripe_app_gateway.fake.url, when=when, trainer_id=trainer.id)
    env = dict(os.environ, FAIRTRAIN_INSTANCE=os.environ["FAIRTRAIN_INSTANCE"])
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env,
                          cwd=ROOT)
    assert done.returncode == 3, done.stdout + done.stderr
    payout_id = int(re.search(r"payout (\d+)", done.stdout).group(1))
    db.session.rollback()
    assert db.session.get(Payout, payout_id).status == "pending"
    assert stripe_app_gateway.transfers_created() == (1 if when == "after_call" else 0)

    later = utcnow() + timedelta(seconds=payouts.LOCK_SECONDS + 1)
    assert payouts.recover_payouts(later, stripe_app_gateway.gateway) == 1
    _check_one_transfer(stripe_app_gateway, trainer.id, 12_345)
