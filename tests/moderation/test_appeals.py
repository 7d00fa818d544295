"""Appeals: the window, one per decision, four eyes, written decisions, restoration, deadlines and escalation."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.accounts.models import User
from marketplace.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from marketplace.core.models import AuditEvent, Notice
from marketplace.moderation import periodic, services
from marketplace.moderation.appeals import Decision
from marketplace.moderation.models import Appeal, AppealEscalation
from tests.factories import make_admin, make_requester, make_sanction, make_trainer

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
TEXT = "I read every post; the gold key marks sarcasm as hate speech, see items 4, 9 and 12."
REASON = "Checked the gold key: items 4, 9 and 12 were mislabelled, so the accuracy figure was wrong."


def suspended(trainer, admin):
    return make_sanction(trainer, admin, level="temporary", ends_at=T0 + timedelta(days=30))


def test_trainer_appeals_within_the_window_and_the_deadline_is_seven_days(db):
    trainer, admin = make_trainer(), make_admin()
    with time_machine.travel(T0, tick=False):
        sanction = suspended(trainer, admin)
    filed_at = T0 + timedelta(days=13, hours=23)
    with time_machine.travel(filed_at, tick=False):
        appeal = services.file_appeal(trainer, "sanction", sanction.id, TEXT)
        db.session.commit()
    assert appeal.deadline_at == filed_at + timedelta(days=7) and appeal.decision_maker_id == admin.id
    assert appeal.window_closes_at == T0 + timedelta(days=14)
    receipt = db.session.scalar(sa.select(Notice).where(Notice.subject == "Your appeal was received"))
    assert receipt.user_id == trainer.id and "17 December 2026, 08:00 UTC" in receipt.body


def test_appeal_after_the_window_is_refused_with_the_closing_date(db):
    trainer, admin = make_trainer(), make_admin()
    with time_machine.travel(T0, tick=False):
        sanction = suspended(trainer, admin)
    with time_machine.travel(T0 + timedelta(days=14, seconds=1), tick=False):
        with pytest.raises(DomainError, match="appeal window for this decision closed on 10 December 2026"):
            services.file_appeal(trainer, "sanction", sanction.id, TEXT)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Appeal.id))) == 0


def test_second_appeal_on_the_same_decision_is_refused(db):
    trainer, admin = make_trainer(), make_admin()
    sanction = suspended(trainer, admin)
    services.file_appeal(trainer, "sanction", sanction.id, TEXT)
    db.session.commit()
    with pytest.raises(Conflict, match="one appeal per decision"):
        services.file_appeal(trainer, "sanction", sanction.id, TEXT + " Again.")


def test_nobody_appeals_a_decision_about_someone_else_or_reads_their_appeal(client, db, login):
    trainer, other, admin = make_trainer(), make_trainer(), make_admin()
    sanction = suspended(trainer, admin)
    with pytest.raises(Forbidden, match="only decisions about you"):
        services.file_appeal(other, "sanction", sanction.id, TEXT)
    db.session.rollback()
    appeal = services.file_appeal(trainer, "sanction", sanction.id, TEXT)
    db.session.commit()
    login(other)
    response = client.post(f"/appeals/new/sanction/{sanction.id}", data={"text": TEXT})
    assert response.status_code == 403 and b"only decisions about you" in response.data
    response = client.get(f"/appeals/{appeal.id}")
    assert response.status_code == 403 and b"someone else" in response.data
    assert client.get(f"/sanctions/{sanction.id}").status_code == 404


def test_short_appeal_text_is_refused_on_the_form(client, db, login):
    trainer, admin = make_trainer(), make_admin()
    sanction = suspended(trainer, admin)
    login(trainer)
    response = client.post(f"/appeals/new/sanction/{sanction.id}", data={"text": "Unfair."})
    assert response.status_code == 422 and b"at least 20 characters" in response.data
    assert db.session.scalar(sa.select(sa.func.count(Appeal.id))) == 0


def test_unknown_decision_kind_or_subject_is_not_found(db):
    trainer = make_trainer()
    with pytest.raises(NotFound):
        services.file_appeal(trainer, "no_such_kind", 1, TEXT)
    with pytest.raises(NotFound):
        services.file_appeal(trainer, "sanction", 12345, TEXT)


def test_admin_cannot_decide_an_appeal_on_their_own_decision(client, db, login):
    trainer, issuer = make_trainer(), make_admin()
    sanction = suspended(trainer, issuer)
    appeal = services.file_appeal(trainer, "sanction", sanction.id, TEXT)
    db.session.commit()
    with pytest.raises(Forbidden, match="a different admin"):
        services.decide_appeal(appeal, issuer, outcome="overturned", reason=REASON)
    db.session.rollback()
    login(issuer)
    page = client.get(f"/admin/appeals/{appeal.id}")
    assert b"a different admin must decide" in page.data and b"Record the decision" not in page.data
    response = client.post(f"/admin/appeals/{appeal.id}", data={"outcome": "overturned", "reason": REASON})
    assert response.status_code == 422 and b"a different admin must decide" in response.data
    assert db.session.get(Appeal, appeal.id).status == "open"


def test_decision_needs_a_written_reason_and_an_outcome(db):
    trainer, issuer, second = make_trainer(), make_admin(), make_admin()
    appeal = services.file_appeal(trainer, "sanction", suspended(trainer, issuer).id, TEXT)
    with pytest.raises(ValidationFailed, match="reason"):
        services.decide_appeal(appeal, second, outcome="overturned", reason="no")
    with pytest.raises(ValidationFailed, match="uphold or to overturn"):
        services.decide_appeal(appeal, second, outcome="maybe", reason=REASON)
    with pytest.raises(Forbidden):
        services.decide_appeal(appeal, make_requester(), outcome="upheld", reason=REASON)


def test_overturn_restores_good_standing_and_tells_the_trainer_why(db):
    trainer, issuer, second = make_trainer(), make_admin(), make_admin(display_name="Bo")
    with time_machine.travel(T0, tick=False):
        sanction = suspended(trainer, issuer)
        appeal = services.file_appeal(trainer, "sanction", sanction.id, TEXT)
        db.session.commit()
    assert db.session.get(User, trainer.id).status == "suspended"
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        services.decide_appeal(appeal, second, outcome="overturned", reason=REASON)
        db.session.commit()
    db.session.refresh(sanction)
    assert db.session.get(User, trainer.id).status == "active" and sanction.status == "overturned"
    assert services.standing_for(db.session.get(User, trainer.id), T0 + timedelta(days=2)).ok
    assert "back in good standing" in appeal.restored_summary
    told = db.session.scalar(sa.select(Notice).where(Notice.subject == "Your appeal was overturned"))
    assert told.user_id == trainer.id and REASON in told.body and "back in good standing" in told.body
    banners = db.session.scalars(sa.select(Notice).where(Notice.user_id == trainer.id, Notice.is_banner.is_(True),
                                                         Notice.read_at.is_(None))).all()
    assert banners == []  # the suspension banner is gone with the suspension


def test_upheld_appeal_leaves_the_suspension_in_place(db):
    trainer, issuer, second = make_trainer(), make_admin(), make_admin()
    appeal = services.file_appeal(trainer, "sanction", suspended(trainer, issuer).id, TEXT)
    services.decide_appeal(appeal, second, outcome="upheld", reason="The gold key was checked twice and is right.")
    db.session.commit()
    assert db.session.get(User, trainer.id).status == "suspended" and appeal.restored_summary == ""
    with pytest.raises(Conflict, match="already decided"):
        services.decide_appeal(appeal, second, outcome="overturned", reason=REASON)


def test_two_admins_deciding_at_once_cannot_both_win(db):
    trainer, issuer, second, third = make_trainer(), make_admin(), make_admin(), make_admin()
    appeal = services.file_appeal(trainer, "sanction", suspended(trainer, issuer).id, TEXT)
    db.session.commit()
    stale = Appeal(**{c.name: getattr(appeal, c.name) for c in Appeal.__table__.columns})  # what admin 3 loaded
    services.decide_appeal(appeal, second, outcome="upheld", reason="The gold key was checked twice and is right.")
    db.session.commit()
    db.session.expunge(appeal)
    stale.status = "open"
    with pytest.raises(Conflict, match="a moment ago"):
        services.decide_appeal(stale, third, outcome="overturned", reason=REASON)


def test_escalation_tells_every_admin_once_as_the_deadline_nears(db):
    trainer, issuer, second = make_trainer(), make_admin(), make_admin()
    with time_machine.travel(T0, tick=False):
        appeal = services.file_appeal(trainer, "sanction", suspended(trainer, issuer).id, TEXT)
        db.session.commit()
    deadline = T0 + timedelta(days=7)
    assert periodic.escalate_appeals(deadline - timedelta(hours=49)) == 0
    assert periodic.escalate_appeals(deadline - timedelta(hours=47)) == 2  # both admins, issuer included
    db.session.commit()
    assert periodic.escalate_appeals(deadline - timedelta(hours=46)) == 0  # once each
    late_admin = make_admin()
    assert periodic.escalate_appeals(deadline + timedelta(hours=1)) == 1  # a new admin is told too
    db.session.commit()
    told = db.session.scalars(sa.select(Notice).where(Notice.category == "appeal", Notice.user_id != trainer.id)).all()
    assert sorted(n.user_id for n in told) == sorted([issuer.id, second.id, late_admin.id])
    assert "ask another admin" in next(n.body for n in told if n.user_id == issuer.id)
    assert "is overdue" in next(n.subject for n in told if n.user_id == late_admin.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AppealEscalation)) == 3
    services.decide_appeal(appeal, second, outcome="upheld", reason="The gold key was checked twice and is right.")
    db.session.commit()
    make_admin()
    assert periodic.escalate_appeals(deadline + timedelta(days=1)) == 0  # decided appeals are not escalated


def test_figures_count_open_overdue_median_and_share_overturned(db):
    issuer, second = make_admin(), make_admin()
    trainers = [make_trainer() for _ in range(4)]
    appeals = []
    with time_machine.travel(T0, tick=False):
        for t in trainers:
            appeals.append(services.file_appeal(t, "sanction", make_sanction(t, issuer).id, TEXT))
        db.session.commit()
    for appeal, hours, outcome in ((appeals[0], 10, "overturned"), (appeals[1], 30, "upheld"),
                                   (appeals[2], 50, "upheld")):
        services.decide_appeal(appeal, second, outcome=outcome, reason=REASON, now=T0 + timedelta(hours=hours))
    db.session.commit()
    figures = services.appeal_figures(T0 + timedelta(days=8))
    assert (figures.open, figures.overdue, figures.decided) == (1, 1, 3)
    assert figures.median_hours_to_decision == 30 and figures.share_overturned == pytest.approx(1 / 3)
    assert services.appeal_figures(T0 + timedelta(days=6)).overdue == 0


def test_the_framework_works_for_any_registered_kind(db):
    """A fake room registers its own decision kind: filing, four eyes and restore all go through the registry."""
    trainer, reviewer, other_admin = make_trainer(), make_admin(), make_admin()
    restored = []
    state = {"rejected": True}

    def resolver(subject_id: int):
        if subject_id != 77:
            return None

        def restore(appeal, actor):
            state["rejected"] = False
            restored.append((appeal.id, actor.id))
            return "The task is approved and its pay is added to your next timesheet."

        return Decision(kind="fake_task_rejection", subject_id=77, concerns_user_id=trainer.id,
                        decided_by_id=reviewer.id, decided_at=T0, description="Task 77 rejected: off-topic",
                        link="/tasks/77", restore=restore)

    services.register_appealable("fake_task_rejection", resolver, label="task rejection",
                                 lister=lambda user_id: [77] if user_id == trainer.id else [])
    try:
        with time_machine.travel(T0 + timedelta(days=1), tick=False):
            offered = services.open_decisions_for(trainer, T0 + timedelta(days=1))
            assert [d.subject_id for d in offered] == [77]
            appeal = services.file_appeal(trainer, "fake_task_rejection", 77, TEXT)
            assert services.open_decisions_for(trainer, T0 + timedelta(days=1)) == []  # already appealed
            with pytest.raises(Forbidden):
                services.decide_appeal(appeal, reviewer, outcome="overturned", reason=REASON)
            services.decide_appeal(appeal, other_admin, outcome="overturned", reason=REASON)
            db.session.commit()
        assert restored == [(appeal.id, other_admin.id)] and state["rejected"] is False
        assert appeal.restored_summary.startswith("The task is approved")
        assert appeal.decision_maker_id == reviewer.id and services.kind_label(appeal.kind) == "task rejection"
    finally:
        services.unregister_appealable("fake_task_rejection")


def test_automatic_decisions_can_be_decided_by_any_admin(db):
    trainer, admin = make_trainer(), make_admin()
    services.register_appealable("fake_auto", lambda sid: Decision(
        kind="fake_auto", subject_id=sid, concerns_user_id=trainer.id, decided_by_id=None,
        decided_at=datetime.now(timezone.utc), description="Automatic quality restriction", link=None,
        restore=lambda appeal, actor: "Restriction removed."))
    try:
        appeal = services.file_appeal(trainer, "fake_auto", 5, TEXT)
        services.decide_appeal(appeal, admin, outcome="overturned", reason=REASON)
        assert appeal.status == "overturned" and appeal.decision_maker_id is None
    finally:
        services.unregister_appealable("fake_auto")


def test_decided_appeal_writes_exactly_one_audit_row_including_restoration(db):
    trainer, issuer, second = make_trainer(), make_admin(), make_admin()
    appeal = services.file_appeal(trainer, "sanction", suspended(trainer, issuer).id, TEXT)
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    services.decide_appeal(appeal, second, outcome="overturned", reason=REASON)
    db.session.commit()
    rows = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()[before:]
    assert [(r.action, r.actor_id, r.subject_user_id, r.reason) for r in rows] == [
        ("appeal.decided", second.id, trainer.id, REASON)]
    assert rows[0].data["outcome"] == "overturned" and rows[0].data["late"] is False


def test_a_long_sanction_reason_is_shortened_at_a_word_with_an_ellipsis(db):
    """The appeal's "Against" line quotes the decision; a long reason ends with "…" at a word, not mid-word."""
    from marketplace.moderation.appeals import resolve
    long_reason = ("Your work sessions on the contract-law review job stayed open for 3 h 40 min on 24 November "
                   "while no item was submitted; please close a session when you step away from the work page.")
    sanction = make_sanction(make_trainer(), make_admin(), reason=long_reason)
    description = resolve("sanction", sanction.id).description
    assert description.endswith("…") and len(description) < len(long_reason) + 40
    assert description[:-1].split()[-1] in long_reason.split()
