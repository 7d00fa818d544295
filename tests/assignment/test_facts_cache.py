"""Claims reuse a trainer's eligibility facts while nothing they rest on has changed (assignment/facts_cache.py).

Each test warms the cache with a claim, changes one fact the way the product (or a bare SQL statement) would,
and checks the very next claim sees it: the database's triggers bump the trainer's eligibility_version, and
time-bound facts (a qualification's expiry, a country withdrawal's day) end the remembered facts on time.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import TrainerLanguage, User
from marketplace.assessments import holdings
from marketplace.assessments.models import Qualification, TrainerQualification
from marketplace.assignment import facts_cache, services
from marketplace.core.time import utcnow
from marketplace.extensions import db
from marketplace.moderation import services as moderation
from marketplace.moderation.countries import announce_withdrawal
from marketplace.quality import removals
from marketplace.quality.restrictions import RestrictionDecision
from tests.factories import make_admin, make_open_job, make_requester, make_sanction, make_trainer


def version(user) -> int:
    return db.session.scalar(sa.select(User.eligibility_version).where(User.id == user.id))


def warm(trainer, job, now=None):
    """A claim (facts remembered), committed; returns the claim's assignments."""
    held = services.claim_next(job, trainer, now=now)
    db.session.commit()
    assert (trainer.id, job.id) in facts_cache._store().entries
    return held


def refused(trainer, job, now=None) -> str:
    with pytest.raises(services.NotEligible) as caught:
        services.claim_next(job, trainer, now=now)
    db.session.rollback()
    return " ".join(e["code"] for e in caught.value.errors)


def english_job(**fields):
    return make_open_job(required_languages=[{"code": "en", "min_proficiency": "fluent"}], tasks=20, **fields)


def test_a_second_claim_reads_no_fact_tables_only_the_version():
    job, trainer = english_job(), make_trainer(languages=(("en", "native"),))
    warm(trainer, job)
    seen = []
    listener = lambda conn, cursor, statement, *a: seen.append(statement)  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        services.claim_next(job, trainer, k=2)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    facts_tables = ("sanctions", "requester_blocks", "country_withdrawals", "trainer_languages",
                    "trainer_qualifications", "quality_restrictions")
    assert [s for s in seen if any(f"FROM {t}" in s for t in facts_tables)] == []
    assert any("eligibility_version" in s for s in seen)


def test_a_sanction_on_the_job_after_a_claim_stops_the_next_claim():
    job, trainer = english_job(), make_trainer(languages=(("en", "native"),))
    warm(trainer, job)
    before = version(trainer)
    make_sanction(trainer, make_admin(), level="temporary", scope="job", scope_id=job.id,
                  ends_at=utcnow() + timedelta(days=7))
    assert version(trainer) > before
    assert refused(trainer, job) == "job_sanction"


def test_a_requester_block_after_a_claim_stops_the_next_claim():
    requester = make_requester()
    job, trainer = english_job(requester=requester), make_trainer(languages=(("en", "native"),))
    warm(trainer, job)
    moderation.block_trainer(requester, trainer.id, reason="Copied the same caption across thirty images.")
    db.session.commit()
    assert refused(trainer, job) == "requester_block"


def test_a_language_removed_in_the_same_transaction_stops_the_next_claim():
    """No commit in between: the version is read from the database, not from the person loaded earlier."""
    job, trainer = english_job(), make_trainer(languages=(("en", "native"),))
    warm(trainer, job)
    db.session.execute(sa.delete(TrainerLanguage).where(TrainerLanguage.user_id == trainer.id))
    assert refused(trainer, job) == "language"


def test_a_bare_sql_statement_revoking_a_qualification_is_seen():
    db.session.add(Qualification(key="hate-speech-en", name="Hate-speech judgement (English)", kind="task_skill"))
    db.session.commit()
    job, trainer = make_open_job(required_qualifications=["hate-speech-en"], tasks=20), make_trainer()
    holdings.admin_grant(trainer, db.session.query(Qualification).one(), actor=make_admin(),
                         reason="Passed the same test on our previous platform in 2025.")
    db.session.commit()
    warm(trainer, job)
    db.session.execute(sa.text("UPDATE trainer_qualifications SET status = 'revoked' WHERE user_id = :u"),
                       {"u": trainer.id})
    db.session.commit()
    assert refused(trainer, job) == "qualification"


def test_a_qualification_expiring_ends_the_remembered_facts_on_time():
    db.session.add(Qualification(key="hate-speech-en", name="Hate-speech judgement (English)", kind="task_skill"))
    db.session.commit()
    now = utcnow()
    job, trainer = make_open_job(required_qualifications=["hate-speech-en"], tasks=20), make_trainer()
    holdings.admin_grant(trainer, db.session.query(Qualification).one(), actor=make_admin(),
                         reason="Passed the same test on our previous platform in 2025.")
    db.session.execute(sa.update(TrainerQualification).values(expires_at=now + timedelta(seconds=30)))
    db.session.commit()
    warm(trainer, job, now=now)
    assert refused(trainer, job, now=now + timedelta(seconds=31)) == "qualification"


def test_a_country_withdrawal_announced_after_a_claim_takes_effect_on_its_day():
    job, trainer = english_job(), make_trainer(country="DE", languages=(("en", "native"),))
    bystander = make_trainer(country="FR")
    now = utcnow()
    warm(trainer, job, now=now)
    before, other = version(trainer), version(bystander)
    announce_withdrawal("DE", effective_at=now + timedelta(days=31), reason="new payment regulation",
                        actor=make_admin())
    db.session.commit()
    assert version(trainer) > before and version(bystander) == other  # everyone in Germany, nobody else
    services.claim_next(job, trainer, now=now + timedelta(minutes=1))  # the notice period: work goes on
    db.session.commit()
    assert refused(trainer, job, now=now + timedelta(days=31, seconds=1)) == "country_withdrawn"


def test_a_quality_removal_written_by_the_quality_room_stops_the_next_claim():
    job, trainer = english_job(), make_trainer(languages=(("en", "native"),))
    warm(trainer, job)
    decision = RestrictionDecision(status="restrict", rule={"text": "Gold below 70%."}, evidence={},
                                   how_to_return={"text": "Pass the refresher."}, message="Removed by the rule.",
                                   audit_reason="gold 5 of 10")
    assert removals.restrict(job, trainer.id, decision, utcnow()) is not None
    db.session.commit()
    assert refused(trainer, job) == "quality_restriction"
