"""The work page's helpers: Run tests (the sandbox behind a rate-limited endpoint, its result kept with the
answer), the Markdown preview, and flagging a task as broken or harmful (returned without penalty, requester told)."""
import sqlalchemy as sa

from marketplace.assignment import codetests
from marketplace.assignment.models import Assignment, CodeRun
from marketplace.core.audit import AuditEvent
from marketplace.core.notices import Notice
from marketplace.extensions import db
from marketplace.jobs.models import Task
from tests.assignment.kinds_helpers import held
from tests.assignment.test_api import Api
from tests.factories import make_requester, make_trainer

REVIEW = {"verdict": "incorrect", "bugs": [{"line": 2, "description": "Skips the first element."}], "quality": 2}


def run_tests(client, assignment):
    return client.post(f"/work/tasks/{assignment.id}/run-tests", headers={"Accept": "application/json"})


def runs():
    db.session.expire_all()
    return list(db.session.scalars(sa.select(CodeRun).order_by(CodeRun.id)))


# --- Run tests ----------------------------------------------------------------------------------------------------

def test_run_tests_runs_the_tasks_tests_against_the_code_and_keeps_the_result(client, login):
    assignment, trainer = held("code_review")  # sum(xs[1:]): total([1, 2]) is 2, total([]) is 0
    login(trainer)
    response = run_tests(client, assignment)
    assert response.status_code == 200
    run = response.get_json()["run"]
    assert (run["status"], run["passed"], run["failed"]) == ("failed", 1, 1)
    outcomes = {t["name"]: t["outcome"] for t in run["tests"]}
    assert outcomes == {"test_line_1": "failed", "test_line_2": "passed"}
    failure = run["tests"][0]["message"]
    assert "assert total([1, 2]) == 3" in failure and "def test_line" not in failure  # the requester's own line
    assert "Some tests failed" in response.get_json()["html"]
    [kept] = runs()
    assert (kept.assignment_id, kept.worker_id, kept.status, kept.result) == (assignment.id, trainer.id, "failed", run)


def test_the_last_run_goes_with_the_answer_and_a_result_sent_by_the_client_is_replaced(app, client, login):
    assignment, trainer = held("code_review")
    login(trainer)
    run_tests(client, assignment)
    last = run_tests(client, assignment).get_json()["run"]
    forged = {**REVIEW, "test_run": {"status": "passed", "passed": 2, "failed": 0}}
    script = Api(app.test_client(), trainer)  # a script with a token, not the page's session
    response = script.post(f"/api/v1/work/assignments/{assignment.id}/submit", json={"answer": forged})
    assert response.status_code == 200, response.get_json()
    stored = db.session.get(Assignment, assignment.id).answer
    assert stored == {**REVIEW, "test_run": last}
    assert stored["test_run"]["run_id"] == runs()[-1].id


def test_without_a_run_no_test_result_travels_with_the_answer(client):
    assignment, trainer = held("code_review")
    forged = {**REVIEW, "test_run": {"status": "passed"}}
    assert Api(client, trainer).post(f"/api/v1/work/assignments/{assignment.id}/submit",
                                     json={"answer": forged}).status_code == 200
    assert db.session.get(Assignment, assignment.id).answer == REVIEW


def test_a_trainer_can_run_tests_only_for_their_own_assignment(client, login):
    assignment, _owner = held("code_review")
    login(make_trainer())
    assert run_tests(client, assignment).status_code == 404
    login(make_requester())
    assert run_tests(client, assignment).status_code == 403
    assert runs() == []


def test_run_tests_is_rate_limited_per_trainer(app, client, login):
    app.config["CODE_RUN_RATE_LIMIT"], before = "1 per minute", app.config["CODE_RUN_RATE_LIMIT"]
    try:
        first, trainer = held("code_review")
        login(trainer)
        assert run_tests(client, first).status_code == 200
        refused = run_tests(client, first)
        assert refused.status_code == 429
        assert refused.get_json()["error"]["code"] == "rate_limited"
        other, someone_else = held("code_review")
        login(someone_else)
        assert run_tests(client, other).status_code == 200  # the limit is per person, not for everyone
        assert len(runs()) == 2
    finally:
        app.config["CODE_RUN_RATE_LIMIT"] = before


def test_tests_run_only_while_the_task_is_held_and_only_when_it_has_tests(app, client, login):
    assignment, trainer = held("code_review")
    Api(app.test_client(), trainer).post(f"/api/v1/work/assignments/{assignment.id}/submit", json={"answer": REVIEW})
    login(trainer)
    late = run_tests(client, assignment)
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "not_reserved"
    untested, trainer2 = held("code_review", payload={"problem": "Sum.", "code": "def f():\n    pass\n"})
    login(trainer2)
    none = run_tests(client, untested)
    assert none.status_code == 422 and none.get_json()["error"]["code"] == "no_tests"
    assert runs() == []


def test_plain_assert_lines_become_one_test_each_with_their_line_numbers_kept():
    prepared = codetests.prepare_tests("data = [1, 2]\nassert total(data) == 3\nassert total([]) == 0\n")
    lines = prepared.split("\n")
    assert lines[0] == "data = [1, 2]"
    assert lines[1] == "def test_line_2(): assert total(data) == 3"
    assert lines[2] == "def test_line_3(): assert total([]) == 0"
    assert "import solution as _fairtrain_solution" in prepared


