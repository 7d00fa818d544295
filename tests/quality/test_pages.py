"""The quality pages people use: what they show, what they refuse, and who may see them."""
from __future__ import annotations

import sqlalchemy as sa

from marketplace.assignment.models import Assignment
from marketplace.extensions import db
from marketplace.quality import contests, peer, rules
from marketplace.quality.models import GoldContest, GoldScore, QualityRestriction
from marketplace.quality.pseudonyms import trainer_code
from tests.factories import answer_task, job_tasks, make_admin, make_open_job, make_requester, make_trainer

from .conftest import RIGHT, WRONG, answer_all, gold_job, label_answer

WHY = "The post quotes the slur to condemn it, which the instructions call not hateful."


def _score(trainer, task):
    return db.session.scalar(sa.select(GoldScore).where(GoldScore.worker_id == trainer.id,
                                                       GoldScore.task_id == task.id))


def test_trainer_sees_accuracy_missed_items_expected_answer_and_explanation(client, login):
    job = gold_job(tasks=3)
    trainer = make_trainer()
    answer_all(job, trainer, [WRONG, RIGHT, RIGHT])
    login(trainer)
    page = client.get("/quality").get_data(as_text=True)
    assert "67%" in page and "2 of 3 gold items" in page
    assert "You chose &#39;Hate speech&#39;; the expected label is &#39;Neither&#39;." in page
    item = client.get(f"/quality/items/{_score(trainer, job_tasks(job)[0]).id}").get_data(as_text=True)
    assert "Expected answer" in item and "Neither" in item and "rude but not hateful" in item
    assert "Contest this gold answer" in item


def test_trainer_contests_from_the_page_and_short_text_is_refused_inline(client, login):
    job = gold_job(tasks=1)
    trainer = make_trainer()
    answer_all(job, trainer, [WRONG])
    score = _score(trainer, job_tasks(job)[0])
    login(trainer)
    short = client.post(f"/quality/items/{score.id}/contest", data={"text": "wrong"})
    assert short.status_code == 422 and "field-error" in short.get_data(as_text=True)
    assert client.post(f"/quality/items/{score.id}/contest", data={"text": WHY}).status_code == 302
    assert db.session.scalar(sa.select(GoldContest)).text == WHY
    assert "Waiting for the requester" in client.get(f"/quality/items/{score.id}").get_data(as_text=True)


def test_trainers_never_see_other_trainers_answers_or_items(client, login):
    job = gold_job(tasks=2)
    me, other = make_trainer(), make_trainer()
    answer_task(job_tasks(job)[0], me, label_answer(WRONG))
    answer_task(job_tasks(job)[0], other, {"labels": [WRONG], "justification": "Other trainer's secret reasoning."})
    login(me)
    assert client.get(f"/quality/items/{_score(other, job_tasks(job)[0]).id}").status_code == 404
    mine = client.get(f"/quality/items/{_score(me, job_tasks(job)[0]).id}").get_data(as_text=True)
    assert "secret reasoning" not in mine and "secret reasoning" not in client.get("/quality").get_data(as_text=True)
    for path in (f"/jobs/{job.id}/results", f"/jobs/{job.id}/export?format=jsonl", f"/jobs/{job.id}/gold/1",
                 f"/jobs/{job.id}/review", f"/api/v1/jobs/{job.id}/export"):
        assert client.get(path).status_code in (403, 404), path


def test_a_requester_sees_only_their_own_jobs_results(client, login):
    job = gold_job(tasks=2)
    answer_all(job, make_trainer(), [WRONG, RIGHT])
    login(make_requester())
    for path in (f"/jobs/{job.id}/results", f"/jobs/{job.id}/export?format=csv",
                 f"/jobs/{job.id}/gold/{job_tasks(job)[0].id}", f"/jobs/{job.id}/review",
                 f"/jobs/{job.id}/quality-settings", f"/api/v1/jobs/{job.id}/export", f"/api/v1/jobs/{job.id}/results"):
        assert client.get(path).status_code == 404, path
    login(job.requester)
    assert client.get(f"/jobs/{job.id}/results").status_code == 200


