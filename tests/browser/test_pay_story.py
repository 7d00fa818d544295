"""The hourly-pay story in a browser: a trainer works three tasks and watches the clock advance; the requester
disputes one session with a reason; the trainer answers; an admin decides; payroll pays; the wallet shows it.

The server's clock is frozen (time-machine, in this process, so the live server's threads see it) and moved by
hand: the page's heartbeats then land at known instants. The browser's own timers run in real time.
"""
from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone

import time_machine
from playwright.sync_api import expect

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.pay.models import WorkSession
from marketplace.pay import periodic as pay_periodic
from marketplace.payments import periodic as money_periodic
from tests.factories import DEFAULT_PASSWORD, make_admin, make_open_job, make_payout_ready_trainer, make_requester

from .conftest import log_in, shot

UTC = timezone.utc
MONDAY = datetime(2028, 3, 6, 9, 0, tzinfo=UTC)
REASON = "No answer was submitted for most of this session."
ANSWER = "I submitted the third task in this session; reading the post carefully took the time."
# The page beats every second; on a loaded machine a beat can take several seconds to be answered.
CLOCK_WAIT = 30_000
DECISION = "The task was answered in the session and the time matches it: the session stands."


def answer_task(page, then: str) -> None:
    page.locator("input[name=labels][value='Neither']").check()
    page.locator("#justification").fill("No group is attacked in this post.")
    page.get_by_role("button", name=re.compile(f"Submit and {then}")).click()


def wait_for_open_session(trainer_id: int, started_at: datetime) -> None:
    """Wait (up to 30 s of real time) until the server has opened the trainer's session at `started_at`.

    The frozen clock may only move on once the page's beat at this instant has landed: a beat that arrives after
    the move would start the session later (or, after a break, extend the wrong one) and the clock would be short.
    """
    for _ in range(150):
        db.session.rollback()
        opened = db.session.scalar(sa.select(WorkSession.started_at).where(
            WorkSession.trainer_id == trainer_id, WorkSession.closed_at.is_(None)))
        if opened == started_at:
            return
        time.sleep(0.2)
    raise AssertionError(f"no open session started at {started_at} (open session started at {opened})")


def test_a_week_of_work_from_the_clock_to_the_wallet(app, page, new_page):
    app.config.update(HEARTBEAT_INTERVAL_SECONDS=1, HEARTBEAT_ACTIVE_SECONDS=3600)
    traveller = time_machine.travel(MONDAY, tick=False)
    clock = traveller.start()
    try:
        requester, admin = make_requester(), make_admin()
        trainer = make_payout_ready_trainer()
        make_open_job(requester, tasks=5, title="Judge posts for hate speech", hourly_rate_cents=6000,
                      reservation_minutes=120)

        # The trainer works: the clock advances with the server's time, idle time is not counted.
        log_in(page, trainer.email, DEFAULT_PASSWORD)
        page.get_by_role("navigation").get_by_role("link", name="My work").click()
        page.get_by_role("button", name="Start working").click()
        expect(page.locator("#clock-today")).to_have_text("0 min", timeout=CLOCK_WAIT)
        wait_for_open_session(trainer.id, MONDAY)
        now = MONDAY
        for minutes_before, expected, then in ((5, "5 min", "next"), (5, "10 min", "next"), (5, "15 min", "stop")):
            if then == "stop":
                now += timedelta(minutes=10)  # a coffee break longer than the idle gap: a new session
                clock.move_to(now)
                page.mouse.move(200, 300)
                wait_for_open_session(trainer.id, now)  # the break closed the first session; a new one opens now
                expect(page.locator("#clock-today")).to_have_text("10 min", timeout=CLOCK_WAIT)
            now += timedelta(minutes=minutes_before)
            clock.move_to(now)
            page.mouse.move(300, 400)
            page.keyboard.press("Shift")
            expect(page.locator("#clock-today")).to_have_text(expected, timeout=CLOCK_WAIT)
            if then == "stop":
                shot(page, "pay-story-1-clock")
            answer_task(page, then)
        expect(page.locator("#work-clock")).to_have_count(0)  # stopped: no task in hand, no clock running

        # The week ends; its timesheet goes to the requester, who disputes the last session and approves.
        clock.move_to(datetime(2028, 3, 13, 0, 10, tzinfo=UTC))
        db.session.rollback()  # a scheduled body runs in a fresh transaction, as the scheduler's would
        pay_periodic.close_pay_weeks(datetime(2028, 3, 13, 0, 10, tzinfo=UTC))
        db.session.commit()
        boss = new_page()
        log_in(boss, requester.email, DEFAULT_PASSWORD)
        boss.get_by_role("navigation").get_by_role("link", name="Timesheets").click()
        boss.locator("#to-review a").first.click()
        expect(boss.locator("#recorded")).to_have_text("15 min")
        last = boss.locator("#sessions tr.dispute-row").last
        last.locator("summary", has_text="Dispute this session").click()
        last.get_by_label("Why do you dispute this session?").fill(REASON)
        last.get_by_label("Minutes you would pay").fill("0")
        last.get_by_role("button", name="Send the dispute to the trainer").click()
        expect(boss.get_by_text("Dispute sent.")).to_be_visible()
        boss.get_by_role("button", name="Approve this timesheet").click()
        expect(boss.get_by_text("Timesheet approved")).to_be_visible()
        shot(boss, "pay-story-2-requester")

        # The trainer reads the reason and answers in writing.
        page.goto("/pay/timesheets")
        page.locator("#disputes-to-answer a").first.click()
        expect(page.get_by_text(REASON)).to_be_visible()
        page.get_by_label("What happened in this session").fill(ANSWER)
        page.get_by_role("button", name="Send my answer").click()
        expect(page.get_by_text("An admin will decide.")).to_be_visible()

        # An admin decides in writing: the time stands.
        judge = new_page()
        log_in(judge, admin.email, DEFAULT_PASSWORD)
        judge.get_by_role("navigation").get_by_role("link", name="Time disputes").click()
        judge.locator("#disputes a").first.click()
        expect(judge.get_by_text(ANSWER)).to_be_visible()
        judge.get_by_label("The session stands as recorded (paid in full)").check()
        judge.get_by_label("Reason for your decision").fill(DECISION)
        shot(judge, "pay-story-3-admin")
        judge.get_by_role("button", name="Record the decision").click()
        expect(judge.get_by_text("Decision recorded")).to_be_visible()

        # Payday: the scheduled payroll pays the week; the wallet shows the payout.
        payday = datetime(2028, 3, 13, 9, 0, tzinfo=UTC)
        clock.move_to(payday)
        db.session.rollback()
        assert money_periodic.weekly_payroll(payday) == 1
        db.session.commit()
        page.get_by_role("navigation").get_by_role("link", name="Wallet").click()
        payouts = page.locator("#payouts")
        expect(payouts).to_contain_text("$15.00")  # 15 minutes at $60/h, the disputed 5 included
        expect(payouts).to_contain_text("Sent")
        page.get_by_role("navigation").get_by_role("link", name="Earnings").click()
        expect(page.locator("#paydays")).to_contain_text("$15.00")
        shot(page, "pay-story-4-earnings")
    finally:
        traveller.stop()
        app.config.update(HEARTBEAT_INTERVAL_SECONDS=30, HEARTBEAT_ACTIVE_SECONDS=120)
