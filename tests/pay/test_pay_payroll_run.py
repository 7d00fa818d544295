"""Weekly payroll: each trainer paid once per week whatever the scheduler does; money waits, with a reason."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from marketplace.core.models import Notice
from marketplace.extensions import db
from marketplace.pay.models import PayStatement
from marketplace.payments import payroll_run, services as money
from marketplace.payments.models import Payout
from tests.factories import make_payout_ready_trainer, make_trainer

UTC = timezone.utc
PAYDAY = datetime(2028, 1, 3, 9, 0, tzinfo=UTC)  # Monday of 2028-W01: pays 2027-W52
BEFORE = PAYDAY - timedelta(minutes=1)


def earned(trainer, cents: int, key: str | None = None) -> None:
    money.pay_onboarding(trainer, cents, key or f"test-earning:{trainer.id}:{cents}")
    db.session.commit()


def payouts_of(trainer):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Payout).where(Payout.trainer_id == trainer.id)))


def test_payroll_pays_once_per_trainer_per_week_even_when_the_scheduler_runs_twice():
    ready = make_payout_ready_trainer()
    earned(ready, 4200)
    assert payroll_run.weekly_payroll(BEFORE) == 0  # not payday yet
    assert payroll_run.weekly_payroll(PAYDAY) == 1
    earned(ready, 1800, "later")  # approved after the run: waits for next week
    assert payroll_run.weekly_payroll(PAYDAY + timedelta(hours=1)) == 0
    assert payroll_run.weekly_payroll(PAYDAY + timedelta(days=3)) == 0
    [payout] = payouts_of(ready)
    assert (payout.amount_cents, payout.request_key, payout.status) == (4200, f"payroll:{ready.id}:2027-W52", "paid")
    assert money.trainer_balances(ready) == money.TrainerBalances(payable=1800, pending=0, paid_out=4200)
    assert payroll_run.weekly_payroll(PAYDAY + timedelta(days=7)) == 1  # next week: the 1,800
    assert money.trainer_balances(ready).paid_out == 6000


def test_a_restart_mid_run_finishes_the_run_without_paying_anyone_twice(monkeypatch):
    trainers = [make_payout_ready_trainer() for _ in range(3)]
    for trainer in trainers:
        earned(trainer, 2000)
    monkeypatch.setattr(payroll_run, "BATCH", 1)
    real = payroll_run._write_batch
    calls = {"n": 0}

    def crash_on_second_batch(*args, **kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the scheduler process was killed")
        return real(*args, **kw)

    monkeypatch.setattr(payroll_run, "_write_batch", crash_on_second_batch)
    with pytest.raises(RuntimeError):
        payroll_run.run(PAYDAY, send=False)
    db.session.rollback()
    assert sum(len(payouts_of(t)) for t in trainers) == 1  # the first batch was committed
    monkeypatch.setattr(payroll_run, "_write_batch", real)
    payroll_run.run(PAYDAY + timedelta(minutes=5))  # the restarted scheduler
    payroll_run.run(PAYDAY + timedelta(minutes=6))
    assert [len(payouts_of(t)) for t in trainers] == [1, 1, 1]
    assert all(money.trainer_balances(t).paid_out == 2000 for t in trainers)


def test_money_waits_for_a_payout_account_and_the_trainer_is_told_once_what_to_do():
    waiting = make_trainer()
    earned(waiting, 3000)
    payroll_run.weekly_payroll(PAYDAY)
    payroll_run.weekly_payroll(PAYDAY + timedelta(hours=1))
    assert payouts_of(waiting) == []
    assert money.trainer_balances(waiting).payable == 3000
    notices = list(db.session.scalars(sa.select(Notice).where(Notice.user_id == waiting.id)))
    assert len(notices) == 1 and "payout account" in notices[0].body and "waits" in notices[0].body
    statement = db.session.scalar(sa.select(PayStatement).where(PayStatement.trainer_id == waiting.id))
    assert (statement.outcome, statement.reason_code) == ("held", "account_not_ready")


def test_suspended_trainers_are_paid_what_they_earned_and_small_balances_carry_over():
    suspended = make_payout_ready_trainer(status="suspended")
    small = make_payout_ready_trainer()
    earned(suspended, 2500)
    earned(small, 400)  # below the $10 minimum
    payroll_run.weekly_payroll(PAYDAY)
    assert [p.amount_cents for p in payouts_of(suspended)] == [2500]
    assert payouts_of(small) == []
    statement = db.session.scalar(sa.select(PayStatement).where(PayStatement.trainer_id == small.id))
    assert statement.reason_code == "below_minimum" and "carried to next week" in statement.message


@pytest.mark.parametrize("amount", [1, 999, 123_456_789, -250])
def test_the_held_words_written_by_sql_are_the_words_of_the_pure_rules(app, amount):
    from marketplace.pay import payroll
    dialect = db.session.get_bind().dialect.name
    for code in payroll.HELD_TEMPLATES:
        sql = payroll.held_message_sql("c", "a", minimum_cents=1000, week_name="2028-W09", currency="usd",
                                       dialect=dialect)
        written = db.session.scalar(sa.text(f"SELECT {sql} FROM (SELECT CAST(:c AS VARCHAR(32)) AS c, "
                                            f"CAST(:a AS BIGINT) AS a) AS t"), {"c": code, "a": amount})
        assert written == payroll.held_message(code, amount, minimum_cents=1000, week_name="2028-W09")


def test_the_set_based_payroll_decides_as_the_pure_plan_for_a_mixed_crowd(app):
    """pay/payroll.plan_payroll is the spec; payroll_run applies it as one SQL CASE: same outcome, same code."""
    import random
    from marketplace.pay.payroll import TrainerBalance, plan_payroll
    rng = random.Random(9)
    minimum = app.config["PAYOUT_MINIMUM_CENTS"]
    crowd = []
    for n in range(24):
        status = rng.choice(["active", "active", "suspended", "deactivated"])
        trainer = make_payout_ready_trainer(status=status) if rng.random() < 0.6 else make_trainer(status=status)
        cents = rng.choice([1, minimum - 1, minimum, minimum + 1, 50_000])
        earned(trainer, cents)
        crowd.append((trainer, cents))
    payroll_run.run(PAYDAY, send=False)
    db.session.expire_all()
    plan = plan_payroll([TrainerBalance(t.id, cents, _ready(t), is_suspended=t.status == "suspended",
                                        is_leaving=t.status == "deactivated")
                         for t, cents in crowd], PAYDAY, minimum)
    expected = {p.trainer_id: ("paid", None, p.amount_cents) for p in plan.payouts}
    expected |= {h.trainer_id: ("held", h.reason, h.amount_cents) for h in plan.held}
    written = {s.trainer_id: (s.outcome, s.reason_code, s.amount_cents)
               for s in db.session.scalars(sa.select(PayStatement))}
    assert written == expected
    assert {p.trainer_id: p.message for p in plan.held} == {
        s.trainer_id: s.message for s in db.session.scalars(sa.select(PayStatement).where(
            PayStatement.outcome == "held"))}


def _ready(trainer) -> bool:
    from marketplace.payments.models import PayoutAccount
    account = db.session.scalar(sa.select(PayoutAccount).where(PayoutAccount.user_id == trainer.id))
    return account is not None and account.status == "ready"


@pytest.mark.parametrize("week_closed", [True, False], ids=["sheets closed", "sheets still open"])
def test_the_statements_worked_time_is_the_sum_of_the_trainers_sessions_of_the_week(week_closed):
    """Payroll reads the worked time from the week's timesheets (recorded_seconds, or their sessions while a
    sheet is still open) and the paid assessment sessions, never by summing every session again: the number
    must be exactly that sum, for job work on two jobs, a session left to go idle, and a paid test."""
    from marketplace.pay import periodic, timesheets
    from marketplace.pay.models import Timesheet, WorkSession
    from tests.pay.helpers import MONDAY, Clock, trainer_with_task, work, working_job
    from tests.pay.test_pay_bonus_and_onboarding import submitted_attempt
    with Clock(MONDAY) as clock:
        first, second = working_job(), working_job(rate_cents=2600)
        busy, tested = make_payout_ready_trainer(), make_trainer()
        for job in (first, second):
            trainer_with_task(job, busy)
        trainer_with_task(first, tested)
        work(busy, first, clock, beats=40)
        clock.advance(minutes=3)
        work(busy, second, clock, beats=25, every=20)
        clock.advance(minutes=2)
        work(tested, first, clock, beats=7, final=False)  # left open: the idle sweep closes it
        submitted_attempt(tested, status="passed", seconds=1320, now=clock.now)
        clock.advance(hours=2)
        periodic.sweep_sessions(clock.now)
        db.session.commit()
        earned(busy, 5000)
        payday = clock.at(MONDAY + timedelta(days=7))
        if week_closed:
            assert timesheets.close_weeks(payday) == 3
            db.session.commit()
        sheets = list(db.session.scalars(sa.select(Timesheet.status)))
        assert sheets and all((status != "open") == week_closed for status in sheets)
        payroll_run.run(payday, send=False)
        db.session.expire_all()
        sums = dict(db.session.execute(sa.select(WorkSession.trainer_id, sa.func.sum(WorkSession.seconds))
                                       .where(WorkSession.week_start == MONDAY.replace(hour=0))
                                       .group_by(WorkSession.trainer_id)).all())
        worked = dict(db.session.execute(sa.select(PayStatement.trainer_id, PayStatement.worked_seconds)).all())
        assert sums[tested.id] > 1320 and sums[busy.id] > 0
        assert worked == {busy.id: sums[busy.id], tested.id: sums[tested.id]}
