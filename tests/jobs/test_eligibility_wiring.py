"""Eligibility with real data: qualifications from the assessments room, standing from the moderation room."""
from datetime import timedelta

import time_machine

from marketplace.assessments import holdings, services as assessments
from marketplace.core.time import utcnow
from marketplace.jobs import services
from marketplace.moderation.countries import announce_withdrawal
from tests.factories import make_admin, make_assessment, make_job, make_sanction, make_trainer


def codes(user, job):
    return [e.code for e in services.eligibility(user, job)]


def test_a_held_qualification_opens_the_job_and_a_missing_one_names_its_assessment(db):
    make_assessment("hate-speech-en")
    job = make_job(status="published", tasks=1, required_qualifications=["hate-speech-en"])
    trainer = make_trainer()
    [exclusion] = services.eligibility(trainer, job)
    assert exclusion.message == "Requires the Skill hate-speech-en qualification."
    assert exclusion.remedy == "Take the Test of hate-speech-en assessment."
    holdings.admin_grant(trainer, assessments.qualification_by_key("hate-speech-en"), actor=make_admin(),
                         reason="Passed the same test at a partner platform last month.")
    db.session.commit()
    assert services.eligibility(trainer, job) == []


def test_an_expired_qualification_no_longer_counts(db):
    make_assessment("hate-speech-en", validity_days=30)
    job = make_job(status="published", tasks=1, required_qualifications=["hate-speech-en"])
    trainer = make_trainer()
    holdings.admin_grant(trainer, assessments.qualification_by_key("hate-speech-en"), actor=make_admin(),
                         reason="Proven on an equivalent test elsewhere.")
    db.session.commit()
    with time_machine.travel(utcnow() + timedelta(days=31)):
        assert codes(trainer, job) == ["qualification"]


def test_unknown_qualification_key_is_refused_when_creating_a_job(db):
    import pytest
    from marketplace.core.errors import ValidationFailed
    from tests.factories import make_requester
    with pytest.raises(ValidationFailed, match="does not exist: astrology"):
        services.create_job(make_requester(), {"title": "Stars", "kind": "writing", "hourly_rate_cents": 2000,
                                               "required_qualifications": ["astrology"]})


def test_suspension_and_a_job_sanction_exclude_with_the_written_reason(db):
    job = make_job(status="published", tasks=1)
    trainer, admin = make_trainer(), make_admin()
    make_sanction(trainer, admin, level="temporary", scope="job", scope_id=job.id,
                  ends_at=utcnow() + timedelta(days=7))
    [exclusion] = services.eligibility(trainer, job)
    assert exclusion.code == "job_sanction" and "40 answers in 90 seconds" in exclusion.message
    assert "appeal" in exclusion.remedy
    other = make_trainer()
    make_sanction(other, admin, level="temporary", ends_at=utcnow() + timedelta(days=7))
    db.session.refresh(other)
    assert "standing" in codes(other, job)


def test_a_country_withdrawal_excludes_once_it_takes_effect(db):
    job = make_job(status="published", tasks=1)
    trainer = make_trainer(country="MY")
    announce_withdrawal("MY", effective_at=utcnow() + timedelta(days=31),
                        reason="our payment partner stops serving Malaysia", actor=make_admin())
    db.session.commit()
    assert codes(trainer, job) == []
    with time_machine.travel(utcnow() + timedelta(days=32)):
        [exclusion] = services.eligibility(trainer, job)
        assert exclusion.code == "country_withdrawn" and "payment partner" in exclusion.message
