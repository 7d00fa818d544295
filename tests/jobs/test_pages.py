"""Requester pages: the wizard creates a draft step by step; bad input is refused with the reason, nothing
half-saved; another requester's job does not exist for you."""
import io

import sqlalchemy as sa

from marketplace.jobs.models import ImportRun, Job
from tests.factories import make_assessment, make_job, make_requester, make_trainer

BASICS = {"title": "Judge hate speech in English posts", "summary": "Short posts from forums.",
          "instructions": "# Rules\n\nRead **carefully**.<script>alert(1)</script>",
          "labels": "Hate speech\nOffensive, not hate speech\nNeither", "justification_required": "y",
          "justification_min_chars": "20"}


def test_wizard_creates_a_draft_through_every_step(client, login, db):
    make_assessment("hate-speech-en")
    requester = make_requester()
    login(requester)
    assert b"Classification" in client.get("/jobs/new").data
    response = client.post("/jobs/new/classification", data=BASICS)
    assert response.status_code == 302
    job = db.session.scalar(sa.select(Job))
    assert job.status == "draft" and job.config["labels"][2] == "Neither" and job.config["justification_required"]
    assert response.headers["Location"].endswith(f"/jobs/{job.id}/edit/eligibility")

    response = client.post(f"/jobs/{job.id}/edit/eligibility", data={
        "languages-0-code": "en", "languages-0-min_proficiency": "professional", "expertise": ["trust_and_safety"],
        "qualifications": ["hate-speech-en"], "countries": ["GB", "IE"],
        "country_reason": "the posts come from a UK-only forum",
        "content_warning": "Posts contain slurs and threats against groups."})
    assert response.status_code == 302, response.data
    response = client.post(f"/jobs/{job.id}/edit/pay", data={
        "hourly_rate": "18.50", "est_minutes_per_task": "2", "weekly_limit_hours": "10", "budget": "500",
        "answers_per_task": "3", "review_policy": "requester", "review_window_hours": "48",
        "reservation_minutes": "20"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/jobs/{job.id}/preview")
    db.session.refresh(job)
    assert job.required_languages == [{"code": "en", "min_proficiency": "professional"}]
    assert job.allowed_countries == ["GB", "IE"] and job.required_qualifications == ["hate-speech-en"]
    assert (job.hourly_rate_cents, job.budget_cents, job.weekly_limit_minutes, job.answers_per_task) == (
        1850, 50_000, 600, 3)

    preview = client.get(f"/jobs/{job.id}/preview").get_data(as_text=True)
    assert "What a trainer sees" in preview or "what a trainer sees" in preview
    assert "<h1>Rules</h1>" in preview and "<script>" not in preview  # Markdown rendered, scripts removed
    assert "$18.50 an hour" in preview and "Posts contain slurs" in preview
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "Add tasks before publishing" in page


def test_rate_under_the_platform_minimum_is_refused_on_the_form(client, login, db):
    job = make_job()
    login(job.requester)
    response = client.post(f"/jobs/{job.id}/edit/pay", data={
        "hourly_rate": "9.99", "est_minutes_per_task": "5", "budget": "100", "answers_per_task": "1",
        "review_policy": "auto", "review_window_hours": "72", "reservation_minutes": "30"})
    assert response.status_code == 422
    assert "at least the platform minimum of $15.00 an hour" in response.get_data(as_text=True)
    db.session.refresh(job)
    assert job.hourly_rate_cents == 2000


def test_bad_kind_configuration_is_shown_under_its_field(client, login, db):
    login(make_requester())
    response = client.post("/jobs/new/classification", data={**BASICS, "labels": "Only one"})
    assert response.status_code == 422 and "needs at least 2 items" in response.get_data(as_text=True)
    response = client.post("/jobs/new/writing", data={**BASICS, "min_chars": "900", "max_chars": "10"})
    assert response.status_code == 422 and "must not be more than the maximum" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


def test_country_limit_needs_a_reason_trainers_can_read(client, login, db):
    job = make_job()
    login(job.requester)
    response = client.post(f"/jobs/{job.id}/edit/eligibility", data={"countries": ["JP"]})
    assert response.status_code == 422 and "trainers elsewhere read it" in response.get_data(as_text=True)


def test_published_job_cannot_change_its_task_settings(client, login, db):
    job = make_job(status="published", tasks=2)
    login(job.requester)
    response = client.post(f"/jobs/{job.id}/edit/basics", data={**BASICS, "labels": "a\nb"})
    assert response.status_code == 302  # title and instructions may change; the settings field set is disabled
    db.session.refresh(job)
    assert job.title == BASICS["title"] and job.config["labels"][0] == "Hate speech"


def test_another_requesters_job_is_404_everywhere(client, login, db):
    job = make_job(tasks=1)
    login(make_requester())
    for path in (f"/jobs/{job.id}", f"/jobs/{job.id}/edit/basics", f"/jobs/{job.id}/tasks",
                 f"/jobs/{job.id}/preview", f"/jobs/{job.id}/tasks/upload", f"/jobs/{job.id}/tasks/template.csv"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/jobs/{job.id}/pause").status_code == 404


def test_upload_page_imports_a_csv_and_shows_the_result(client, login, db):
    job = make_job()
    login(job.requester)
    data = {"file": (io.BytesIO(b"text,gold\nfirst post,Neither\nsecond post,\n"), "posts.csv"),
            "mode": "all_or_nothing"}
    response = client.post(f"/jobs/{job.id}/tasks/upload", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    run = db.session.scalar(sa.select(ImportRun))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Imported 2 tasks." in page and run.status == "succeeded"
    tasks_page = client.get(f"/jobs/{job.id}/tasks?gold=yes").get_data(as_text=True)
    assert "first post" in tasks_page and "second post" not in tasks_page
    assert client.get(f"/jobs/{job.id}/tasks?q=second").get_data(as_text=True).count("<tr>") == 2


def test_upload_larger_than_the_limit_gets_413_and_nothing_is_queued(client, login, db, app):
    job = make_job()
    login(job.requester)
    app.config["JOBS_IMPORT_MAX_BYTES"] = 2000
    try:
        data = {"file": (io.BytesIO(b"text\n" + b"x" * 5000 + b"\n"), "big.csv"), "mode": "all_or_nothing"}
        response = client.post(f"/jobs/{job.id}/tasks/upload", data=data, content_type="multipart/form-data")
    finally:
        app.config["JOBS_IMPORT_MAX_BYTES"] = 1024 ** 3
    assert response.status_code == 413 and b"too large" in response.data
    assert db.session.scalar(sa.select(sa.func.count(ImportRun.id))) == 0


def test_my_jobs_lists_progress_and_trainers_cannot_open_it(client, login, db):
    job = make_job(tasks=4, tasks_done=1, status="published")
    login(job.requester)
    page = client.get("/jobs/").get_data(as_text=True)
    assert job.title in page and "1 / 4" in page
    login(make_trainer())
    assert client.get("/jobs/").status_code == 403


def test_trainer_sees_why_they_cannot_take_a_job_and_accepts_a_content_warning(client, login, db):
    job = make_job(status="published", tasks=1, required_languages=[{"code": "ja", "min_proficiency": "professional"}],
                   content_warning="Violent threats.")
    trainer = make_trainer(languages=[("en", "native")])
    login(trainer)
    page = client.get(f"/jobs/{job.id}/about").get_data(as_text=True)
    assert "Requires Japanese (professional or better)." in page
    open_job = make_job(status="published", tasks=1, content_warning="Violent threats.")
    page = client.get(f"/jobs/{open_job.id}/about").get_data(as_text=True)
    assert "Before you start: content warning" in page
    assert client.post(f"/jobs/{open_job.id}/accept-warning").status_code == 302
    assert "You can work on this job." in client.get(f"/jobs/{open_job.id}/about").get_data(as_text=True)
    draft = make_job()
    assert client.get(f"/jobs/{draft.id}/about").status_code == 404


def test_a_draft_without_tasks_says_why_it_cannot_be_published_and_offers_no_live_button(client, login, db):
    empty, ready = make_job(budget_cents=36_000), make_job(tasks=2, budget_cents=36_000, hourly_rate_cents=1800)
    login(empty.requester)
    page = client.get(f"/jobs/{empty.id}").get_data(as_text=True)
    assert "Not ready to publish." in page and "Add tasks before publishing" in page
    assert 'disabled aria-describedby="publish-problem">Fund and publish' in page
    assert f'action="/jobs/{empty.id}/publish"' not in page
    login(ready.requester)
    ready_page = client.get(f"/jobs/{ready.id}").get_data(as_text=True)
    assert f'action="/jobs/{ready.id}/publish"' in ready_page and "Not ready to publish" not in ready_page
    # The budget line says an hour's cost is the trainer's rate plus the fee on top.
    assert "$19.80 an hour" in ready_page and "(the $18.00 rate plus the 10% platform fee on top)" in ready_page


def test_the_tasks_list_shows_a_classification_gold_answer_as_its_labels(client, login, db):
    from marketplace.jobs.models import Task
    job = make_job(tasks=2)
    first, second = db.session.scalars(sa.select(Task).where(Task.job_id == job.id).order_by(Task.seq)).all()
    first.gold = {"labels": ["Offensive, not hate speech"]}
    second.gold = {"boxes": [{"label": "cat", "x": 1}]}
    db.session.commit()
    login(job.requester)
    page = client.get(f"/jobs/{job.id}/tasks").get_data(as_text=True)
    assert '<span class="gold-labels">Offensive, not hate speech</span>' in page
    assert "{&#34;labels&#34;" not in page and '{"labels"' not in page
    assert "boxes" in page  # other kinds' gold still shows, as data


def test_a_required_qualification_is_shown_by_its_name_not_its_key(client, login, db):
    from marketplace.assessments.models import Qualification
    db.session.add(Qualification(key="hate-speech-en", name="Hate-speech judgement (English)", kind="task_skill"))
    db.session.commit()
    job = make_job(status="published", tasks=1, required_qualifications=["hate-speech-en", "retired-key"])
    login(make_trainer(languages=[("en", "native")]))
    page = client.get(f"/jobs/{job.id}/about").get_data(as_text=True)
    assert "<dt>Qualifications</dt><dd>Hate-speech judgement (English), retired-key</dd>" in page


def test_the_pay_line_reads_as_english_whatever_the_minutes():
    """"an 8-minute task", "an 11-minute task", "an 18-minute task", but "a 5-minute task", "a 1-minute task"."""
    from flask import current_app
    article = current_app.jinja_env.filters["a_or_an"]
    assert [article(n) for n in (8, 11, 18, 80, 85, 800)] == ["an"] * 6
    assert [article(n) for n in (1, 5, 10, 12, 19, 28, 100, 110, 118)] == ["a"] * 9


def test_the_job_page_says_an_8_minute_task(client, login, db):
    job = make_job(est_minutes_per_task=8)
    login(job.requester)
    assert "for an 8-minute task" in client.get(f"/jobs/{job.id}").get_data(as_text=True)
