"""Disputes of sessions: a written reason, a written answer, an admin's written decision; money follows."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.core.errors import Conflict, Forbidden, ValidationFailed
from marketplace.core.models import AuditEvent, Notice
from marketplace.extensions import db
from marketplace.pay import disputes, periodic, timesheets
from marketplace.pay.models import SessionDispute, Timesheet
from marketplace.payments import services as money
from tests.factories import make_admin

from .helpers import MONDAY, Clock, beat, trainer_with_task, work, working_job

WEEK_END = MONDAY.replace(hour=0) + timedelta(days=7)
REASON = "No tasks were submitted in this session."


def two_sessions(clock, rate_cents=3600):
    """A trainer with a closed week: a 60-minute session, a break, then a 30-minute session."""
    job = working_job(rate_cents=rate_cents)
    trainer = trainer_with_task(job)
    for minutes in (60, 30):
        work(trainer, job, clock, beats=minutes * 2)
        clock.advance(hours=2)
    clock.at(WEEK_END + timedelta(hours=1))
    periodic.close_pay_weeks(clock.now)
    db.session.commit()
    sheet = db.session.scalar(sa.select(Timesheet).where(Timesheet.trainer_id == trainer.id))
    return job, trainer, sheet, timesheets.sheet(sheet).lines


def actions(prefix="pay."):
    return [e.action for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.startswith(prefix))
                                                 .order_by(AuditEvent.id))]


def test_a_dispute_needs_a_written_reason_and_can_only_shorten_the_session():
    with Clock(MONDAY) as clock:
        job, trainer, sheet, lines = two_sessions(clock)
        session = lines[1].session
        with pytest.raises(ValidationFailed):
            disputes.open_dispute(sheet, session.id, job.requester, "too long", 0, clock.now)
        with pytest.raises(ValidationFailed):
            disputes.open_dispute(sheet, session.id, job.requester, REASON, session.seconds, clock.now)
        with pytest.raises(Forbidden):
            disputes.open_dispute(sheet, session.id, trainer, REASON, 0, clock.now)


def test_the_trainer_reads_the_reason_and_accepting_pays_the_proposed_time():
    with Clock(MONDAY) as clock:
        job, trainer, sheet, lines = two_sessions(clock)
        dispute = disputes.open_dispute(sheet, lines[1].session.id, job.requester, REASON, 600, clock.now)
        db.session.commit()
        notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == trainer.id))
        assert REASON in notice.body and "10 min" in notice.body
        timesheets.approve(sheet, job.requester, clock.now)  # the undisputed hour is paid now
        db.session.commit()
        assert money.trainer_balances(trainer).payable == 3600
        disputes.answer(dispute, trainer, accept=True, text="", now=clock.now)
        db.session.commit()
        assert money.trainer_balances(trainer).payable == 3600 + 600  # 70 minutes at $36/h, rounded once
        current = timesheets.sheet(db.session.get(Timesheet, sheet.id))
        assert [line.billable_seconds for line in current.lines] == [3600, 600]
        assert current.lines[1].adjustment_reason == REASON


def test_the_dispute_notice_names_the_session_on_the_trainers_own_clock():
    from zoneinfo import ZoneInfo
    with Clock(MONDAY) as clock:
        job, trainer, sheet, lines = two_sessions(clock)
        trainer.timezone = "Asia/Tokyo"
        disputes.open_dispute(sheet, lines[1].session.id, job.requester, REASON, 600, clock.now)
        db.session.commit()
        notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == trainer.id))
        tokyo = lines[1].session.started_at.astimezone(ZoneInfo("Asia/Tokyo"))
        assert f"your session of {tokyo:%a %-d %b %H:%M} JST (" in notice.body and "UTC" not in notice.body


def test_contested_dispute_goes_to_an_admin_who_decides_in_writing_and_both_sides_are_told():
    with Clock(MONDAY) as clock:
        job, trainer, sheet, lines = two_sessions(clock)
        dispute = disputes.open_dispute(sheet, lines[1].session.id, job.requester, REASON, 0, clock.now)
        with pytest.raises(ValidationFailed):
            disputes.answer(dispute, trainer, accept=False, text="no", now=clock.now)
        disputes.answer(dispute, trainer, accept=False, now=clock.now,
                        text="I was reading the long instructions before the first task; that is work.")
        db.session.commit()
        assert dispute in timesheets.unresolved_disputes_for_admin()
        admin = make_admin()
        with pytest.raises(ValidationFailed):
            disputes.decide(dispute, admin, uphold=False, reason="", seconds=None, now=clock.now)
        disputes.decide(dispute, admin, uphold=True, seconds=15 * 60, now=clock.now,
                        reason="Reading the instructions counts, but not the full half hour: 15 minutes paid.")
        db.session.commit()
        assert (dispute.status, dispute.decided_seconds) == ("upheld", 900)
        assert actions() == ["pay.session_disputed", "pay.dispute_answered", "pay.dispute_decided"]
        told = {n.user_id for n in db.session.scalars(sa.select(Notice).where(Notice.subject.like("%decided%")))}
        assert told == {trainer.id, job.requester_id}
        timesheets.approve(db.session.get(Timesheet, sheet.id), job.requester, clock.now)
        db.session.commit()
        assert money.trainer_balances(trainer).payable == 3600 + 900


def test_nobody_decides_their_own_dispute_and_unanswered_disputes_escalate_rather_than_lapse():
    with Clock(MONDAY) as clock:
        job, trainer, sheet, lines = two_sessions(clock)
        dispute = disputes.open_dispute(sheet, lines[0].session.id, job.requester, REASON, 0, clock.now)
        db.session.commit()
        with pytest.raises(Conflict):  # an admin decides only once the trainer answered or the time ran out
            disputes.decide(dispute, make_admin(), uphold=False, reason="The session stands as recorded.",
                            seconds=None, now=clock.now)
        clock.advance(days=5)
        assert periodic.auto_approve_timesheets(clock.now) == 2  # the timesheet, and the dispute escalated
        db.session.commit()
        assert db.session.get(SessionDispute, dispute.id).status == "escalated"


def test_the_disputed_session_waits_while_the_rest_is_paid_and_a_rejection_pays_it_in_full():
    with Clock(MONDAY) as clock:
        job, trainer, sheet, lines = two_sessions(clock)
        dispute = disputes.open_dispute(sheet, lines[0].session.id, job.requester, REASON, 0, clock.now)
        disputes.answer(dispute, trainer, accept=False, now=clock.now,
                        text="I submitted work in this session; the page shows three answers.")
        clock.advance(days=3)
        periodic.auto_approve_timesheets(clock.now)
        db.session.commit()
        assert money.trainer_balances(trainer).payable == 1800  # the undisputed half hour
        disputes.decide(dispute, make_admin(), uphold=False, seconds=None, now=clock.now,
                        reason="The answers were submitted during the session; the time stands.")
        db.session.commit()
        assert money.trainer_balances(trainer).payable == 5400


def test_requester_can_withdraw_and_the_session_is_paid_as_recorded():
    with Clock(MONDAY) as clock:
        job, trainer, sheet, lines = two_sessions(clock)
        dispute = disputes.open_dispute(sheet, lines[0].session.id, job.requester, REASON, 0, clock.now)
        timesheets.approve(sheet, job.requester, clock.now)
        disputes.withdraw(dispute, job.requester, "My mistake: I looked at the wrong trainer.", clock.now)
        db.session.commit()
        assert money.trainer_balances(trainer).payable == 5400
        with pytest.raises(Conflict):
            disputes.answer(dispute, trainer, accept=True, text="", now=clock.now)


def test_sessions_of_an_approved_timesheet_cannot_be_disputed_any_more():
    with Clock(MONDAY) as clock:
        job, trainer, sheet, lines = two_sessions(clock)
        timesheets.approve(sheet, job.requester, clock.now)
        with pytest.raises(Conflict):
            disputes.open_dispute(sheet, lines[0].session.id, job.requester, REASON, 0, clock.now)


def test_the_trainer_can_appeal_an_upheld_dispute_and_another_admin_restores_the_time():
    from marketplace.moderation import appeals
    with Clock(MONDAY) as clock:
        job, trainer, sheet, lines = two_sessions(clock)
        dispute = disputes.open_dispute(sheet, lines[1].session.id, job.requester, REASON, 0, clock.now)
        disputes.answer(dispute, trainer, accept=False, now=clock.now,
                        text="I was reading the long instructions before the first task; that is work.")
        first_admin, second_admin = make_admin(), make_admin()
        disputes.decide(dispute, first_admin, uphold=True, seconds=0, now=clock.now,
                        reason="No task was submitted in the session, so none of it is paid.")
        timesheets.approve(db.session.get(Timesheet, sheet.id), job.requester, clock.now)
        db.session.commit()
        assert money.trainer_balances(trainer).payable == 3600
        assert dispute.id in [d.subject_id for d in [appeals.resolve("timesheet_dispute", dispute.id)]]
        appeal = appeals.file_appeal(trainer, "timesheet_dispute", dispute.id, now=clock.now,
                                     text="Reading the instructions is part of the job; the requester's own "
                                          "guide says to read them in full before starting.")
        db.session.commit()
        with pytest.raises(Exception):  # four eyes: the admin who decided cannot decide the appeal
            appeals.decide_appeal(appeal, first_admin, outcome="overturned", reason="Reading time is work time.")
        db.session.rollback()
        appeals.decide_appeal(appeal, second_admin, outcome="overturned", now=clock.now,
                              reason="Reading the instructions is paid work under the platform's rules.")
        db.session.commit()
        assert db.session.get(SessionDispute, dispute.id).status == "reversed"
        assert money.trainer_balances(trainer).payable == 5400  # the 30 minutes restored and paid
