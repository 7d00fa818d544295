"""The pay room over HTTP: the heartbeat endpoint (JSON, CSRF in a header or in a beacon's body), timesheet
pages for each side, disputes through the forms, bonuses, and formula-safe CSV exports."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.pay import periodic
from marketplace.pay.models import Bonus, SessionDispute, Timesheet, WorkSession
from tests.factories import make_admin, make_requester, make_trainer

from .helpers import MONDAY, Clock, beat, trainer_with_task, work, working_job

WEEK_END = MONDAY.replace(hour=0) + timedelta(days=7)


def csrf_token_for(client):
    """A page's CSRF token, as the work page hands it to heartbeat.js."""
    html = client.get("/pay/timesheets").get_data(as_text=True)
    marker = 'name="csrf-token" content="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


def test_a_beacon_carries_its_csrf_token_in_the_body_and_gets_the_clock_back(csrf_app, client, login):
    with Clock(MONDAY):
        job = working_job()
        trainer = trainer_with_task(job)
        login(trainer)
        token = csrf_token_for(client)
        response = client.post("/pay/heartbeat", data={"job_id": job.id, "event": "start", "csrf_token": token})
        assert response.status_code == 200 and response.json["opened"] is True
        assert response.json["clock"]["today"] == "0 min"
        assert client.post("/pay/heartbeat", data={"job_id": job.id}).status_code == 400  # no token: refused
        header = client.post("/pay/heartbeat", data={"job_id": job.id, "event": "hidden"},
                             headers={"X-CSRFToken": token})
        assert header.status_code == 200


def test_heartbeat_errors_are_json_a_page_can_show(client, login):
    with Clock(MONDAY):
        job = working_job()
        assert client.post("/pay/heartbeat", data={"job_id": job.id}).json["error"]["code"] == "unauthorized"
        login(make_requester())
        assert client.post("/pay/heartbeat", data={"job_id": job.id}).status_code == 403
        login(make_trainer())
        bad = client.post("/pay/heartbeat", data={"job_id": "twelve"})
        assert bad.status_code == 422 and bad.json["error"]["field"] == "job_id"
        refused = client.post("/pay/heartbeat", data={"job_id": job.id})
        assert refused.status_code == 409 and refused.json["error"]["code"] == "no_task"
        assert "clock" in refused.json["error"] and "My work" in refused.json["error"]["message"]
        assert client.post("/pay/heartbeat", data={"job_id": 999}).status_code in (404, 409)


def closed_week(clock, minutes=20):
    job = working_job(rate_cents=3000)
    trainer = trainer_with_task(job)
    work(trainer, job, clock, beats=minutes * 2)
    clock.at(WEEK_END + timedelta(hours=1))
    periodic.close_pay_weeks(clock.now)
    db.session.commit()
    sheet = db.session.scalar(sa.select(Timesheet).where(Timesheet.trainer_id == trainer.id))
    session = db.session.scalar(sa.select(WorkSession).where(WorkSession.trainer_id == trainer.id))
    return job, trainer, sheet, session


def test_each_side_sees_the_timesheet_and_strangers_do_not(client, login):
    with Clock(MONDAY) as clock:
        job, trainer, sheet, _ = closed_week(clock)
        for user in (trainer, job.requester, make_admin()):
            login(user)
            page = client.get(f"/pay/timesheets/{sheet.id}")
            assert page.status_code == 200 and "20 min" in page.get_data(as_text=True)
        login(make_requester())
        assert client.get(f"/pay/timesheets/{sheet.id}").status_code == 404
        login(make_trainer())
        assert client.get(f"/pay/timesheets/{sheet.id}").status_code == 404


def test_dispute_form_needs_a_reason_and_the_trainer_answers_from_the_page(client, login):
    with Clock(MONDAY) as clock:
        job, trainer, sheet, session = closed_week(clock)
        login(job.requester)
        url = f"/pay/timesheets/{sheet.id}/sessions/{session.id}/dispute"
        empty = client.post(url, data={f"d{session.id}-reason": "", f"d{session.id}-proposed_minutes": "0"})
        assert empty.status_code == 422 and "Write a reason" in empty.get_data(as_text=True)
        sent = client.post(url, data={f"d{session.id}-reason": "No answers were submitted in this session.",
                                      f"d{session.id}-proposed_minutes": "5"}, follow_redirects=True)
        assert "Dispute sent" in sent.get_data(as_text=True)
        dispute = db.session.scalar(sa.select(SessionDispute))
        assert (dispute.proposed_seconds, dispute.status) == (300, "open")
        login(trainer)
        page = client.get("/pay/timesheets").get_data(as_text=True)
        assert "need" in page and "your answer" in page
        answered = client.post(f"/pay/disputes/{dispute.id}/answer",
                               data={f"a{dispute.id}-decision": "contest",
                                     f"a{dispute.id}-answer": "I read every post in full; that took the time."},
                               follow_redirects=True)
        assert "An admin will decide" in answered.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.get(SessionDispute, dispute.id).status == "contested"


