"""Sanctions ladder: reasons, clauses, evidence, the warning-first rule, who may sanction whom, standing, lifting."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.accounts.models import User
from marketplace.core.errors import Conflict, Forbidden, ValidationFailed
from marketplace.core.models import AuditEvent, Notice, OutboundEmail
from marketplace.moderation import hooks, services
from marketplace.moderation.models import Sanction
from marketplace.moderation.rules import EvidenceItem
from tests.factories import (SANCTION_REASON, SEVERITY_REASON, clause_ids, make_admin, make_requester, make_sanction,
                             make_trainer, publish_conduct)

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
EVIDENCE = [EvidenceItem("/work/tasks/812", "40 answers in 90 seconds")]


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def issue(target, admin, **overrides):
    publish_conduct()
    args = dict(level="warning", reason=SANCTION_REASON, clause_ids=clause_ids("1.1"), evidence=EVIDENCE)
    args.update(overrides)
    return services.issue_sanction(target, admin, **args)


def test_warning_tells_the_trainer_reason_clauses_evidence_and_how_to_appeal(db):
    trainer, admin = make_trainer(), make_admin(display_name="Ada")
    sanction = make_sanction(trainer, admin, clauses=("1.1", "1.3"))
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == trainer.id, Notice.category == "standing"))
    assert notice.is_banner and notice.link == f"/sanctions/{sanction.id}"
    for text in (SANCTION_REASON, "1.1 Honest work", "1.3 Accurate time", "/work/tasks/812 40 answers in 90 seconds",
                 "Gold report #77", "How to appeal", "within 14 days", "did not make this decision"):
        assert text in notice.body, text
    email = db.session.scalar(sa.select(OutboundEmail).where(OutboundEmail.to_address == trainer.email,
                                                             OutboundEmail.subject == "You received a warning"))
    assert email is not None and SANCTION_REASON in email.body
    assert trainer.status == "active"  # a warning takes nothing away


@pytest.mark.parametrize("field, overrides, message", [
    ("reason", {"reason": "Too fast."}, "at least 50 characters"),
    ("reason", {"reason": " " * 60}, "at least 50 characters"),
    ("clause_ids", {"clause_ids": []}, "Cite at least one clause"),
    ("clause_ids", {"clause_ids": [999_999]}, "code of conduct in force"),
    ("evidence", {"evidence": []}, "at least one piece of evidence"),
    ("ends_at", {"level": "temporary", "is_severe": True, "severity_justification": SEVERITY_REASON}, "end date"),
    ("level", {"level": "ban"}, "Choose a warning"),
    ("scope_id", {"scope": "job"}, "job's ID"),
    ("scope_id", {"scope": "job", "scope_id": 2**40}, "job's ID"),
])
def test_sanction_without_reason_clauses_or_evidence_is_refused_and_nothing_is_written(db, field, overrides, message):
    trainer, admin = make_trainer(), make_admin()
    publish_conduct()
    before = (count(db, Sanction), count(db, AuditEvent), count(db, Notice))
    with pytest.raises(ValidationFailed) as refused:
        issue(trainer, admin, **overrides)
    assert field in refused.value.errors and message in refused.value.errors[field]
    db.session.rollback()
    assert (count(db, Sanction), count(db, AuditEvent), count(db, Notice)) == before


def test_requester_scope_must_name_a_requester(db):
    trainer, admin, other_trainer = make_trainer(), make_admin(), make_trainer()
    with pytest.raises(ValidationFailed, match="no requester"):
        issue(trainer, admin, scope="requester", scope_id=other_trainer.id)


def test_admin_cannot_sanction_themselves_or_another_admin(db):
    admin, other_admin = make_admin(), make_admin()
    with pytest.raises(Forbidden, match="yourself"):
        issue(admin, admin)
    with pytest.raises(Forbidden, match="another admin"):
        issue(other_admin, admin)


def test_only_admins_issue_sanctions(db):
    with pytest.raises(Forbidden):
        issue(make_trainer(), make_requester())


def test_suspension_without_a_prior_warning_must_be_marked_severe_with_a_reason(db):
    trainer, admin = make_trainer(), make_admin()
    ends = T0 + timedelta(days=7)
    with time_machine.travel(T0, tick=False):
        with pytest.raises(ValidationFailed) as refused:
            issue(trainer, admin, level="temporary", ends_at=ends)
        assert "No earlier warning cites 1.1 Honest work" in refused.value.errors["is_severe"]
        db.session.rollback()
        with pytest.raises(ValidationFailed):  # marked severe but not explained
            issue(trainer, admin, level="temporary", ends_at=ends, is_severe=True, severity_justification="bad")
        db.session.rollback()
        sanction = issue(trainer, admin, level="temporary", ends_at=ends, is_severe=True,
                         severity_justification=SEVERITY_REASON)
        assert sanction.is_severe and sanction.severity_justification == SEVERITY_REASON


def test_a_standing_warning_for_the_same_clause_allows_a_suspension_without_severity(db):
    trainer, admin = make_trainer(), make_admin()
    with time_machine.travel(T0, tick=False):
        make_sanction(trainer, admin, level="warning", clauses=("1.1",))
        with pytest.raises(ValidationFailed, match="1.3 Accurate time"):  # a warning for another clause does not count
            issue(trainer, admin, level="temporary", ends_at=T0 + timedelta(days=3), clause_ids=clause_ids("1.1", "1.3"))
        db.session.rollback()
        sanction = issue(trainer, admin, level="temporary", ends_at=T0 + timedelta(days=3))
        assert not sanction.is_severe and sanction.severity_justification == ""


def test_an_overturned_warning_no_longer_counts_as_a_prior_warning(db):
    trainer, admin, second = make_trainer(), make_admin(), make_admin()
    warning = make_sanction(trainer, admin, level="warning")
    appeal = services.file_appeal(trainer, "sanction", warning.id, "I did read every post; the gold key was wrong.")
    services.decide_appeal(appeal, second, outcome="overturned", reason="The gold key had three wrong answers.")
    db.session.commit()
    with pytest.raises(ValidationFailed, match="No earlier warning"):
        issue(trainer, admin, level="permanent")


def test_platform_suspension_blocks_new_work_and_deactivation_sets_deactivated(db):
    trainer, other, admin = make_trainer(), make_trainer(), make_admin()
    with time_machine.travel(T0, tick=False):
        make_sanction(trainer, admin, level="temporary", ends_at=T0 + timedelta(days=7))
        make_sanction(other, admin, level="permanent")
    assert (trainer.status, other.status) == ("suspended", "deactivated")
    standing = services.standing_for(trainer, T0 + timedelta(hours=1))
    assert not standing.ok and standing.code == "suspended" and SANCTION_REASON in standing.reason
    assert standing.until == T0 + timedelta(days=7)
    assert services.standing_for(other, T0).code == "deactivated"


def test_job_and_requester_scoped_sanctions_block_only_that_scope(db):
    trainer, admin, requester = make_trainer(), make_admin(), make_requester()
    with time_machine.travel(T0, tick=False):
        make_sanction(trainer, admin, level="temporary", scope="job", scope_id=41, ends_at=T0 + timedelta(days=2))
        make_sanction(trainer, admin, level="permanent", scope="requester", scope_id=requester.id, clauses=("1.2",))
        now = T0 + timedelta(hours=1)
        assert trainer.status == "active" and services.standing_for(trainer, now).ok
        assert services.standing_for(trainer, now, job_id=41).code == "job_sanction"
        assert services.standing_for(trainer, now, job_id=42).ok
        assert services.standing_for(trainer, now, requester_id=requester.id).code == "requester_sanction"
        assert services.standing_for(trainer, T0 + timedelta(days=3), job_id=41).ok  # past its end date


def test_temporary_suspension_lifts_automatically_at_its_end_date_once(db):
    trainer, admin = make_trainer(), make_admin()
    with time_machine.travel(T0, tick=False):
        sanction = make_sanction(trainer, admin, level="temporary", ends_at=T0 + timedelta(days=7))
    from marketplace.moderation import periodic
    assert periodic.expire_sanctions(T0 + timedelta(days=6, hours=23)) == 0
    assert db.session.get(User, trainer.id).status == "suspended"
    with time_machine.travel(T0 + timedelta(days=7, minutes=1), tick=False):
        assert periodic.expire_sanctions(T0 + timedelta(days=7, minutes=1)) == 1
        db.session.commit()
        assert periodic.expire_sanctions(T0 + timedelta(days=7, minutes=2)) == 0  # idempotent
    db.session.refresh(trainer)
    db.session.refresh(sanction)
    assert trainer.status == "active" and sanction.status == "expired" and sanction.ended_by_id is None
    rows = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "sanction.expired")).all()
    assert len(rows) == 1 and rows[0].actor_id is None
    assert not db.session.scalars(sa.select(Notice).where(Notice.user_id == trainer.id, Notice.is_banner.is_(True),
                                                          Notice.read_at.is_(None))).all()  # banner gone
    assert db.session.scalar(sa.select(Notice).where(Notice.subject == "Your suspension has ended")) is not None


def test_admin_lifts_a_suspension_in_writing_and_a_second_suspension_still_holds(db):
    trainer, admin = make_trainer(), make_admin()
    first = make_sanction(trainer, admin, level="permanent")
    second = make_sanction(trainer, admin, level="temporary", ends_at=datetime.now(timezone.utc) + timedelta(days=3),
                           clauses=("3.1",))
    with pytest.raises(ValidationFailed):
        services.lift_sanction(first, admin, reason="ok")
    services.lift_sanction(first, admin, reason="Identity verified by video call; not a shared account.")
    db.session.commit()
    assert db.session.get(User, trainer.id).status == "suspended"  # the temporary one still holds
    services.lift_sanction(second, admin, reason="Confidentiality breach was the requester's own leak.")
    db.session.commit()
    assert db.session.get(User, trainer.id).status == "active"
    with pytest.raises(Conflict):
        services.lift_sanction(second, admin, reason="Lifting twice should be refused clearly.")


def test_warnings_cannot_be_lifted_only_overturned(db):
    warning = make_sanction(make_trainer(), make_admin())
    with pytest.raises(Conflict, match="overturned on appeal"):
        services.lift_sanction(warning, make_admin(), reason="Changed my mind about this one.")


def test_platform_suspension_runs_the_pay_hook_so_work_in_progress_is_paid_up_to_it(db):
    """The "suspended trainers are still paid" rule is a hook the pay room registers (see moderation/hooks.py)."""
    calls = []

    def close_and_pay(user, sanction):
        calls.append((user.id, sanction.starts_at))

    hooks.on_platform_suspension(close_and_pay)
    try:
        trainer, admin = make_trainer(), make_admin()
        with time_machine.travel(T0, tick=False):
            make_sanction(trainer, admin, level="warning")  # a warning takes nothing away: no hook
            make_sanction(trainer, admin, level="temporary", scope="job", scope_id=3, ends_at=T0 + timedelta(days=1))
            assert calls == []
            make_sanction(trainer, admin, level="temporary", ends_at=T0 + timedelta(days=1))
        assert calls == [(trainer.id, T0)]
    finally:
        hooks.remove_hook(close_and_pay)


def test_a_deactivation_outranks_a_suspension_in_standing(db):
    trainer, admin = make_trainer(), make_admin()
    with time_machine.travel(T0, tick=False):
        make_sanction(trainer, admin, level="temporary", ends_at=T0 + timedelta(days=7))
        make_sanction(trainer, admin, level="permanent", clauses=("2.1",))
    assert trainer.status == "deactivated"
    assert services.standing_for(trainer, T0 + timedelta(hours=1)).code == "deactivated"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "//evil.example/x", "data:text/html,<b>"])
def test_evidence_links_must_be_web_addresses_or_site_paths(db, url):
    with pytest.raises(ValidationFailed, match="link starting with"):
        issue(make_trainer(), make_admin(), evidence=[EvidenceItem(url, "see link")])


def test_evidence_lines_are_parsed_into_links_and_words():
    from marketplace.moderation.rules import parse_evidence
    items = parse_evidence("https://x.example/t/9 gold failed twice\n\n  javascript:alert(1) hi\n/tasks/3\nplain words")
    assert [(i.url, i.description) for i in items] == [
        ("https://x.example/t/9", "gold failed twice"), (None, "javascript:alert(1) hi"), ("/tasks/3", ""),
        (None, "plain words")]


@pytest.mark.parametrize("url", ["/jobs/contract-law-review/sessions/2211", "/tasks/812",
                                 "/work/tasks/812/submit"])  # invented, mistyped, and a path that only takes POST
def test_an_evidence_link_to_no_page_is_refused_and_nothing_is_written(db, url):
    trainer, admin = make_trainer(), make_admin()
    with pytest.raises(ValidationFailed, match=f"The link {url} leads to no page on FairTrain") as refused:
        issue(trainer, admin, evidence=[EvidenceItem(None, "Requester report"), EvidenceItem(url, "see this")])
    assert "evidence" in refused.value.errors
    assert count(db, Sanction) == 0 and trainer.status == "active"


@pytest.mark.parametrize("url", ["/work/tasks/812", "/work/tasks/812?tab=answer#item-3", "/jobs",
                                 "https://reports.example.org/anything"])
def test_evidence_links_to_our_pages_or_elsewhere_are_kept(db, url):
    sanction = issue(make_trainer(), make_admin(), evidence=[EvidenceItem(url, "see this")])
    assert [e.url for e in sanction.evidence] == [url]


def test_notices_give_times_on_the_trainers_own_clock(db):
    """A trainer in Berlin reads 10:00 CET, not 09:00 UTC, in the notice, the banner and their record: the same
    clock their pages show."""
    trainer, admin = make_trainer(timezone="Europe/Berlin"), make_admin()
    with time_machine.travel(T0, tick=False):
        sanction = issue(trainer, admin, level="temporary", is_severe=True, severity_justification=SEVERITY_REASON,
                         ends_at=T0 + timedelta(days=7))
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == trainer.id, Notice.category == "standing"))
    assert "26 November 2026, 10:00 CET" in notice.body and "3 December 2026, 10:00 CET" in notice.body
    assert "UTC" not in notice.body
    from marketplace.core.record import sections_for
    items = [item for _, section in sections_for(trainer.id) for item in section]
    active = next(item for item in items if item.link == f"/sanctions/{sanction.id}")
    assert "Active until 3 Dec 2026, 10:00 CET." in active.outcome
    with time_machine.travel(T0 + timedelta(days=8), tick=False):
        services.expire_due_sanctions(T0 + timedelta(days=8))
    ended = db.session.scalar(sa.select(Notice).where(Notice.user_id == trainer.id,
                                                      Notice.subject == "Your suspension has ended"))
    assert "ended on 3 December 2026, 10:00 CET" in ended.body


def test_a_trainer_without_a_usable_zone_reads_utc():
    from marketplace.core.time import for_reader
    assert for_reader(T0, None) == "26 November 2026, 09:00 UTC"
    assert for_reader(T0, "Not/AZone") == "26 November 2026, 09:00 UTC"
    assert for_reader(T0, "Asia/Tokyo", "%a %-d %b %H:%M") == "Thu 26 Nov 18:00 JST"
