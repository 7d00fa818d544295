"""/api/v1 assessments: list, start, save answers, submit, read the result; same rules as the pages."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from tests.factories import make_assessment, make_trainer


@pytest.fixture
def trainer(db, login):
    make_assessment(items=4, per_attempt=4, pass_mark=75, cooldown=24)
    user = make_trainer()
    login(user)
    return user


def test_full_attempt_through_the_api(client, trainer):
    listing = client.get("/api/v1/assessments").get_json()["assessments"]
    assert [(a["key"], a["standing"]["can_start"]) for a in listing] == [("test-skill-v1", True)]
    started = client.post("/api/v1/assessments/test-skill-v1/attempts")
    assert started.status_code == 201
    attempt = started.get_json()
    assert [i["position"] for i in attempt["items"]] == [1, 2, 3, 4]
    again = client.post("/api/v1/assessments/test-skill-v1/attempts")
    assert again.status_code == 200 and again.get_json()["id"] == attempt["id"]  # repeating is safe
    saved = client.put(f"/api/v1/attempts/{attempt['id']}/answers",
                       json={"answers": [{"item": 1, "selected": ["a"]}, {"item": 2, "selected": ["a"]}]})
    assert saved.status_code == 200 and saved.get_json()["changed"] == 2
    reread = client.get(f"/api/v1/attempts/{attempt['id']}").get_json()
    assert [i["selected"] for i in reread["items"]][:2] == [["a"], ["a"]]
    result = client.post(f"/api/v1/attempts/{attempt['id']}/submit",
                         json={"answers": [{"item": 3, "selected": ["a"]}]})
    assert result.status_code == 200
    body = result.get_json()
    assert body["status"] == "passed" and body["score"] == {"correct": 3, "scored": 4, "percent": 75,
                                                             "pass_mark_percent": 75, "final": True}
    wrong = [i for i in body["items"] if i["outcome"] == "wrong"]
    assert [(i["position"], i["expected"], i["selected"]) for i in wrong] == [(4, ["a"], [])]
    assert client.get(f"/api/v1/attempts/{attempt['id']}/result").get_json() == body
    mine = client.get("/api/v1/qualifications/mine").get_json()["qualifications"]
    assert [(q["key"], q["state"]) for q in mine] == [("test-skill", "active")]


def _started(client):
    return client.post("/api/v1/assessments/test-skill-v1/attempts").get_json()


@pytest.mark.parametrize("body, status, code", [
    ({"answers": [{"item": 17, "selected": ["a"]}]}, 422, "unknown_item"),
    ({"answers": [{"item": 1, "selected": ["z"]}]}, 422, "invalid_answer"),
    ({"answers": [{"item": 1, "selected": "a"}]}, 422, "bad_body"),
    ({"answers": [{"item": "1", "selected": ["a"]}]}, 422, "bad_body"),
    ({"answers": [{"item": 1, "selected": ["a"]}, {"item": 1, "selected": ["b"]}]}, 422, "bad_body"),
    ({"answer": []}, 422, "bad_body"),
    (None, 422, "bad_body"),
])
def test_bad_answer_bodies_get_a_clear_error_and_change_nothing(client, trainer, body, status, code):
    attempt = _started(client)
    response = client.put(f"/api/v1/attempts/{attempt['id']}/answers", json=body)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    items = client.get(f"/api/v1/attempts/{attempt['id']}").get_json()["items"]
    assert all(i["selected"] == [] for i in items)


def test_an_overlong_rationale_is_refused(client, db, login):
    make_assessment("written", items=2, per_attempt=2, rationale_items=2, requires_review=True)
    login(make_trainer())
    attempt = client.post("/api/v1/assessments/written-v1/attempts").get_json()
    response = client.put(f"/api/v1/attempts/{attempt['id']}/answers",
                          json={"answers": [{"item": 1, "selected": ["a"], "rationale": "x" * 3001}]})
    assert response.status_code == 422 and "at most 3000" in response.get_json()["error"]["message"]


def test_submitting_twice_is_a_409(client, trainer):
    attempt = _started(client)
    assert client.post(f"/api/v1/attempts/{attempt['id']}/submit").status_code == 200
    second = client.post(f"/api/v1/attempts/{attempt['id']}/submit")
    assert second.status_code == 409 and second.get_json()["error"]["code"] == "already_submitted"


def test_starting_during_cooldown_is_a_409_with_the_reason(client, trainer):
    attempt = _started(client)
    client.post(f"/api/v1/attempts/{attempt['id']}/submit")
    response = client.post("/api/v1/assessments/test-skill-v1/attempts")
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "cooldown" and "You can retake the test from" in error["message"]
    standing = client.get("/api/v1/assessments").get_json()["assessments"][0]["standing"]
    assert standing["code"] == "cooldown" and standing["retake_at"]


def test_saving_after_the_time_limit_is_a_409(client, db, trainer, login):
    start = datetime.now(timezone.utc)
    attempt = _started(client)
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        login(trainer)
        response = client.put(f"/api/v1/attempts/{attempt['id']}/answers",
                              json={"answers": [{"item": 1, "selected": ["a"]}]})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "time_up"


def test_unknown_assessment_is_a_404(client, trainer):
    response = client.post("/api/v1/assessments/nope/attempts")
    assert response.status_code == 404 and "nope" in response.get_json()["error"]["message"]
