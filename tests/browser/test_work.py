"""A qualified trainer opens My work, starts a hate-speech classification job, answers three tasks with the
keyboard and sees their time and progress; an ineligible trainer sees why they cannot take the job."""
import re

import sqlalchemy as sa

from marketplace.assignment.models import Assignment
from tests.assignment.conftest import worked  # noqa: F401  (fixture: measured time)
from tests.browser.conftest import log_in, shot
from tests.factories import make_open_job, make_trainer

PASSWORD = "a long unusual passphrase"
HATE = {"labels": ["Hate speech", "Offensive, not hate speech", "Neither"], "justification_required": True,
        "justification_min_chars": 10}


def hate_speech_job():
    return make_open_job(tasks=5, overlap=3, config=HATE, title="Judge hate speech in forum posts",
                         hourly_rate_cents=2000, est_minutes_per_task=2,
                         required_languages=[{"code": "en", "min_proficiency": "professional"}],
                         required_expertise=["trust_and_safety"],
                         content_warning="Posts contain slurs and threats against groups of people.",
                         instructions="Choose **one** label, then say why in a sentence.")


def test_a_qualified_trainer_answers_three_tasks_with_the_keyboard(page, db, worked):
    job = hate_speech_job()
    trainer = make_trainer(email="amara@trainers.example.com", password=PASSWORD, display_name="Amara",
                           languages=(("en", "native"),), expertise=("trust_and_safety",))
    worked(trainer, today_minutes=47, week_minutes=300)
    log_in(page, "amara@trainers.example.com", PASSWORD)

    page.get_by_role("link", name="My work").first.click()
    card = page.locator(f"#job-{job.id}")
    assert "$20.00 an hour" in card.inner_text() and "Posts contain slurs" in card.inner_text()
    shot(page, "work-my-work")
    card.get_by_label("I have read the warning").check()
    card.get_by_role("button", name="Accept and start").click()
    page.wait_for_url(re.compile(r"/work/tasks/\d+$"))
    assert page.locator("#time-today").inner_text() == "47 min"
    assert page.locator("#rate").inner_text() == "$20.00/hour"

    page.keyboard.press("?")
    assert page.locator("#shortcuts-help").is_visible()
    shot(page, "work-shortcuts")
    page.keyboard.press("Escape")
    page.keyboard.press("i")
    assert page.locator("#instructions").get_attribute("open") is not None

    for n, (key, label) in enumerate([("1", "Hate speech"), ("3", "Neither"), ("2", "Offensive, not hate speech")]):
        assert f"Post number {n + 1}" in page.locator("#task-text").inner_text()
        page.keyboard.press(key)
        assert page.locator(f"input[name=labels][value='{label}']").is_checked()
        page.keyboard.press("Tab")  # out of the label group, into the justification
        page.keyboard.type(f"Reason number {n + 1}, against the guideline.")
        if n == 0:
            page.wait_for_function("document.getElementById('draft-status').textContent.includes('Draft saved')")
            shot(page, "work-task-draft-saved")
        with page.expect_navigation():
            page.keyboard.press("Control+Enter")
        assert page.locator("#answered-today").inner_text() == str(n + 1)

    assert "Post number 4" in page.locator("#task-text").inner_text()
    assert "3 today" in page.locator("#progress").inner_text()
    assert page.locator("#time-today").inner_text() == "47 min"
    shot(page, "work-after-three")
    db.session.rollback()  # see what the server committed
    answers = db.session.scalars(sa.select(Assignment.answer).where(Assignment.answer.isnot(None))
                                 .order_by(Assignment.id)).all()
    assert [a["labels"] for a in answers] == [["Hate speech"], ["Neither"], ["Offensive, not hate speech"]]
    assert answers[1]["justification"] == "Reason number 2, against the guideline."

    page.get_by_role("link", name="My work").first.click()
    assert "You hold 1 task here" in page.locator(f"#job-{job.id}").inner_text()
    assert "5 h 00 min" in page.locator("#week-summary").inner_text()


def test_an_ineligible_trainer_sees_why_and_what_would_change_it(page, db):
    job = hate_speech_job()
    make_trainer(email="yuki@trainers.example.com", password=PASSWORD, display_name="Yuki",
                 languages=(("ja", "native"), ("en", "basic")), country="JP")
    log_in(page, "yuki@trainers.example.com", PASSWORD)
    page.get_by_role("link", name="My work").first.click()
    empty = page.locator("#empty-queue").inner_text()
    assert "No work you can start right now" in empty
    row = page.locator(f"#excluded-{job.id}").inner_text()
    assert "Requires English (professional or better); your profile says basic." in row
    assert "If your English is now professional or better, update your profile." in row
    assert "Requires expertise in Trust and safety / content moderation." in row
    shot(page, "work-ineligible")
    page.get_by_role("link", name="Judge hate speech in forum posts").click()
    assert "You cannot take this job now" in page.content()
    assert page.get_by_role("button", name="Start working").count() == 0
