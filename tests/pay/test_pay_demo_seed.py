"""The demo seed's pay step runs on a fresh database (it used to skip itself once the other demo jobs had used the
lab's funds): weeks of Amara's and Yuki's work on the demo job, a payday that paid Amara and told Yuki why her money
waits, a bonus with its reason, a disputed session; a second seed adds nothing."""
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.demo import pay as demo_pay
from marketplace.demo.seed import seed_all
from marketplace.jobs.models import Job
from marketplace.pay.models import Bonus, PayStatement, SessionDispute, WorkSession
from marketplace.payments import services as money


def test_demo_seed_gives_trainers_weeks_of_paid_work_and_runs_twice(db):
    seed_all()
    job = db.session.scalar(sa.select(Job).where(Job.title == demo_pay.TITLE))
    assert job is not None and job.status == "published" and money.escrow_balance(job.id) > 0
    amara = db.session.scalar(sa.select(User).where(User.email == "amara@trainers.example.com"))
    yuki = db.session.scalar(sa.select(User).where(User.email == "yuki@trainers.example.com"))
    weeks = set(db.session.scalars(sa.select(WorkSession.week_start).where(WorkSession.job_id == job.id,
                                                                           WorkSession.trainer_id == amara.id)))
    assert len(weeks) >= 8
    outcomes = dict(db.session.execute(sa.select(PayStatement.trainer_id, PayStatement.outcome)).all())
    assert outcomes[amara.id] == "paid" and outcomes[yuki.id] == "held"
    bonus = db.session.scalar(sa.select(Bonus).where(Bonus.trainer_id == amara.id, Bonus.job_id == job.id))
    assert bonus is not None and "justifications" in bonus.reason
    assert db.session.scalar(sa.select(sa.func.count(SessionDispute.id))) == 1
    sessions = db.session.scalar(sa.select(sa.func.count(WorkSession.id)))
    seed_all()
    assert db.session.scalar(sa.select(sa.func.count(WorkSession.id))) == sessions
