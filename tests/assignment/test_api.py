"""Worker API (/api/v1/work): same rules as the pages, errors in one JSON shape, blind answers."""
import re
from datetime import timedelta

import sqlalchemy as sa
import time_machine

from marketplace.assignment.models import Assignment
from marketplace.core.time import utcnow
from marketplace.extensions import db
from marketplace.jobs.models import Task
from tests.assignment.conftest import GOOD
from tests.factories import make_open_job, make_requester, make_trainer


class Api:
    """Calls the API as a person holding a personal token (as scripts do); `session` tests use the cookie."""

    def __init__(self, client, user):
        from marketplace.accounts import tokens
        _, raw = tokens.create_token(user, name="script", scopes=list(tokens.scopes_for_role(user.role)) or None)
        db.session.commit()
        self.client, self.headers = client, {"Authorization": f"Bearer {raw}"}

    def __getattr__(self, method):
        call = getattr(self.client, method)
        return lambda url, **kw: call(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)


def error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()["error"]
    assert body["code"] == code
    return body


def test_list_my_jobs_with_exclusion_reasons(client):
    ok = make_open_job(title="Open to me")
    ja = make_open_job(title="Japanese", required_languages=[{"code": "ja", "min_proficiency": "fluent"}])
    api = Api(client, make_trainer())
    body = api.get("/api/v1/work/jobs").get_json()
    assert [c["job"]["id"] for c in body["available"]] == [ok.id]
    excluded = body["unavailable"][0]
    assert excluded["job"]["id"] == ja.id
    assert excluded["exclusions"][0] == {"code": "language", "message": "Requires Japanese (fluent or better).",
                                         "remedy": "If you speak Japanese at fluent level or better, add it to your "
                                                   "profile.", "blocking": True}
    assert body["empty_reasons"] == []


def test_claim_k_tasks_then_get_draft_submit_and_return(client):
    job = make_open_job(tasks=5)
    api = Api(client, make_trainer())
    claimed = api.post(f"/api/v1/work/jobs/{job.id}/claim", json={"k": 3})
    assert claimed.status_code == 200
    held = claimed.get_json()["assignments"]
    assert [a["task"]["seq"] for a in held] == [1, 2, 3]
    first = held[0]
    assert first["status"] == "reserved" and first["seconds_left"] > 0
    assert first["job"]["answer_schema"]["required"] == ["labels"]
    again = api.post(f"/api/v1/work/jobs/{job.id}/claim", json={"k": 3}).get_json()["assignments"]
    assert [a["id"] for a in again] == [a["id"] for a in held]  # a retried claim grabs nothing more
    url = f"/api/v1/work/assignments/{first['id']}"
    assert api.put(url + "/draft", json={"draft": {"labels": ["Neither"]}}).get_json()["assignment"]["draft"] == \
        {"labels": ["Neither"]}
    assert api.get(url).get_json()["assignment"]["draft"] == {"labels": ["Neither"]}
    done = api.post(url + "/submit", json={"answer": GOOD, "next": True}).get_json()
    assert done["assignment"]["status"] == "approved" and done["assignment"]["answer"] == GOOD
    assert done["next"]["task"]["seq"] == 2  # the next one held already
    returned = api.post(f"/api/v1/work/assignments/{held[2]['id']}/return", json={"reason": "no_time"})
    assert returned.get_json()["assignment"]["status"] == "returned"
    mine = api.get("/api/v1/work/assignments?status=reserved").get_json()["assignments"]
    assert [a["task"]["seq"] for a in mine] == [2]


def test_submit_is_idempotent_under_a_retry(client):
    job = make_open_job(tasks=2)
    api = Api(client, make_trainer())
    a = api.post(f"/api/v1/work/jobs/{job.id}/claim", json={}).get_json()["assignments"][0]
    url = f"/api/v1/work/assignments/{a['id']}/submit"
    first = api.post(url, json={"answer": GOOD})
    second = api.post(url, json={"answer": GOOD})
    assert first.status_code == second.status_code == 200
    assert first.get_json()["assignment"] == second.get_json()["assignment"]
    assert db.session.scalar(sa.select(Task.answers_done).where(Task.id == a["task"]["id"])) == 1
    error(api.post(url, json={"answer": {"labels": ["Hate speech"], "justification": "Another answer entirely."}}),
          409, "not_reserved")


