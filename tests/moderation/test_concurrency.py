"""Races on PostgreSQL with real threads: two filings of one appeal, two admins deciding one appeal."""
import threading

import pytest
import sqlalchemy as sa

from marketplace.core.errors import DomainError
from marketplace.extensions import db as _db
from marketplace.moderation import services
from marketplace.moderation.models import Appeal
from marketplace.accounts.models import User
from tests.factories import make_admin, make_sanction, make_trainer

pytestmark = pytest.mark.postgres_only
TEXT = "The account was never shared; the second login was my own phone."
REASON = "Login history shows one person on two devices of their own."


def race(app, actions) -> list[str]:
    """Run each action in its own thread, app context and database session, released together."""
    barrier = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def run(index, action):
        with app.app_context():
            try:
                barrier.wait()
                action()
                _db.session.commit()
                outcomes[index] = "ok"
            except DomainError as exc:
                _db.session.rollback()
                outcomes[index] = exc.code
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return sorted(outcomes)


def test_two_simultaneous_filings_of_one_appeal_make_one_appeal(app, db):
    trainer = make_trainer()
    sanction_id, trainer_id = make_sanction(trainer, make_admin(), level="permanent").id, trainer.id

    def file():
        services.file_appeal(_db.session.get(User, trainer_id), "sanction", sanction_id, TEXT)

    assert race(app, [file, file]) == ["conflict", "ok"]
    assert db.session.scalar(sa.select(sa.func.count(Appeal.id))) == 1


def test_two_admins_deciding_at_once_record_one_decision(app, db):
    trainer, issuer, first, second = make_trainer(), make_admin(), make_admin(), make_admin()
    appeal = services.file_appeal(trainer, "sanction", make_sanction(trainer, issuer, level="permanent").id, TEXT)
    db.session.commit()
    ids = (appeal.id, first.id, second.id)

    def decide(admin_id, outcome):
        def action():
            services.decide_appeal(_db.session.get(Appeal, ids[0]), _db.session.get(User, admin_id),
                                   outcome=outcome, reason=REASON)
        return action

    assert race(app, [decide(ids[1], "overturned"), decide(ids[2], "upheld")]) == ["conflict", "ok"]
    db.session.expire_all()
    decided = db.session.get(Appeal, appeal.id)
    expected_status = "active" if decided.status == "overturned" else "deactivated"
    assert db.session.get(User, trainer.id).status == expected_status