def test_a_bonus_form_sent_twice_pays_once(client, login):
    with Clock(MONDAY):
        job = working_job()
        trainer = trainer_with_task(job)
        login(job.requester)
        page = client.get(f"/pay/jobs/{job.id}/bonus").get_data(as_text=True)
        token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
        form = {"trainer_id": trainer.id, "amount": "12.50", "reason": "Careful work on the hardest posts.",
                "source": "escrow", "token": token}
        assert client.post(f"/pay/jobs/{job.id}/bonus", data=form).status_code == 302
        assert client.post(f"/pay/jobs/{job.id}/bonus", data=form).status_code == 302
        assert [b.amount_cents for b in db.session.scalars(sa.select(Bonus))] == [1250]


def test_csv_exports_neutralise_formulas(client, login):
    with Clock(MONDAY) as clock:
        job, trainer, sheet, _ = closed_week(clock)
        job.title = "=HYPERLINK(\"http://evil.example\")"
        db.session.commit()
        login(job.requester)
        spend = client.get("/pay/spend.csv").get_data(as_text=True)
        assert "'=HYPERLINK" in spend and "\n=HYPERLINK" not in spend and ",=HYPERLINK" not in spend
        login(trainer)
        earnings = client.get("/earnings.csv").get_data(as_text=True)
        assert "'=HYPERLINK" in earnings and ",=HYPERLINK" not in earnings


def test_earnings_page_shows_pending_money_and_the_chart_data(client, login):
    with Clock(MONDAY) as clock:
        job, trainer, sheet, _ = closed_week(clock, minutes=30)
        login(trainer)
        page = client.get("/earnings").get_data(as_text=True)
        assert "$15.00" in page  # 30 minutes at $30/h, waiting for approval
        assert 'id="earnings-data"' in page and "chart.umd.min.js" in page
        assert "Next payday" in page


def test_this_pay_week_shows_minutes_under_an_hour_and_names_the_goal(client, login):
    """Twenty minutes of work this week read "20 min", not "0 h"; the goal line says it is the trainer's goal."""
    with Clock(MONDAY) as clock:
        job = working_job(rate_cents=3000)
        trainer = trainer_with_task(job)
        trainer.weekly_goal_minutes = 600
        beat(trainer, job)
        for _ in range(40):
            clock.advance(seconds=30)
            beat(trainer, job)
        beat(trainer, job, final=True)
        db.session.commit()
        login(trainer)
        page = client.get("/pay/timesheets").get_data(as_text=True)
        this_week = page[page.index('id="this-week"'):page.index("Waiting for approval")]
        assert "20 min" in this_week and "0 h<" not in this_week
        assert "Your weekly goal: 0.3 of 10 hours this week" in this_week
        earnings = client.get("/earnings").get_data(as_text=True)
        assert "Your weekly goal: 0.3 of 10 hours this week" in earnings
        # No payday yet: the empty state points to the wallet, where payouts outside a payday are listed.
        assert "No payday yet" in earnings and 'href="/wallet"' in earnings


def test_the_requester_reads_pay_weeks_as_dates_not_iso_week_codes(client, login):
    with Clock(MONDAY) as clock:
        job, trainer, sheet, _ = closed_week(clock)
        job.requester.timezone = "UTC"
        db.session.commit()
        login(job.requester)
        page = client.get("/pay/timesheets").get_data(as_text=True)
        assert "Mon 6 Mar – Sun 12 Mar 2028 (UTC)" in page and "2028-W10" not in page


def test_a_running_week_says_when_it_goes_to_the_requester_on_the_trainers_clock(client, login):
    with Clock(MONDAY) as clock:
        job = working_job()
        trainer = trainer_with_task(job)
        trainer.timezone = "Africa/Lagos"
        work(trainer, job, clock, beats=10)
        db.session.commit()
        sheet = db.session.scalar(sa.select(Timesheet).where(Timesheet.trainer_id == trainer.id))
        login(trainer)
        page = client.get(f"/pay/timesheets/{sheet.id}").get_data(as_text=True)
        # The week of Mon 6 Mar 2028 ends Monday 13 March 00:00 UTC: 01:00 in Lagos (WAT, UTC+1).
        assert "goes to the requester when it ends, on Mon 13 Mar, 01:00 WAT (Monday 00:00 UTC)." in page
        started = db.session.scalar(sa.select(WorkSession.started_at).where(WorkSession.trainer_id == trainer.id))
        assert f"{started.hour + 1:02d}:{started.minute:02d}:{started.second:02d}" in page  # to the second, local


def test_the_wallet_names_the_job_and_the_week_each_payment_is_for(client, login):
    """Not "job #9, 2026-W10": the job's title and the week's dates, as the trainer knows them."""
    from marketplace.pay import bonuses, timesheets
    with Clock(MONDAY) as clock:
        job, trainer, sheet, _ = closed_week(clock)
        job.title = "Rate chatbot replies"
        timesheets.approve(sheet, job.requester, clock.now)
        bonuses.award(job.requester, job, trainer.id, 500, "Careful work on the hard ones.", "escrow", "bonus-1",
                      clock.now)
        db.session.commit()
        login(trainer)
        wallet = client.get("/wallet").get_data(as_text=True)
        assert "Approved time: 0.3 h on “Rate chatbot replies”, Mon 6 Mar – Sun 12 Mar 2028 (UTC)" in wallet
        assert "on “Rate chatbot replies”: Careful work on the hard ones." in wallet
        assert "job #" not in wallet and "2028-W10" not in wallet
