"""`flask demo seed` loads all three assessments and gives demo trainers a mix of states, idempotently."""
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.assessments import services
from marketplace.assessments.models import Assessment, Attempt, ItemContest


def test_demo_seed_loads_assessments_and_trainer_states_and_can_run_twice(app, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    db.session.expire_all()
    assert {a.key for a in db.session.scalars(sa.select(Assessment))} == \
        {"hate-speech-en-v1", "lang-ms-professional-v1", "python-code-review-v1"}

    def user(prefix):
        return db.session.scalar(sa.select(User).where(User.email.startswith(prefix)))

    def statuses(prefix):
        return [a.status for a in db.session.scalars(sa.select(Attempt).where(Attempt.user_id == user(prefix).id))]

    assert statuses("amara") == ["passed"] and services.active_qualification_keys(user("amara").id) == {"hate-speech-en"}
    assert statuses("grace") == ["pending_review"] and statuses("minjun") == ["pending_review"]
    assert statuses("nurul") == ["failed"]
    nurul = services.assessments_overview(user("nurul").id)
    assert {c.assessment.key: c.standing.code for c in nurul}["lang-ms-professional-v1"] == "cooldown"
    assert db.session.scalar(sa.select(sa.func.count(ItemContest.id))) == 1
