"""No gold answer or explanation reaches the browser or the API before the attempt is submitted."""
import json

import pytest

from marketplace.assessments import services
from tests.factories import make_assessment, make_trainer

SECRET = "GOLD-SECRET-EXPLANATION"


def leaky_spec():
    """Items whose explanations carry a marker, and whose gold option has a key no option text mentions."""
    from tests.factories import assessment_spec
    spec = assessment_spec(items=5, per_attempt=5, rationale_items=2, requires_review=True)
    for n, item in enumerate(spec["items"], 1):
        item["explanation"] = f"{SECRET}-{n}: the answer is 'a' because of a hidden reason."
    return spec


@pytest.fixture
def attempt_in_progress(db, client, login):
    assessment = make_assessment(spec=leaky_spec())
    trainer = make_trainer()
    attempt, _ = services.start_attempt(assessment, trainer)
    services.save_answers(attempt, trainer, {1: services.Answer(selected=["b"])})
    db.session.commit()
    login(trainer)
    return attempt


def test_attempt_page_html_has_no_gold_answer_or_explanation(client, attempt_in_progress):
    page = client.get(f"/assessments/attempts/{attempt_in_progress.id}").get_data(as_text=True)
    assert "Question 1?" in page  # the page really shows the items
    assert SECRET not in page and "hidden reason" not in page
    # no result markup either: nothing marks which option is gold
    assert 'class="expected"' not in page and 'class="explanation"' not in page and "✓" not in page


def test_result_page_before_submission_sends_the_trainer_back_to_the_attempt(client, attempt_in_progress):
    response = client.get(f"/assessments/attempts/{attempt_in_progress.id}/result")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/attempts/{attempt_in_progress.id}")
    assert SECRET not in response.get_data(as_text=True)


def test_save_response_has_no_gold(client, attempt_in_progress):
    response = client.post(f"/assessments/attempts/{attempt_in_progress.id}/save", data={"item-2": "a"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert SECRET not in body and "answer" not in json.loads(body)


def _walk_keys(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _walk_keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _walk_keys(inner)


@pytest.mark.parametrize("method, path", [
    ("get", "/api/v1/attempts/{id}"),
    ("post", "/api/v1/assessments/test-skill-v1/attempts"),  # starting again returns the attempt in progress
    ("put", "/api/v1/attempts/{id}/answers"),
    ("get", "/api/v1/attempts/{id}/result"),
    ("get", "/api/v1/assessments"),
])
def test_api_responses_before_submission_have_no_gold(client, attempt_in_progress, method, path):
    url = path.format(id=attempt_in_progress.id)
    kwargs = {"json": {"answers": [{"item": 3, "selected": ["b"]}]}} if method == "put" else {}
    response = getattr(client, method)(url, **kwargs)
    body = response.get_data(as_text=True)
    assert SECRET not in body and "hidden reason" not in body
    keys = set(_walk_keys(response.get_json()))
    assert not keys & {"expected", "explanation", "answer"}, keys


def test_result_api_before_submission_is_a_clear_409(client, attempt_in_progress):
    response = client.get(f"/api/v1/attempts/{attempt_in_progress.id}/result")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "not_submitted"


def test_after_submission_the_result_shows_expected_answers_and_explanations(client, attempt_in_progress):
    client.post(f"/assessments/attempts/{attempt_in_progress.id}/submit", data={})
    page = client.get(f"/assessments/attempts/{attempt_in_progress.id}/result").get_data(as_text=True)
    assert f"{SECRET}-" in page and "expected answer" in page
    api = client.get(f"/api/v1/attempts/{attempt_in_progress.id}/result").get_json()
    assert all(item["expected"] == ["a"] and SECRET in item["explanation"] for item in api["items"])
