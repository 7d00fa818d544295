"""Who may see and change what: a trainer never reads another's attempt; admin pages are admins' only."""
import pytest

from marketplace.assessments import services
from tests.assessments.helpers import take
from tests.factories import make_admin, make_assessment, make_requester, make_trainer


@pytest.fixture
def two_trainers(db):
    assessment = make_assessment(items=4, per_attempt=4)
    owner, other = make_trainer(), make_trainer()
    submitted = take(assessment, owner, right={1, 2})
    return assessment, owner, other, submitted


@pytest.mark.parametrize("path", ["/assessments/attempts/{id}", "/assessments/attempts/{id}/result",
                                  "/api/v1/attempts/{id}", "/api/v1/attempts/{id}/result"])
def test_a_trainer_cannot_read_another_trainers_attempt(client, login, two_trainers, path):
    _, _, other, attempt = two_trainers
    login(other)
    response = client.get(path.format(id=attempt.id))
    assert response.status_code == 404
    assert "Question" not in response.get_data(as_text=True)


def test_a_trainer_cannot_save_submit_or_contest_another_trainers_attempt(db, client, login, two_trainers):
    assessment, owner, other, _ = two_trainers
    open_attempt, _ = services.start_attempt(make_assessment("second", items=2, per_attempt=2), owner)
    db.session.commit()
    login(other)
    assert client.post(f"/assessments/attempts/{open_attempt.id}/save", data={"item-1": "a"}).status_code == 404
    assert client.post(f"/assessments/attempts/{open_attempt.id}/submit", data={}).status_code == 404
    assert client.put(f"/api/v1/attempts/{open_attempt.id}/answers",
                      json={"answers": [{"item": 1, "selected": ["a"]}]}).status_code == 404
    assert client.post(f"/api/v1/attempts/{open_attempt.id}/submit").status_code == 404
    db.session.refresh(open_attempt)
    assert open_attempt.status == "in_progress" and open_attempt.items[0].selected == []


def test_the_owner_and_admins_can_read_a_result(client, login, two_trainers):
    _, owner, _, attempt = two_trainers
    login(owner)
    assert client.get(f"/assessments/attempts/{attempt.id}/result").status_code == 200
    login(make_admin())
    assert client.get(f"/assessments/attempts/{attempt.id}/result").status_code == 200


@pytest.mark.parametrize("path", ["/admin/assessments/", "/admin/assessments/reviews", "/admin/assessments/import",
                                  "/admin/assessments/reviews/1", "/admin/assessments/contests/1",
                                  "/admin/assessments/qualifications/test-skill"])
def test_admin_pages_refuse_trainers_and_requesters(client, login, two_trainers, path):
    _, owner, _, _ = two_trainers
    login(owner)
    assert client.get(path).status_code == 403
    login(make_requester())
    assert client.get(path).status_code == 403


def test_requesters_and_anonymous_visitors_do_not_take_assessments(client, login, two_trainers):
    assert client.get("/assessments").status_code == 302  # to the login page
    assert client.get("/api/v1/assessments").status_code == 401
    login(make_requester())
    assert client.get("/assessments").status_code == 403
    assert client.post("/api/v1/assessments/test-skill-v1/attempts").status_code == 403


def test_trainer_cannot_decide_a_review_by_posting_the_form(client, login, db):
    assessment = make_assessment(items=4, per_attempt=4, rationale_items=2, requires_review=True)
    owner = make_trainer()
    attempt = take(assessment, owner)
    login(owner)
    response = client.post(f"/admin/assessments/reviews/{attempt.id}",
                           data={"decision": "approve", "reason": "I approve my own work, obviously."})
    assert response.status_code == 403
    db.session.refresh(attempt)
    assert attempt.status == "pending_review"