def test_test_functions_are_left_alone_and_broken_tests_are_sent_as_written():
    written = "def test_total():\n    assert total([1]) == 1\n\nassert True\n"
    assert codetests.prepare_tests(written).startswith(written)
    assert "test_line" not in codetests.prepare_tests(written)
    assert codetests.prepare_tests("def broken(:\n") == "def broken(:\n"


# --- Markdown preview ----------------------------------------------------------------------------------------------

def test_preview_renders_markdown_with_the_sites_sanitiser(client, login):
    login(make_trainer())
    response = client.post("/work/preview", json={"text": "**Salt** lowers the *freezing point*.\n\n"
                                                          "<script>alert(1)</script>\n\n![x](https://x.example/a.png)"})
    html = response.get_json()["html"]
    assert "<strong>Salt</strong>" in html and "<em>freezing point</em>" in html
    assert "<script" not in html and "<img" not in html


def test_preview_refuses_oversized_text_and_people_who_do_not_write(client, login):
    login(make_trainer())
    assert client.post("/work/preview", json={"text": "x" * 100_001}).status_code == 422
    assert client.post("/work/preview", json={}).status_code == 422
    login(make_requester())
    assert client.post("/work/preview", json={"text": "hi"}).status_code == 403


# --- flagging a task ----------------------------------------------------------------------------------------------

def test_flagging_a_task_returns_it_without_penalty_and_tells_the_requester_which_and_why(client, login):
    assignment, trainer = held("writing", title="Chemistry demonstrations")
    login(trainer)
    note = "The prompt asks how to make a toxic gas at home."
    response = client.post(f"/work/tasks/{assignment.id}/flag", data={"flag": "harmful", "flag_note": note,
                                                                      "then": "stop"})
    assert response.status_code == 302
    db.session.expire_all()
    a = db.session.get(Assignment, assignment.id)
    assert (a.status, a.return_reason, a.return_note) == ("returned", "harmful", note)
    assert db.session.get(Task, a.task_id).holders == 0  # the slot is free again
    requester_id = a.job.requester_id
    [notice] = db.session.scalars(sa.select(Notice).where(Notice.user_id == requester_id)).all()
    assert "Task #1 flagged as harmful" in notice.subject and note in notice.body
    assert trainer.display_name not in notice.body and trainer.email not in notice.body
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "task.flagged"))
    assert (event.actor_id, event.reason, event.data["flag"]) == (trainer.id, note, "harmful")


def test_a_flag_needs_the_trainers_words(client, login):
    assignment, trainer = held("writing")
    login(trainer)
    client.post(f"/work/tasks/{assignment.id}/flag", data={"flag": "broken", "flag_note": "bad"})
    db.session.expire_all()
    assert db.session.get(Assignment, assignment.id).status == "reserved"
    page = client.get(f"/work/tasks/{assignment.id}").get_data(as_text=True)
    assert "The task was not flagged" in page


def test_returning_through_the_api_as_broken_also_tells_the_requester(client):
    assignment, trainer = held("rating")
    response = Api(client, trainer).post(f"/api/v1/work/assignments/{assignment.id}/return",
                                         json={"reason": "broken", "note": "The response is empty."})
    assert response.status_code == 200
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == assignment.job.requester_id))
    assert "flagged as broken" in notice.subject and "The response is empty." in notice.body


def test_someone_elses_task_cannot_be_flagged(client, login):
    assignment, _owner = held("writing")
    login(make_trainer())
    response = client.post(f"/work/tasks/{assignment.id}/flag", data={"flag": "broken", "flag_note": "It is broken."})
    assert response.status_code == 404
    assert db.session.get(Assignment, assignment.id).status == "reserved"


# --- the image of a bounding-box task -----------------------------------------------------------------------------

def test_the_trainer_holding_a_box_task_gets_its_image_even_after_the_job_is_paused_and_nobody_else_does(client, login):
    from pathlib import Path

    from marketplace.jobs.storage import get_storage
    assignment, trainer = held("bounding_boxes")
    key = f"images/job-{assignment.job_id}/rocket.jpg"
    get_storage().save_bytes(key, (Path(__file__).resolve().parents[2] / "marketplace/static/demo/rocket.jpg").read_bytes())
    task = db.session.get(Task, assignment.task_id)
    task.payload = {**task.payload, "image": key, "width": 640, "height": 427}
    assignment.job.status, assignment.job.paused_reason = "paused", "budget"
    db.session.commit()
    login(trainer)
    image = client.get(f"/work/tasks/{assignment.id}/image")
    assert image.status_code == 200 and image.mimetype == "image/jpeg" and image.data[:2] == b"\xff\xd8"
    assert f'src="/work/tasks/{assignment.id}/image"' in client.get(f"/work/tasks/{assignment.id}").get_data(as_text=True)
    login(make_trainer())
    assert client.get(f"/work/tasks/{assignment.id}/image").status_code == 404
