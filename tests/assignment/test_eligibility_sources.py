"""The work engine reads the facts eligibility needs from the rooms below: qualifications (assessments) and
standing (moderation: sanctions on a job or a requester's jobs, requester blocks, country withdrawals)."""
from datetime import timedelta

import pytest

from marketplace.assessments import holdings
from marketplace.assessments.models import Qualification
from marketplace.assignment import services
from marketplace.core.time import utcnow
from marketplace.extensions import db
from marketplace.moderation import services as moderation
from marketplace.moderation.countries import announce_withdrawal
from tests.factories import make_admin, make_open_job, make_requester, make_sanction, make_trainer


def codes(trainer, job):
    return [e.code for e in services.work_exclusions(trainer, job, utcnow()) if e.blocking]


def test_a_qualification_granted_in_assessments_opens_the_job():
    qualification = Qualification(key="hate-speech-en", name="Hate-speech judgement (English)", kind="task_skill")
    db.session.add(qualification)
    db.session.commit()
    job = make_open_job(required_qualifications=["hate-speech-en"])
    trainer = make_trainer()
    excluded = services.work_exclusions(trainer, job, utcnow())
    assert [e.code for e in excluded] == ["qualification"]
    assert "Requires the Hate-speech judgement (English) qualification." == excluded[0].message
    holdings.admin_grant(trainer, qualification, actor=make_admin(),
                         reason="Passed the same test on our previous platform in 2025.")
    db.session.commit()
    assert codes(trainer, job) == []
    assert services.claim_next(job, trainer)[0].task.seq == 1


def test_a_sanction_on_one_job_keeps_the_trainer_from_that_job_only_with_the_reason():
    requester = make_requester()
    barred, other = make_open_job(requester, title="Barred"), make_open_job(make_requester(), title="Other")
    trainer = make_trainer()
    make_sanction(trainer, make_admin(), level="temporary", scope="job", scope_id=barred.id,
                  ends_at=utcnow() + timedelta(days=7))
    excluded = [e for e in services.work_exclusions(trainer, barred, utcnow()) if e.blocking]
    assert [e.code for e in excluded] == ["job_sanction"]
    assert excluded[0].message.startswith("You cannot take this job: ")
    assert "40 answers in 90 seconds" in excluded[0].message and "appeal" in excluded[0].remedy
    assert codes(trainer, other) == []
    with pytest.raises(services.NotEligible) as refused:
        services.claim_next(barred, trainer)
    assert "40 answers in 90 seconds" in refused.value.message


def test_a_requester_block_keeps_the_trainer_from_that_requesters_jobs():
    requester = make_requester()
    job = make_open_job(requester)
    trainer = make_trainer()
    moderation.block_trainer(requester, trainer.id, reason="Copied the same caption across thirty images.")
    db.session.commit()
    excluded = [e for e in services.work_exclusions(trainer, job, utcnow()) if e.blocking]
    assert [e.code for e in excluded] == ["requester_block"]
    assert "Copied the same caption" in excluded[0].message
    assert codes(trainer, make_open_job(make_requester())) == []


def test_a_platform_suspension_blocks_new_work_with_the_way_to_read_why():
    job = make_open_job()
    trainer = make_trainer()
    make_sanction(trainer, make_admin(), level="temporary", ends_at=utcnow() + timedelta(days=3))
    db.session.refresh(trainer)
    excluded = [e for e in services.work_exclusions(trainer, job, utcnow()) if e.blocking]
    assert [e.code for e in excluded] == ["standing"]
    assert excluded[0].message == "Your account is suspended, so new work is blocked."
    assert "how to appeal" in excluded[0].remedy


def test_work_from_a_withdrawn_country_is_on_hold_with_the_reason():
    job = make_open_job()
    trainer = make_trainer(country="DE")
    now = utcnow()
    announce_withdrawal("DE", effective_at=now + timedelta(days=31), reason="new payment regulation",
                        actor=make_admin())
    db.session.commit()
    assert codes(trainer, job) == []  # during the notice period work goes on
    excluded = [e for e in services.work_exclusions(trainer, job, now + timedelta(days=32)) if e.blocking]
    assert [e.code for e in excluded] == ["country_withdrawn"]
    assert "new payment regulation" in excluded[0].message


def test_the_claim_path_reads_only_what_the_rules_need_and_reaches_the_same_verdict():
    """At every claim the engine loads only the facts a job's rules read (no expertise query for a job without
    expertise rules...); for jobs of every rule, a trainer who lacks each thing is excluded exactly as with
    the full facts the My work page loads, and one who has it is not."""
    from marketplace.assignment import matching
    from marketplace.jobs import services as jobs

    db.session.add(Qualification(key="hate-speech-en", name="Hate-speech judgement (English)", kind="task_skill"))
    db.session.commit()
    requester = make_requester()
    rules = [{}, {"required_languages": [{"code": "ja", "min_proficiency": "professional"}]},
             {"required_languages": [{"code": "en", "min_proficiency": "fluent"}]},
             {"required_expertise": ["medicine"]}, {"required_qualifications": ["hate-speech-en"]},
             {"allowed_countries": ["JP"], "country_reason": "the data may not leave Japan"},
             {"content_warning": "Graphic descriptions of violence."}]
    lacking = make_trainer(country="GB", languages=(("en", "native"),))
    having = make_trainer(country="JP", languages=(("ja", "native"), ("en", "fluent")), expertise=("medicine",))
    holdings.admin_grant(having, db.session.query(Qualification).one(), actor=make_admin(),
                         reason="Passed the same test on our previous platform in 2025.")
    db.session.commit()
    now = utcnow()
    for fields in rules:
        job = make_open_job(requester, **fields)
        if job.content_warning:
            jobs.accept_content_warning(job, having)
            db.session.commit()
        for trainer in (lacking, having):
            full = matching.work_exclusions(jobs.trainer_facts(trainer, job, now), jobs.job_rules(job),
                                            services.weekly_hours(trainer, job, services.worktime.WorkTime()),
                                            catalogue=jobs.qualification_catalogue())
            assert [(e.code, e.message) for e in services.work_exclusions(trainer, job, now)] == \
                [(e.code, e.message) for e in full], fields
        assert services.work_exclusions(having, job, now) == [], fields
        lacks = fields and fields.get("required_languages", [{}])[0].get("code") != "en"
        assert bool(services.work_exclusions(lacking, job, now)) == bool(lacks), fields


def test_a_platform_suspension_outranks_a_sanction_on_the_job_in_the_one_standing_query():
    job = make_open_job()
    trainer, admin = make_trainer(), make_admin()
    make_sanction(trainer, admin, level="temporary", scope="job", scope_id=job.id, ends_at=utcnow() + timedelta(days=3))
    assert codes(trainer, job) == ["job_sanction"]
    make_sanction(trainer, admin, level="temporary", ends_at=utcnow() + timedelta(days=7), clauses=("1.2",))
    assert codes(trainer, job) == ["standing"]