def test_results_page_shows_agreement_trainer_codes_and_disputed_gold(client, login):
    job = gold_job(tasks=4, overlap=2, gold_every=2)
    a, b = make_trainer(display_name="Amara Secretname"), make_trainer()
    answer_all(job, a, [WRONG, RIGHT, RIGHT, WRONG])
    answer_all(job, b, [RIGHT, RIGHT, RIGHT, RIGHT])
    contests.contest_gold(_score(a, job_tasks(job)[0]).id, a, WHY)
    db.session.commit()
    login(job.requester)
    page = client.get(f"/jobs/{job.id}/results").get_data(as_text=True)
    assert "Krippendorff" in page and "agreement-chart" in page
    assert trainer_code(job.id, a.id) in page and "Secretname" not in page and a.email not in page
    assert "Disputed gold items" in page and WHY[:40] in page
    gold_page = client.get(f"/jobs/{job.id}/gold/{job_tasks(job)[0].id}").get_data(as_text=True)
    assert WHY in gold_page and "Save the corrected answer" in gold_page


def test_requester_corrects_gold_from_the_page_and_the_trainers_accuracy_changes(client, login):
    job = gold_job(tasks=2)
    trainer = make_trainer()
    answer_all(job, trainer, [WRONG, RIGHT])
    task = job_tasks(job)[0]
    login(job.requester)
    refused = client.post(f"/jobs/{job.id}/gold/{task.id}/correct", data={"labels": WRONG, "explanation": "x"})
    assert refused.status_code == 422
    done = client.post(f"/jobs/{job.id}/gold/{task.id}/correct", data={"labels": WRONG, "explanation": WHY})
    assert done.status_code == 302
    assert _score(trainer, task).passed
    login(trainer)
    assert "100%" in client.get("/quality").get_data(as_text=True)


def test_requester_keeps_gold_in_writing_from_the_page(client, login):
    job = gold_job(tasks=1)
    trainer = make_trainer()
    answer_all(job, trainer, [WRONG])
    contest = contests.contest_gold(_score(trainer, job_tasks(job)[0]).id, trainer, WHY)
    db.session.commit()
    login(job.requester)
    url = f"/jobs/{job.id}/contests/{contest.id}/uphold"
    assert client.post(url, data={"response": "no"}).status_code == 422
    assert client.post(url, data={"response": "Quoting a slur is still hateful under our policy."}).status_code == 302
    assert db.session.get(GoldContest, contest.id).status == "upheld"


def test_review_screen_filters_and_bulk_decisions_with_reasons(client, login):
    job = gold_job(tasks=4, overlap=2, gold_every=4, review_policy="requester")
    a, b = make_trainer(), make_trainer()
    answer_all(job, a, [WRONG, RIGHT, RIGHT, RIGHT])
    answer_all(job, b, [RIGHT, RIGHT, WRONG, RIGHT])
    login(job.requester)
    everything = client.get(f"/jobs/{job.id}/review").get_data(as_text=True)
    assert everything.count('name="selected" value=') == 8
    gold_failed = client.get(f"/jobs/{job.id}/review?only=gold_failed").get_data(as_text=True)
    assert gold_failed.count('name="selected" value=') == 1
    disagree = client.get(f"/jobs/{job.id}/review?only=disagreement").get_data(as_text=True)
    assert disagree.count('name="selected" value=') == 4 and "1 of 2 agree" in disagree
    by_a = client.get(f"/jobs/{job.id}/review?trainer={trainer_code(job.id, a.id)}").get_data(as_text=True)
    assert by_a.count('name="selected" value=') == 4

    ids = {(x.worker_id, x.task_id): x.id for x in db.session.scalars(sa.select(Assignment))}
    tasks = job_tasks(job)
    wrong_ones = [ids[(a.id, tasks[0].id)], ids[(b.id, tasks[2].id)]]
    refused = client.post(f"/jobs/{job.id}/review", data={"selected": wrong_ones, "action": "reject"})
    assert refused.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id)).where(Assignment.status == "rejected")) == 0
    own = "The gold item shows this post is not hateful."
    client.post(f"/jobs/{job.id}/review", data={"selected": wrong_ones, "action": "reject",
                                               f"reason_{wrong_ones[0]}": own,
                                               "common_reason": "Not hateful: no group is attacked, see section 2."})
    rejected = {x.id: x.review_reason for x in db.session.scalars(sa.select(Assignment).where(
        Assignment.status == "rejected"))}
    assert rejected == {wrong_ones[0]: own,
                        wrong_ones[1]: "Not hateful: no group is attacked, see section 2."}
    rest = [i for i in ids.values() if i not in wrong_ones]
    client.post(f"/jobs/{job.id}/review", data={"selected": rest, "action": "approve"})
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id)).where(Assignment.status == "approved")) == 6


