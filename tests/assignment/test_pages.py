"""Trainer pages (My work, the work page) and the requester's progress page: what people see and can do."""
import re

import sqlalchemy as sa

from marketplace.assignment import services
from marketplace.assignment.models import Assignment
from marketplace.extensions import db
from tests.assignment.conftest import GOOD
from tests.factories import make_open_job, make_requester, make_trainer


def text(response):
    return response.get_data(as_text=True)


def test_my_work_lists_jobs_i_can_start_with_pay_time_and_hours_available(client, login, worked):
    job = make_open_job(title="Judge posts", hourly_rate_cents=2400, est_minutes_per_task=3, weekly_limit_minutes=600)
    trainer = make_trainer(weekly_cap_minutes=1200)
    worked(trainer, week_minutes=300, job={job.id: 120})
    login(trainer)
    page = text(client.get("/work/"))
    assert "You can start now" in page and "Judge posts" in page
    assert "$24.00 an hour" in page and "the 10% platform fee is charged to the requester on top" in page
    assert "about 3 min (≈ $1.20)" in page
    assert "8 hours available" in page  # the job's 10 h limit minus 2 h worked binds before the cap
    assert "15 hours" in page and "left under your cap" in page


def test_my_work_lists_jobs_i_cannot_take_with_the_rule_and_what_would_change_it(client, login):
    make_open_job(title="Japanese reviews", required_languages=[{"code": "ja", "min_proficiency": "professional"}])
    make_open_job(title="Paused triage", status="paused", paused_reason="budget")
    login(make_trainer())
    page = text(client.get("/work/"))
    assert "Jobs you cannot take now" in page
    assert "Requires Japanese (professional or better)." in page and "add it to your profile" in page
    assert "paused: its budget is used up" in page and "requester adds funds" in page
    assert "No work you can start right now" in page
    assert "No work is published for your languages (English)" in page


def test_an_empty_queue_says_no_jobs_are_published(client, login):
    login(make_trainer())
    assert "No jobs are published right now" in text(client.get("/work/"))


def test_a_suspended_trainer_sees_why_and_a_link_to_the_notice(client, login):
    make_open_job()
    login(make_trainer(status="suspended"))
    page = text(client.get("/work/"))
    assert "new work is blocked" in page and "/standing" in page
    assert "not in good standing" in page


def test_at_the_weekly_cap_the_queue_says_so(client, login, worked):
    make_open_job()
    trainer = make_trainer(weekly_cap_minutes=600)
    worked(trainer, week_minutes=600)
    login(trainer)
    page = text(client.get("/work/"))
    assert "You have reached your weekly cap of 10 hours." in page
    assert "reached your weekly cap; new work opens Monday 00:00 UTC" in page


def test_a_content_warning_is_shown_with_an_accept_step_before_starting(client, login):
    job = make_open_job(content_warning="Posts contain slurs.")
    login(make_trainer())
    page = text(client.get("/work/"))
    assert "Posts contain slurs." in page and "Accept and start" in page
    refused = client.post(f"/work/jobs/{job.id}/start", follow_redirects=True)
    assert "Posts contain slurs." in text(refused) and "Accept it to start" in text(refused)
    started = client.post(f"/work/jobs/{job.id}/start", data={"accept_warning": "1"})
    assert re.search(r"/work/tasks/\d+$", started.headers["Location"])


def test_start_opens_the_work_page_with_the_task_rate_time_and_timer(client, login, worked):
    job = make_open_job(tasks=3, hourly_rate_cents=2400, instructions="Read **carefully**.")
    trainer = make_trainer()
    worked(trainer, today_minutes=95)
    login(trainer)
    response = client.post(f"/work/jobs/{job.id}/start")
    page = text(client.get(response.headers["Location"]))
    assert "Post number 1" in page and "$24.00/hour" in page and "1 h 35 min" in page
    assert 'id="timer"' in page and "<strong>carefully</strong>" in page
    assert 'data-key="1"' in page and "Submit and next" in page and "Keyboard shortcuts" in page


def test_submit_and_next_moves_to_the_next_task_and_counts_progress(client, login):
    job = make_open_job(tasks=3)
    login(make_trainer())
    first = client.post(f"/work/jobs/{job.id}/start").headers["Location"]
    response = client.post(first + "/submit", data={"labels": "Neither", "justification": GOOD["justification"],
                                                    "then": "next"})
    second = response.headers["Location"]
    assert second != first and re.search(r"/work/tasks/\d+$", second)
    page = text(client.get(second))
    assert "Post number 2" in page and "Submitted and accepted." in page
    assert '<span id="answered-today">1</span>' in page


def test_a_bad_answer_redisplays_the_page_with_the_error_and_keeps_what_was_typed(client, login):
    job = make_open_job(tasks=1)
    login(make_trainer())
    url = client.post(f"/work/jobs/{job.id}/start").headers["Location"]
    response = client.post(url + "/submit", data={"labels": "Neither", "justification": "short", "then": "next"})
    assert response.status_code == 422
    page = text(response)
    assert "must be at least 20 characters" in page and ">short</textarea>" in page
    assert db.session.scalar(sa.select(Assignment.status)) == "reserved"
    missing = client.post(url + "/submit", data={"justification": GOOD["justification"]})
    assert missing.status_code == 422 and "Choose a label before submitting." in text(missing)


def test_autosave_keeps_the_draft_and_the_page_restores_it(client, login):
    job = make_open_job(tasks=1)
    login(make_trainer())
    url = client.post(f"/work/jobs/{job.id}/start").headers["Location"]
    saved = client.post(url + "/draft", data={"labels": "Hate speech", "justification": "half a thought"})
    assert saved.status_code == 200 and saved.get_json()["saved_at"]
    page = text(client.get(url))
    assert re.search(r'value="Hate speech"\s+data-key="1" checked', page) and "half a thought" in page


