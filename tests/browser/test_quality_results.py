"""A requester opens a job's results, sees agreement and a disputed gold item, corrects the gold answer, and the
trainer's accuracy changes (on the requester's dashboard and on the trainer's own quality page)."""
import re

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.quality import contests
from marketplace.quality.models import GoldScore
from marketplace.quality.pseudonyms import trainer_code
from tests.browser.conftest import log_in, shot
from tests.factories import answer_task, job_tasks, make_open_job, make_requester, make_trainer

PASSWORD = "a long unusual passphrase"
HATE, OFFENSIVE, NEITHER = "Hate speech", "Offensive, not hate speech", "Neither"
CONTEST = "This post insults one person's opinion; no group is attacked, so it is offensive, not hate speech."


def _world():
    requester = make_requester(email="priya@lab.example.com", password=PASSWORD, display_name="Priya Raman")
    job = make_open_job(requester, tasks=6, overlap=3, title="Hate speech in English posts")
    tasks = job_tasks(job)
    tasks[0].gold = {"labels": [HATE]}      # wrong on purpose: the post is offensive, not hateful
    tasks[0].meta = {"explanation": "Insulting intelligence counts as hate speech."}
    tasks[1].gold = {"labels": [NEITHER]}
    tasks[1].meta = {"explanation": "A neutral question."}
    db.session.commit()
    trainers = [make_trainer(email="amara@t.example.com", password=PASSWORD, display_name="Amara Okafor"),
                make_trainer(), make_trainer()]
    answers = [[OFFENSIVE, NEITHER, HATE, OFFENSIVE, NEITHER, HATE],
               [OFFENSIVE, NEITHER, HATE, NEITHER, NEITHER, HATE],
               [HATE, NEITHER, HATE, OFFENSIVE, OFFENSIVE, HATE]]
    for trainer, row in zip(trainers, answers):
        for task, label in zip(tasks, row):
            answer_task(task, trainer, {"labels": [label], "justification": "Judged against the guideline."})
    amara = trainers[0]
    score = db.session.scalar(sa.select(GoldScore).where(GoldScore.worker_id == amara.id,
                                                       GoldScore.task_id == tasks[0].id))
    contests.contest_gold(score.id, amara, CONTEST)
    db.session.commit()
    return job, tasks, amara


def test_requester_sees_agreement_and_a_disputed_gold_item_corrects_it_and_accuracy_changes(page, new_page):
    job, tasks, amara = _world()
    code = trainer_code(job.id, amara.id)

    log_in(page, "priya@lab.example.com", PASSWORD)
    page.goto(f"/jobs/{job.id}/results")
    agreement = page.locator("#agreement")
    assert "Krippendorff's alpha" in agreement.inner_text()
    assert re.search(r"\d\.\d\d", agreement.locator(".stat").inner_text())
    assert page.locator("#agreement-chart").is_visible()
    row = page.locator("tr", has=page.locator(f"code:text-is('{code}')")).first
    assert "50%" in row.inner_text() and "1 of 2 gold items" in row.inner_text()
    assert "Amara" not in page.content()
    disputed = page.locator("#disputed + table")
    assert "offensive, not hate speech" in disputed.inner_text()
    shot(page, "quality-results-before-correction")

    disputed.get_by_role("link", name="Task 1").click()
    page.wait_for_url(re.compile(rf".*/jobs/{job.id}/gold/{tasks[0].id}$"))
    assert CONTEST in page.content()
    page.get_by_label(OFFENSIVE).check()
    page.get_by_label("Explanation trainers read").fill(
        "Right: the post insults a person's opinion, not a protected group, so it is offensive, not hate speech.")
    shot(page, "quality-gold-item-correcting")
    page.get_by_role("button", name="Save the corrected answer and re-score").click()
    assert "re-scored" in page.locator(".flash-success").inner_text()
    assert "corrected" in page.locator("article.contest").first.inner_text()

    page.goto(f"/jobs/{job.id}/results")
    row = page.locator("tr", has=page.locator(f"code:text-is('{code}')")).first
    assert "100%" in row.inner_text() and "2 of 2 gold items" in row.inner_text()
    shot(page, "quality-results-after-correction")

    trainer_page = new_page()
    log_in(trainer_page, "amara@t.example.com", PASSWORD)
    trainer_page.get_by_role("link", name="Quality").first.click()
    assert "100%" in trainer_page.locator("table").first.inner_text()
    assert "None missed" in trainer_page.content()
    shot(trainer_page, "quality-trainer-after-correction")
