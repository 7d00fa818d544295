"""The ledger: balanced integer entries, one writer, idempotent keys, append-only history, guarded balances."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketplace.extensions import db
from marketplace.payments import ledger
from marketplace.payments.ledger import InsufficientFunds, LedgerConflict
from marketplace.payments.models import LedgerAccount, LedgerEntry, LedgerTransaction
from tests.factories import give_funds, make_requester, make_trainer


def _top_up(user, cents, key):
    return ledger.post(key, {ledger.STRIPE_CLEARING: -cents, ledger.requester_funds(user.id): cents},
                       kind="top_up", description="test top-up")


def test_a_transaction_must_balance_to_zero():
    user = make_requester()
    with pytest.raises(ValueError, match="balance to zero"):
        ledger.post("k1", {ledger.STRIPE_CLEARING: -100, ledger.requester_funds(user.id): 99},
                    kind="top_up", description="x")
    assert db.session.scalar(sa.select(sa.func.count(LedgerTransaction.id))) == 0


@pytest.mark.parametrize("amount", [1.5, "100", True, None])
def test_amounts_are_integer_cents_only(amount):
    user = make_requester()
    with pytest.raises(ValueError):
        ledger.post("k1", [(ledger.STRIPE_CLEARING, amount), (ledger.requester_funds(user.id), 100)],
                    kind="top_up", description="x")


@pytest.mark.parametrize("name", ["requester_funds", "requester_funds:abc", "platform_fees:3", "bogus:1", ""])
def test_unknown_or_malformed_account_names_are_refused(name):
    with pytest.raises(ValueError):
        ledger.post("k1", {name: -5, ledger.PLATFORM_FEES: 5}, kind="x", description="x")


def test_one_account_is_not_a_movement():
    user = make_requester()
    with pytest.raises(ValueError, match="at least two"):
        ledger.post("k1", [(ledger.requester_funds(user.id), 5), (ledger.requester_funds(user.id), -5)],
                    kind="x", description="x")


def test_same_key_same_entries_returns_the_first_transaction():
    user = make_requester()
    first = _top_up(user, 2500, "topup:pi_1")
    again, created = ledger.post_once("topup:pi_1", {ledger.requester_funds(user.id): 2500,
                                                    ledger.STRIPE_CLEARING: -2500}, kind="top_up", description="again")
    db.session.commit()
    assert again.id == first.id and created is False
    assert ledger.balance(ledger.requester_funds(user.id)) == 2500
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == 2


def test_same_key_different_entries_is_a_conflict_and_changes_nothing():
    user = make_requester()
    _top_up(user, 2500, "topup:pi_1")
    db.session.commit()
    with pytest.raises(LedgerConflict):
        _top_up(user, 9999, "topup:pi_1")
    assert ledger.balance(ledger.requester_funds(user.id)) == 2500


def test_guarded_account_cannot_go_negative_and_nothing_is_written():
    user = make_requester()
    give_funds(user, 1000)
    with pytest.raises(InsufficientFunds) as excinfo:
        ledger.post("escrow:1", {ledger.requester_funds(user.id): -1001, ledger.job_escrow(1): 1001},
                    kind="escrow_fund", description="x")
    assert "$10.00 available, $10.01 needed" in excinfo.value.message
    db.session.commit()
    assert ledger.balance(ledger.requester_funds(user.id)) == 1000
    assert ledger.balance(ledger.job_escrow(1)) == 0
    assert ledger.find("escrow:1") is None
    assert ledger.integrity_problems() == []


def test_a_failed_post_leaves_the_callers_other_work_in_place():
    user = make_requester()
    give_funds(user, 500)
    _top_up(user, 100, "keep-me")
    with pytest.raises(InsufficientFunds):
        ledger.post("too-much", {ledger.requester_funds(user.id): -10_000, ledger.job_escrow(2): 10_000},
                    kind="escrow_fund", description="x")
    db.session.commit()
    assert ledger.balance(ledger.requester_funds(user.id)) == 600


def test_entries_and_transactions_cannot_be_updated_or_deleted():
    user = make_requester()
    txn = _top_up(user, 700, "k")
    db.session.commit()
    entry = db.session.scalar(sa.select(LedgerEntry).limit(1))
    entry.amount_cents = 1
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(LedgerTransaction, txn.id))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    assert ledger.balance(ledger.requester_funds(user.id)) == 700


def test_check_constraint_backs_up_the_guard():
    user = make_requester()
    give_funds(user, 100)
    table = LedgerAccount.__table__
    with pytest.raises(IntegrityError):
        db.session.execute(table.update().where(table.c.name == ledger.requester_funds(user.id))
                           .values(balance_cents=-1))
    db.session.rollback()


def test_balances_are_sums_and_history_has_running_balance():
    user = make_requester()
    _top_up(user, 5000, "a")
    ledger.post("b", {ledger.requester_funds(user.id): -1200, ledger.job_escrow(7): 1200}, kind="escrow_fund",
                description="Budget for job #7")
    _top_up(user, 300, "c")
    db.session.commit()
    lines = ledger.history(ledger.requester_funds(user.id), newest_first=False)
    assert [(line.amount_cents, line.balance_cents) for line in lines] == [(5000, 5000), (-1200, 3800), (300, 4100)]
    assert ledger.balance(ledger.requester_funds(user.id)) == 4100  # guarded: its guard row
    assert ledger.balance(ledger.job_escrow(7)) == 1200
    assert ledger.balance(ledger.STRIPE_CLEARING) == -5300  # unguarded: the sum of its entries
    assert ledger.balance(ledger.job_escrow(8)) == 0  # never used
    assert ledger.totals_by_kind() == {"stripe_clearing": -5300, "requester_funds": 4100, "job_escrow": 1200}
    assert ledger.integrity_problems() == []


def test_integrity_check_reports_a_guard_row_that_drifted_from_the_sums():
    user = make_requester()
    give_funds(user, 100)
    table = LedgerAccount.__table__
    db.session.execute(table.update().where(table.c.name == ledger.requester_funds(user.id)).values(balance_cents=90))
    db.session.commit()
    problems = ledger.integrity_problems()
    assert [p["code"] for p in problems] == ["guard_row_differs"]


def test_concurrent_spends_never_overdraw(app):
    """20 threads each try to move $10 out of $100: exactly 10 succeed, on SQLite and PostgreSQL alike."""
    from marketplace.payments.provider import begin_write

    user = make_requester()
    give_funds(user, 10_000)
    user_id = user.id
    outcomes: list[str] = []
    barrier = threading.Barrier(20)

    def spend(n: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                begin_write()
                ledger.post(f"spend:{n}", {ledger.requester_funds(user_id): -1000, ledger.job_escrow(n + 1): 1000},
                            kind="escrow_fund", description="x")
                db.session.commit()
                outcomes.append("ok")
            except InsufficientFunds:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=spend, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] * 10 + ["refused"] * 10
    db.session.rollback()  # a fresh snapshot: the threads committed after ours began
    assert ledger.balance(ledger.requester_funds(user_id)) == 0
    assert ledger.integrity_problems() == []


def test_concurrent_same_key_posts_write_once(app):
    user = make_requester()
    user_id = user.id
    barrier = threading.Barrier(8)
    ids: list[int] = []

    def post() -> None:
        with app.app_context():
            barrier.wait()
            from marketplace.payments.provider import begin_write
            begin_write()
            txn = ledger.post("topup:pi_same", {ledger.STRIPE_CLEARING: -100, ledger.requester_funds(user_id): 100},
                              kind="top_up", description="x")
            ids.append(txn.id)
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1 and len(ids) == 8
    db.session.rollback()
    assert ledger.balance(ledger.requester_funds(user_id)) == 100


# --- bulk posting (post_many, post_transfers): the same rules, set-based -------------------------------------

def _payable(amount_by_trainer):
    ledger.post_many([ledger.Posting(f"earned:{t}", {ledger.ONBOARDING_COST: -a, ledger.trainer_payable(t): a},
                                     kind="earning", description="earned") for t, a in amount_by_trainer.items()])


def _transfers(rows):
    """SQL for post_transfers from literal rows (key, trainer, amount)."""
    return " UNION ALL ".join(f"SELECT '{k}', {t}, {t}, {a}, 'reserve', '{{}}'" for k, t, a in rows)


def test_post_transfers_writes_two_balanced_entries_per_row_and_a_replay_writes_nothing(db):
    trainers = [make_trainer() for _ in range(3)]
    _payable({t.id: 1000 * (n + 1) for n, t in enumerate(trainers)})
    rows = [(f"reserve:{t.id}", t.id, 500) for t in trainers]
    kw = dict(from_kind=ledger.TRAINER_PAYABLE, to_kind=ledger.TRAINER_PENDING, kind="payout_reserve")
    assert ledger.post_transfers(_transfers(rows), {}, **kw) == 3
    assert ledger.post_transfers(_transfers(rows), {}, **kw) == 0  # the same keys, the same entries: a replay
    db.session.commit()
    assert [ledger.balance(ledger.trainer_payable(t.id)) for t in trainers] == [500, 1500, 2500]
    assert [ledger.balance(ledger.trainer_pending(t.id)) for t in trainers] == [500, 500, 500]
    assert ledger.entries_of(ledger.find(rows[0][0]).id) == {ledger.trainer_payable(trainers[0].id): -500,
                                                            ledger.trainer_pending(trainers[0].id): 500}
    assert ledger.integrity_problems() == []
    with pytest.raises(LedgerConflict):  # a key reused for other amounts
        ledger.post_transfers(_transfers([(rows[0][0], trainers[0].id, 499)]), {}, **kw)


def test_post_transfers_refuses_an_overdraft_or_an_account_never_opened_and_writes_nothing(db):
    rich, poor, stranger = make_trainer(), make_trainer(), make_trainer()
    _payable({rich.id: 1000, poor.id: 100})
    db.session.commit()
    kw = dict(from_kind=ledger.TRAINER_PAYABLE, to_kind=ledger.TRAINER_PENDING, kind="payout_reserve")
    with pytest.raises(IntegrityError):  # the CHECK constraint on the guard row
        with db.session.begin_nested():
            ledger.post_transfers(_transfers([("a", rich.id, 1000), ("b", poor.id, 101)]), {}, **kw)
    with pytest.raises(InsufficientFunds):
        with db.session.begin_nested():
            ledger.post_transfers(_transfers([("c", stranger.id, 1)]), {}, **kw)
    with pytest.raises(ValueError):
        ledger.post_transfers(_transfers([("d", rich.id, 0)]), {}, **kw)
    db.session.rollback()
    assert ledger.balance(ledger.trainer_payable(rich.id)) == 1000 and ledger.find("a") is None
    assert ledger.integrity_problems() == []