def test_settings_page_validates_and_saves_the_rule(client, login):
    job = gold_job(tasks=1)
    login(job.requester)
    assert "Minimum accuracy" in client.get(f"/jobs/{job.id}/quality-settings").get_data(as_text=True)
    bad = client.post(f"/jobs/{job.id}/quality-settings", data={"is_rule_enabled": "y", "min_accuracy": "90",
                                                               "min_gold_items": "20", "window": "10",
                                                               "iou_threshold": "0.5", "rating_tolerance": "1"})
    assert bad.status_code == 422 and "window" in bad.get_data(as_text=True)
    ok = client.post(f"/jobs/{job.id}/quality-settings", data={"is_rule_enabled": "y", "min_accuracy": "90",
                                                              "min_gold_items": "20", "window": "40",
                                                              "iou_threshold": "0.6", "rating_tolerance": "1"})
    assert ok.status_code == 302
    row = rules.settings_for(job.id)
    assert (row.min_accuracy, row.min_gold_items, row.gold_window, row.iou_threshold) == (0.9, 20, 40, 0.6)


def test_removal_page_explains_and_the_requester_can_lift_it(client, login):
    job = gold_job(tasks=12)
    trainer = make_trainer()
    answer_all(job, trainer, [WRONG] * 10)
    row = db.session.scalar(sa.select(QualityRestriction))
    login(trainer)
    page = client.get(f"/quality/removals/{row.id}").get_data(as_text=True)
    assert "0 of 10 known-answer items correct" in page and "How to return" in page and "Task 1" in page
    assert client.get(f"/quality/removals/{row.id}").status_code == 200
    login(make_requester())
    assert client.get(f"/quality/removals/{row.id}").status_code == 404
    login(job.requester)
    assert client.post(f"/quality/removals/{row.id}/lift", data={"reason": "short"}).status_code == 422
    client.post(f"/quality/removals/{row.id}/lift", data={"reason": "Instructions were unclear; try again please."})
    assert db.session.get(QualityRestriction, row.id).status == "lifted"


def test_reviewer_pages_claim_show_the_answer_and_record_a_decision(client, login, qualified):
    job = make_open_job(tasks=2, review_policy="peer")
    rules.update_settings(job, job.requester, is_rule_enabled=True, min_accuracy=0.8, min_gold_items=10, window=50,
                          return_text="", iou_threshold=0.5, rating_tolerance=1, reviewer_qualification="reviewer")
    db.session.commit()
    author, reviewer = make_trainer(), make_trainer()
    assignment = answer_task(job_tasks(job)[0], author, {"labels": [WRONG], "justification": "A distinctive reason."})
    login(reviewer)
    assert "Reviewing needs the reviewer qualification" in client.get("/quality/reviewing").get_data(as_text=True)
    qualified[reviewer.id] = {"reviewer"}
    started = client.post(f"/quality/reviewing/jobs/{job.id}/start")
    assert started.status_code == 302
    page = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "A distinctive reason." in page and author.display_name not in page and 'data-session-kind="review"' in page
    review_id = int(started.headers["Location"].rsplit("/", 1)[1])
    assert client.post(f"/quality/reviewing/{review_id}", data={"decision": "reject", "reason": ""}).status_code == 422
    client.post(f"/quality/reviewing/{review_id}", data={"decision": "reject",
                                                         "reason": "The label contradicts the instructions."})
    assert db.session.get(Assignment, assignment.id).status == "rejected"
    login(author)
    mine = client.get("/quality").get_data(as_text=True)
    assert "The label contradicts the instructions." in mine and "Dispute this review" in mine


def test_admin_reads_results_but_does_not_correct_gold(client, login):
    job = gold_job(tasks=1)
    answer_all(job, make_trainer(), [WRONG])
    login(make_admin())
    assert client.get(f"/jobs/{job.id}/results").status_code == 200
    task = job_tasks(job)[0]
    assert client.post(f"/jobs/{job.id}/gold/{task.id}/correct",
                       data={"labels": WRONG, "explanation": WHY}).status_code == 403
    assert peer  # imported for the reviewer test above
