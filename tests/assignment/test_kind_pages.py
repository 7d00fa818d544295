"""The work page of every kind: its answer section, the answer schema handed to the page's checks, drafts
restored after a reload, answers shown to the trainer and the requester, and every demo task rendering."""
import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.assignment import services
from marketplace.assignment.models import Assignment
from marketplace.core.time import utcnow
from marketplace.demo.jobs import DATA
from marketplace.demo.seed import seed_all
from marketplace.extensions import db
from marketplace.jobs.answers import answer_schema
from marketplace.jobs.models import Job, Task
from tests.assignment.kinds_helpers import RANKED, SETUPS, held
from tests.factories import make_trainer

SECTIONS = {"bounding_boxes": 'id="bbox"', "writing": 'id="writing"', "pairwise_preference": 'id="pairwise"',
            "rating": 'id="rating"', "code_review": 'id="code-review"'}


def kind_data(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="kind-data">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


@pytest.mark.parametrize("kind", list(SETUPS))
def test_each_kind_has_its_answer_section_script_and_the_servers_answer_schema(client, login, kind):
    assignment, trainer = held(kind)
    login(trainer)
    page = client.get(f"/work/tasks/{assignment.id}").get_data(as_text=True)
    assert SECTIONS[kind] in page
    assert f"js/kinds/{kind}.js" in page and "js/answer-check.js" in page
    data = kind_data(page)
    assert data["kind"] == kind
    assert data["schema"] == answer_schema(kind, assignment.job.config)  # one source: jobs/answers.py
    assert 'id="flag"' in page and "Flag a problem with this task" in page


DRAFTS = {
    "bounding_boxes": ({"box_label": ["car"], "box_x": ["12"], "box_y": ["34"], "box_w": ["56"], "box_h": ["78"]},
                       ['<option selected>car</option>', 'name="box_x" value="12"', 'name="box_h" value="78"']),
    "writing": ({"text": "Ice floats because", "typed_chars": "18", "pasted_chars": "0", "pastes": "0"},
                [">Ice floats because</textarea>", 'id="typed_chars" value="18"']),
    "pairwise_preference": ({"preferred": "b", "strength": "much", "reason": "Sydney is not the capital."},
                            ['value="b" data-key', 'value="much" data-key', "Sydney is not the capital.</textarea>"]),
    "rating": ({"score-1": "2", "scale-comment-0": "Unsafe"}, ['name="score-1" value="2"\n            checked',
                                                                ">Unsafe</textarea>"]),
    "code_review": ({"verdict": "incorrect", "bug_line": ["2"], "bug_description": ["Skips the first."],
                     "quality": "3"}, ['value="incorrect" checked', 'name="bug_line" min="1" max="2" value="2"',
                                       'value="Skips the first."', 'value="3" data-key="3"\n      checked']),
}


@pytest.mark.parametrize("kind", list(DRAFTS))
def test_an_autosaved_draft_is_restored_when_the_page_is_reloaded(client, login, kind):
    assignment, trainer = held(kind)
    login(trainer)
    form, shown = DRAFTS[kind]
    assert client.post(f"/work/tasks/{assignment.id}/draft", data=form).status_code == 200
    page = client.get(f"/work/tasks/{assignment.id}").get_data(as_text=True)
    for fragment in shown:
        assert fragment in page, fragment


def test_a_ranking_draft_keeps_the_trainers_order(client, login):
    assignment, trainer = held("pairwise_preference", payload=RANKED)
    login(trainer)
    client.post(f"/work/tasks/{assignment.id}/draft", data={"ranking": ["c", "a", "d", "b"]})
    page = client.get(f"/work/tasks/{assignment.id}").get_data(as_text=True)
    assert re.findall(r'name="ranking" value="(\w)"', page) == ["c", "a", "d", "b"]
    assert page.count('class="panel response"') == 4


def test_the_pairwise_page_shows_the_responses_in_the_trainers_own_order(client, login):
    assignment, trainer = held("pairwise_preference")
    login(trainer)
    page = client.get(f"/work/tasks/{assignment.id}").get_data(as_text=True)
    order = kind_data(page)["order"]
    shown = re.findall(r'id="response-(\w)"', page)
    assert shown == order and sorted(order) == ["a", "b"]
    assert "Canberra." in page and "Sydney." in page


ANSWERS = {
    "writing": ({"text": "Ice is less dense than water.", "input_stats": {"typed_chars": 20, "pasted_chars": 9,
                                                                             "pastes": 1}},
                ["Pasted 9 characters (31% of the text entered)", "typed 20"]),
    "pairwise_preference": ({"preferred": "a", "strength": "much", "reason": "Canberra is right.", "order": ["b", "a"]},
                            ["Response A is much better", "in the order B, A", "shown second"]),
    "rating": ({"scores": {"Helpfulness": 1, "Tone": 2}, "scale_comments": {"Helpfulness": "Asks for a password."}},
               ["Asks for a password.", "/ 5", "/ 3"]),
    "code_review": ({"verdict": "incorrect", "bugs": [{"line": 2, "description": "Skips the first."}], "quality": 2},
                    ["✘ Incorrect", "line 2: Skips the first.", "Tests were not run"]),
    "bounding_boxes": ({"boxes": [{"label": "car", "x": 1, "y": 2, "w": 3, "h": 4}]}, ["1 box", "car", "3 × 4 px"]),
}


@pytest.mark.parametrize("kind", list(ANSWERS))
def test_a_sent_answer_is_shown_to_its_trainer_and_to_the_requester(client, login, kind):
    assignment, trainer = held(kind)
    answer, shown = ANSWERS[kind]
    services.submit(assignment.id, trainer, answer)
    db.session.commit()
    login(trainer)
    mine = client.get(f"/work/tasks/{assignment.id}").get_data(as_text=True)
    login(assignment.job.requester)
    theirs = client.get(f"/jobs/{assignment.job_id}/progress/tasks/{assignment.task_id}").get_data(as_text=True)
    for fragment in shown:
        assert fragment in mine and fragment in theirs, fragment


def test_every_task_of_every_demo_job_renders_its_work_page(client, login):
    seed_all()
    trainer = make_trainer()
    login(trainer)
    demo = json.loads(DATA.read_text(encoding="utf-8"))
    titles = {spec["job"]["title"]: key for key, spec in demo.items()}
    jobs = [job for job in db.session.scalars(sa.select(Job)) if job.title in titles]
    assert {job.kind for job in jobs} == {"classification", "bounding_boxes", "writing", "pairwise_preference",
                                          "rating", "code_review"}
    now = utcnow()
    for job in jobs:
        tasks = db.session.scalars(sa.select(Task).where(Task.job_id == job.id).order_by(Task.seq)).all()
        assert len(tasks) == len(demo[titles[job.title]]["tasks"])
        for task in tasks:
            # Held directly (not claimed): rendering is under test here, not eligibility.
            a = Assignment(job_id=job.id, task_id=task.id, worker_id=trainer.id, status="reserved",
                           reserved_at=now, expires_at=now + timedelta(minutes=30))
            db.session.add(a)
            db.session.commit()
            response = client.get(f"/work/tasks/{a.id}")
            page = response.get_data(as_text=True)
            assert response.status_code == 200, (job.title, task.seq)
            assert "Undefined" not in page, (job.title, task.seq)
            data = kind_data(page)
            assert data["kind"] == job.kind
            if job.kind == "bounding_boxes":
                image = re.search(r'id="bbox-image" src="([^"]+)"', page).group(1)
                served = client.get(image)
                assert served.status_code == 200 and served.mimetype == "image/jpeg"
                assert f'data-width="{task.payload["width"]}"' in page
            if job.kind == "code_review":
                assert page.count('class="code-line"') == len(task.payload["code"].rstrip("\n").split("\n"))
                assert ('id="run-tests"' in page) == bool(task.payload.get("tests"))
