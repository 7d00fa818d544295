"""Country rules: notice of at least 30 days, announced at once, work stops only at the end, payouts hooked."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.models import AuditEvent, Notice, OutboundEmail
from marketplace.moderation import hooks, periodic, services
from tests.factories import make_admin, make_requester, make_trainer

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
REASON = "Our payment provider stops serving this country; we cannot pay trainers there legally after that."


def test_withdrawal_needs_the_minimum_notice_and_a_reason(db):
    admin = make_admin()
    with time_machine.travel(T0, tick=False):
        with pytest.raises(ValidationFailed) as refused:
            services.announce_withdrawal("DE", effective_at=T0 + timedelta(days=29), reason=REASON, actor=admin)
        assert "at least 30 days' notice" in refused.value.errors["effective_at"]
        assert "26 December 2026" in refused.value.errors["effective_at"]
        with pytest.raises(ValidationFailed) as refused:
            services.announce_withdrawal("XX", effective_at=T0 + timedelta(days=40), reason="no", actor=admin)
        assert set(refused.value.errors) == {"country", "reason"}


def test_announcement_reaches_every_trainer_in_the_country_at_once_and_no_one_else(db):
    admin = make_admin()
    here = [make_trainer(country="DE") for _ in range(3)]
    elsewhere = make_trainer(country="FR")
    make_requester()
    with time_machine.travel(T0, tick=False):
        services.announce_withdrawal("DE", effective_at=T0 + timedelta(days=30), reason=REASON, actor=admin)
        db.session.commit()
    notices = db.session.scalars(sa.select(Notice).where(Notice.category == "country")).all()
    assert sorted(n.user_id for n in notices) == sorted(t.id for t in here)
    assert all(n.is_banner and REASON in n.body and "26 December 2026" in n.subject for n in notices)
    emails = db.session.scalars(sa.select(OutboundEmail.to_address)).all()
    assert sorted(emails) == sorted(t.email for t in here) and elsewhere.email not in emails
    with pytest.raises(Conflict, match="already announced"):
        services.announce_withdrawal("DE", effective_at=T0 + timedelta(days=60), reason=REASON, actor=admin)


def test_work_continues_until_the_end_of_notice_then_stops_and_payouts_are_hooked(db):
    admin, trainer = make_admin(), make_trainer(country="DE")
    effective = T0 + timedelta(days=30)
    called = []

    def pay_in_full(withdrawal, now):
        called.append((withdrawal.country, now))

    hooks.on_country_withdrawal_effective(pay_in_full)
    try:
        with time_machine.travel(T0, tick=False):
            services.announce_withdrawal("DE", effective_at=effective, reason=REASON, actor=admin)
            db.session.commit()
        before = services.country_status("DE", effective - timedelta(seconds=1))
        assert before.is_open and before.closes_at == effective
        assert services.standing_for(trainer, effective - timedelta(seconds=1)).ok
        assert periodic.apply_country_withdrawals(effective - timedelta(seconds=1)) == 0
        assert not services.country_status("DE", effective).is_open  # closed on time even before the job runs
        assert services.standing_for(trainer, effective).code == "country"
        assert periodic.apply_country_withdrawals(effective + timedelta(minutes=5)) == 1
        db.session.commit()
        assert periodic.apply_country_withdrawals(effective + timedelta(minutes=10)) == 0
        assert called == [("DE", effective + timedelta(minutes=5))]
        assert services.country_status("FR", effective).is_open
        pending = services.pending_country_payouts()
        assert [w.country for w in pending] == ["DE"]
        assert services.mark_country_payouts_settled(pending[0], effective + timedelta(days=1))
        assert not services.mark_country_payouts_settled(pending[0])  # idempotent
        assert services.pending_country_payouts() == []
        actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions.count("country.withdrawal_effective") == 1
    finally:
        hooks.remove_hook(pay_in_full)


def test_calling_off_a_withdrawal_reopens_the_country_and_tells_trainers(client, db, login):
    admin, trainer = make_admin(), make_trainer(country="DE")
    withdrawal = services.announce_withdrawal("DE", effective_at=datetime.now(timezone.utc) + timedelta(days=45),
                                              reason=REASON, actor=admin)
    db.session.commit()
    login(admin)
    assert client.post(f"/admin/countries/{withdrawal.id}/cancel", data={"reason": ""}).status_code == 302
    assert withdrawal.status == "scheduled"  # no reason, nothing changed
    client.post(f"/admin/countries/{withdrawal.id}/cancel",
                data={"reason": "The payment provider extended its licence for two more years."})
    db.session.refresh(withdrawal)
    assert withdrawal.status == "cancelled" and services.country_status("DE").is_open
    assert db.session.scalar(sa.select(Notice).where(Notice.user_id == trainer.id,
                                                     Notice.subject.like("%stays open%"))) is not None


def test_admin_announces_from_the_page_with_inline_errors(client, db, login):
    admin = make_admin()
    login(admin)
    soon = (datetime.now(timezone.utc) + timedelta(days=5)).date().isoformat()
    response = client.post("/admin/countries", data={"country": "DE", "effective_on": soon, "reason": REASON})
    assert response.status_code == 422 and "30 days&#39; notice" in response.get_data(as_text=True)
    later = (datetime.now(timezone.utc) + timedelta(days=31)).date().isoformat()
    response = client.post("/admin/countries", data={"country": "DE", "effective_on": later, "reason": REASON})
    assert response.status_code == 302 and services.live_withdrawal("DE") is not None
