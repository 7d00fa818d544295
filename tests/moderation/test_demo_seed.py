"""The demo seed's due-process step: the code of conduct, one warning and one open appeal, idempotently."""
import sqlalchemy as sa

from marketplace.core.models import AuditEvent
from marketplace.demo.seed import seed_all
from marketplace.moderation import services
from marketplace.moderation.models import Appeal, Sanction


def test_demo_seed_has_the_code_a_warning_and_an_open_appeal_and_runs_twice(db):
    seed_all()
    seed_all()
    assert services.current_version().number == 1
    sanctions = db.session.scalars(sa.select(Sanction)).all()
    assert [(s.level, s.user.email, s.clauses[0].number) for s in sanctions] == [
        ("warning", "tom@trainers.example.com", "1.3")]
    appeals = db.session.scalars(sa.select(Appeal)).all()
    assert [(a.status, a.appellant.email, a.decision_maker.email) for a in appeals] == [
        ("open", "tom@trainers.example.com", "admin@fairtrain.example.com")]
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action.like("sanction.%"))) == 1
