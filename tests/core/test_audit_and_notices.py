"""Audit log (append-only, visible to its subject) and notices (inbox + outbox sender)."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.core import audit, notices
from marketplace.core.models import AuditEvent, OutboundEmail
from tests.factories import make_admin, make_trainer

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)


def test_create_admin_command_creates_an_admin_and_an_audit_row(app, db, monkeypatch):
    monkeypatch.setenv("FAIRTRAIN_ADMIN_PASSWORD", "a long admin passphrase")
    result = app.test_cli_runner().invoke(args=["accounts", "create-admin", "Boss@Example.com"])
    assert result.exit_code == 0, result.output
    row = db.session.scalar(sa.select(AuditEvent))
    assert row.action == "account.admin_created" and row.actor_id is None and "create-admin" in row.reason
    from marketplace.accounts.models import User
    assert db.session.get(User, row.subject_user_id).role == "admin"
    again = app.test_cli_runner().invoke(args=["accounts", "create-admin", "boss@example.com"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_create_admin_refuses_a_weak_password(app, db, monkeypatch):
    monkeypatch.setenv("FAIRTRAIN_ADMIN_PASSWORD", "password")
    result = app.test_cli_runner().invoke(args=["accounts", "create-admin", "boss@example.com"])
    assert result.exit_code != 0 and "at least 10" in result.output
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0


def test_audit_rows_cannot_be_changed_or_deleted(db):
    trainer = make_trainer()
    row = audit.record("test.decision", actor=None, subject_user=trainer, reason="because")
    db.session.commit()
    row.reason = "rewritten"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, row.id))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()


def test_my_record_shows_decisions_about_me_and_not_about_others(client, db, login):
    me, other, admin = make_trainer(), make_trainer(), make_admin(display_name="Ada")
    audit.record("quality.restricted", actor=admin, subject_user=me, reason="Accuracy 40% over 20 gold items.")
    audit.record("quality.restricted", actor=admin, subject_user=other, reason="Someone else's business.")
    db.session.commit()
    login(me)
    page = client.get("/my-record").get_data(as_text=True)
    assert "Accuracy 40% over 20 gold items." in page and "Ada (admin)" in page
    assert "Someone else" not in page
    assert client.get("/my-record.json").get_json()["events"][0]["reason"] == "Accuracy 40% over 20 gold items."
    assert "Accuracy 40%" in client.get("/my-record.csv").get_data(as_text=True)


def test_admin_filters_the_audit_log_by_subject(client, db, login):
    admin = make_admin()
    a, b = make_trainer(email="a@example.com"), make_trainer(email="b@example.com")
    audit.record("x.one", actor=admin, subject_user=a, reason="about A")
    audit.record("x.two", actor=admin, subject_user=b, reason="about B")
    db.session.commit()
    login(admin)
    page = client.get("/admin/audit?subject=a@example.com").get_data(as_text=True)
    assert "about A" in page and "about B" not in page
    assert "No account with that subject" in client.get("/admin/audit?subject=zz@example.com").get_data(as_text=True)


def test_notice_lands_in_inbox_with_unread_count_and_queues_an_email(client, db, login):
    trainer = make_trainer()
    notices.notify(trainer, "Your assessment was graded", "You passed with 90%.", link="/assessments")
    db.session.commit()
    login(trainer)
    assert "Inbox, 1 unread" in client.get("/home").get_data(as_text=True)
    notice_id = notices.inbox(trainer.id)[0].id
    assert b"You passed with 90%" in client.get(f"/inbox/{notice_id}").data
    assert notices.unread_count(trainer.id) == 0
    assert db.session.scalar(sa.select(OutboundEmail.to_address)) == trainer.email


def test_nobody_reads_another_persons_notice(client, db, login):
    owner, intruder = make_trainer(), make_trainer()
    notice = notices.notify(owner, "Private", "private text")
    db.session.commit()
    login(intruder)
    assert client.get(f"/inbox/{notice.id}").status_code == 404


def test_outbox_sender_sends_due_mail_once_and_retries_failures_with_backoff(app, db):
    trainer = make_trainer()
    with time_machine.travel(T0, tick=False):
        notices.notify(trainer, "Hello", "Body")
        db.session.commit()
    sent_to = []
    attempts = {"n": 0}

    def flaky(row, config):
        attempts["n"] += 1
        if attempts["n"] == 1:
            raise OSError("SMTP server down")
        sent_to.append(row.to_address)

    assert notices.send_due_emails(T0, app.config, transport=flaky) == 0
    row = db.session.scalar(sa.select(OutboundEmail))
    assert row.status == "pending" and row.attempts == 1 and "SMTP server down" in row.last_error
    # Not due again until the backoff has passed.
    assert notices.send_due_emails(T0 + timedelta(seconds=30), app.config, transport=flaky) == 0
    assert notices.send_due_emails(T0 + timedelta(minutes=2), app.config, transport=flaky) == 1
    assert notices.send_due_emails(T0 + timedelta(minutes=10), app.config, transport=flaky) == 0
    assert sent_to == [trainer.email]
    db.session.expire_all()
    assert db.session.scalar(sa.select(OutboundEmail.status)) == "sent"


def test_outbox_gives_up_after_the_maximum_attempts(app, db):
    with time_machine.travel(T0, tick=False):
        notices.notify(make_trainer(), "Hi", "Body")
        db.session.commit()

    def broken(row, config):
        raise OSError("no route")

    now = T0
    for _ in range(app.config["OUTBOX_MAX_ATTEMPTS"]):
        notices.send_due_emails(now, app.config, transport=broken)
        now += timedelta(days=2)
    assert db.session.scalar(sa.select(OutboundEmail.status)) == "failed"


def test_scheduled_outbox_job_runs_under_frozen_time_through_the_scheduler(app, db):
    from marketplace import scheduler
    with time_machine.travel(T0, tick=False):
        notices.notify(make_trainer(), "Hi", "Body")
        db.session.commit()
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        assert scheduler.run_job("send_outbox", holder="test-holder") == 1
    assert db.session.scalar(sa.select(OutboundEmail.status)) == "sent"


def test_older_entries_walks_back_page_after_page_keeping_the_filter(client, db, login):
    """The "Older entries" link on page 2 leads to page 3 (it used to append a second `before`, so the first
    one won and page 2 came back)."""
    import re
    admin = make_admin()
    for n in range(120):
        audit.record("paging.row", actor=admin, reason=f"row {n:03d}")
    db.session.commit()
    login(admin)
    seen = []
    url = "/admin/audit?action=paging."
    for _ in range(3):
        page = client.get(url).get_data(as_text=True)
        seen.append(sorted(set(re.findall(r"row (\d{3})", page))))
        found = re.search(r'href="([^"]+)" id="older"', page)
        if not found:
            break
        url = found.group(1).replace("&amp;", "&")
        assert url.count("before=") == 1 and "action=paging." in url
    assert [len(s) for s in seen] == [50, 50, 20]
    assert seen[0][0] == "070" and seen[1][0] == "020" and seen[2][0] == "000"