def test_returning_a_task_frees_it_and_says_there_is_no_penalty(client, login):
    job = make_open_job(tasks=2)
    login(make_trainer())
    url = client.post(f"/work/jobs/{job.id}/start").headers["Location"]
    response = client.post(url + "/return", data={"reason": "unclear", "then": "stop"}, follow_redirects=True)
    assert "no penalty" in text(response)
    assert db.session.scalar(sa.select(Assignment.return_reason)) == "unclear"


def test_a_trainer_never_sees_another_trainers_answer_or_the_gold(client, login):
    job = make_open_job(tasks=1, overlap=2)
    first, second = make_trainer(), make_trainer()
    a = services.claim_next(job, first)[0]
    secret = {"labels": ["Hate speech"], "justification": "SECRET-REASON-OF-THE-FIRST-TRAINER"}
    services.submit(a.id, first, secret)
    from marketplace.jobs.models import Task
    db.session.scalar(sa.select(Task)).gold = {"labels": ["GOLD-LABEL"]}
    db.session.commit()
    login(second)
    url = client.post(f"/work/jobs/{job.id}/start").headers["Location"]
    page = text(client.get(url))
    assert "Post number 1" in page
    assert "SECRET-REASON" not in page and "GOLD-LABEL" not in page
    assert client.get(f"/work/tasks/{a.id}").status_code == 404  # the first trainer's assignment


def test_work_pages_are_for_trainers_only(client, login):
    job = make_open_job(tasks=1)
    trainer = make_trainer()
    a = services.claim_next(job, trainer)[0]
    db.session.commit()
    login(make_requester())
    assert client.get("/work/").status_code == 403
    assert client.get(f"/work/tasks/{a.id}").status_code == 403
    assert client.post(f"/work/jobs/{job.id}/start").status_code == 403


def test_requester_progress_shows_counts_answers_and_return_reasons(client, login):
    requester = make_requester()
    job = make_open_job(requester, tasks=4, overlap=2, review_policy="requester")
    t1, t2 = make_trainer(), make_trainer()
    a = services.claim_next(job, t1)[0]
    services.submit(a.id, t1, GOOD)
    b = services.claim_next(job, t2, k=2)
    services.return_task(b[1].id, t2, reason="broken")
    db.session.commit()
    login(requester)
    page = text(client.get(f"/jobs/{job.id}/progress"))
    assert re.search(r'id="count-open">3<', page) and re.search(r'id="count-in-progress">1<', page)
    assert re.search(r'id="count-done">0<', page) and "1 / 8" in page
    assert "Something is wrong with the task" in page and ": 1" in page
    assert GOOD["justification"] in page and "Approve" in page and f"Trainer #{t1.id}" in page
    assert t1.display_name not in page
    task_page = text(client.get(f"/jobs/{job.id}/progress/tasks/{a.task_id}"))
    assert GOOD["justification"] in task_page


def test_requester_rejects_from_the_progress_page_with_a_reason(client, login):
    requester = make_requester()
    job = make_open_job(requester, tasks=1, review_policy="requester")
    trainer = make_trainer()
    a = services.claim_next(job, trainer)[0]
    services.submit(a.id, trainer, GOOD)
    db.session.commit()
    login(requester)
    empty = client.post(f"/jobs/{job.id}/answers/{a.id}/reject", data={"reason": ""}, follow_redirects=True)
    assert "Write why the answer is rejected" in text(empty)
    done = client.post(f"/jobs/{job.id}/answers/{a.id}/reject",
                       data={"reason": "It is hate speech: it attacks a religion."}, follow_redirects=True)
    assert "Answer rejected" in text(done)
    assert db.session.get(Assignment, a.id).status == "rejected"


def test_progress_pages_are_for_the_jobs_requester_only(client, login):
    job = make_open_job()
    login(make_requester())
    assert client.get(f"/jobs/{job.id}/progress").status_code == 404
    login(make_trainer())
    assert client.get(f"/jobs/{job.id}/progress").status_code == 403


def test_the_job_page_lists_every_rule_that_keeps_me_out_with_the_remedy(client, login):
    job = make_open_job(required_languages=[{"code": "ja", "min_proficiency": "professional"}],
                        required_expertise=["law"], instructions="Judge **each** post.")
    login(make_trainer())
    page = text(client.get(f"/work/jobs/{job.id}"))
    assert "You cannot take this job now" in page
    assert "Requires Japanese (professional or better)." in page and "Requires expertise in Law." in page
    assert "<strong>each</strong>" in page and "Start working" not in page


def test_the_job_page_offers_the_warning_and_start_when_i_qualify(client, login):
    job = make_open_job(content_warning="Posts contain slurs.")
    login(make_trainer())
    page = text(client.get(f"/work/jobs/{job.id}"))
    assert "Posts contain slurs." in page and "Accept and start" in page


def test_a_multi_label_job_offers_checkboxes_and_takes_several_labels(client, login):
    job = make_open_job(tasks=2, config={"labels": ["Politics", "Sport", "Health"], "multiple": True})
    login(make_trainer())
    url = client.post(f"/work/jobs/{job.id}/start").headers["Location"]
    page = text(client.get(url))
    assert page.count('type="checkbox" name="labels"') == 3 and "Choose every label that applies" in page
    done = client.post(url + "/submit", data={"labels": ["Politics", "Health"], "then": "stop"})
    assert done.status_code == 302
    assert db.session.scalar(sa.select(Assignment.answer)) == {"labels": ["Politics", "Health"]}