def test_bad_input_gets_a_clear_error_and_changes_nothing(client):
    job = make_open_job(tasks=2, reservation_minutes=5)
    owner, other = make_trainer(), make_trainer()
    api = Api(client, owner)
    start = utcnow()
    with time_machine.travel(start, tick=False):
        a = api.post(f"/api/v1/work/jobs/{job.id}/claim", json={}).get_json()["assignments"][0]
        url = f"/api/v1/work/assignments/{a['id']}"
        bad = error(api.post(url + "/submit", json={"answer": {"labels": ["Nope"]}}), 422, "validation_failed")
        assert "labels[0]" in bad["details"]
        error(api.post(url + "/submit", data="{not json", content_type="application/json"), 400, "bad_json")
        error(api.post(url + "/submit", json={"answer": GOOD, "extra": 1}), 422, "validation_failed")
        error(api.post(f"/api/v1/work/jobs/{job.id}/claim", json={"k": 0}), 422, "validation_failed")
        error(api.post(f"/api/v1/work/jobs/{job.id}/claim", json={"k": 50}), 422, "validation_failed")
        error(api.post(url + "/return", json={"reason": "bored"}), 422, "validation_failed")
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        expired = error(api.post(url + "/submit", json={"answer": GOOD}), 409, "not_reserved")
        assert "expired" in expired["message"]
    api = Api(client, other)
    error(api.get(url), 404, "not_found")
    error(api.post(url + "/submit", json={"answer": GOOD}), 404, "not_found")
    error(api.post(url + "/return", json={}), 404, "not_found")
    error(api.post("/api/v1/work/jobs/9999/claim", json={}), 404, "not_found")
    assert db.session.scalar(sa.select(Assignment.answer).where(Assignment.id == a["id"])) is None


def test_claiming_while_suspended_or_ineligible_gives_the_reason(client):
    job = make_open_job(tasks=2, required_expertise=["law"])
    api = Api(client, make_trainer(status="suspended"))
    suspended = error(api.post(f"/api/v1/work/jobs/{job.id}/claim", json={}), 403, "forbidden")
    assert "Your account is suspended: new work is blocked" in suspended["message"]
    api = Api(client, make_trainer())
    ineligible = error(api.post(f"/api/v1/work/jobs/{job.id}/claim", json={}), 403, "not_eligible")
    assert "Requires expertise in Law." in ineligible["message"]
    assert ineligible["details"][0]["code"] == "expertise"
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 0


def test_content_warning_is_accepted_through_the_claim(client):
    job = make_open_job(tasks=2, content_warning="Graphic descriptions of violence.")
    api = Api(client, make_trainer())
    error(api.post(f"/api/v1/work/jobs/{job.id}/claim", json={}), 409, "content_warning")
    ok = api.post(f"/api/v1/work/jobs/{job.id}/claim", json={"accept_content_warning": True})
    assert ok.status_code == 200


def test_other_kinds_are_answered_through_the_api(client):
    job = make_open_job(tasks=1, kind="code_review", title="Review code")
    api = Api(client, make_trainer())
    a = api.post(f"/api/v1/work/jobs/{job.id}/claim", json={}).get_json()["assignments"][0]
    url = f"/api/v1/work/assignments/{a['id']}/submit"
    bad = error(api.post(url, json={"answer": {"verdict": "incorrect", "quality": 2}}), 422, "validation_failed")
    assert "bugs" in bad["details"]
    ok = api.post(url, json={"answer": {"verdict": "incorrect", "quality": 2,
                                           "bugs": [{"line": 2, "description": "Skips the first element."}]}})
    assert ok.status_code == 200 and ok.get_json()["assignment"]["status"] == "approved"


def test_the_api_is_blind_to_other_answers_and_gold(client):
    job = make_open_job(tasks=1, overlap=2)
    db.session.scalar(sa.select(Task)).gold = {"labels": ["GOLD-LABEL"]}
    db.session.commit()
    first, second = make_trainer(), make_trainer()
    api = Api(client, first)
    a = api.post(f"/api/v1/work/jobs/{job.id}/claim", json={}).get_json()["assignments"][0]
    api.post(f"/api/v1/work/assignments/{a['id']}/submit",
                json={"answer": {"labels": ["Neither"], "justification": "FIRST-TRAINER-SECRET-REASON"}})
    api = Api(client, second)
    b = api.post(f"/api/v1/work/jobs/{job.id}/claim", json={}).get_json()["assignments"][0]
    raw = api.get(f"/api/v1/work/assignments/{b['id']}").get_data(as_text=True)
    listing = api.get("/api/v1/work/assignments").get_data(as_text=True)
    for body in (raw, listing):
        assert "FIRST-TRAINER-SECRET" not in body and "GOLD-LABEL" not in body


def test_the_worker_api_is_for_trainers(client):
    job = make_open_job()
    assert client.get("/api/v1/work/jobs").status_code == 401
    api = Api(client, make_requester())
    error(api.get("/api/v1/work/jobs"), 403, "forbidden")
    error(api.post(f"/api/v1/work/jobs/{job.id}/claim", json={}), 403, "forbidden")


def test_from_the_site_the_session_works_with_the_csrf_header(csrf_app, client, login):
    job = make_open_job(tasks=2)
    login(make_trainer())
    refused = client.post(f"/api/v1/work/jobs/{job.id}/claim", json={})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf_failed"
    page = client.get("/work/").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    ok = client.post(f"/api/v1/work/jobs/{job.id}/claim", json={}, headers={"X-CSRFToken": token})
    assert ok.status_code == 200 and client.get("/api/v1/work/jobs").status_code == 200


def test_the_worker_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/work/jobs", "/api/v1/work/jobs/{job_id}/claim", "/api/v1/work/assignments/{assignment_id}",
                 "/api/v1/work/assignments/{assignment_id}/submit", "/api/v1/work/assignments/{assignment_id}/draft",
                 "/api/v1/work/assignments/{assignment_id}/return"):
        assert path in paths
