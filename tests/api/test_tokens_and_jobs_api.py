"""Requester API: tokens (hashed, scoped, revocable), 401 without them, jobs CRUD, task uploads, cursor
pagination, Idempotency-Key replay, and CSRF for browser sessions."""
import json
import re

import sqlalchemy as sa

from marketplace.accounts import tokens
from marketplace.accounts.models import ApiToken
from marketplace.jobs.models import Job, Task
from tests.factories import make_job, make_requester, make_trainer

NEW_JOB = {"title": "Judge hate speech", "kind": "classification", "hourly_rate_cents": 1800,
           "config": {"labels": ["Hate speech", "Offensive", "Neither"]}, "budget_cents": 50_000,
           "required_languages": [{"code": "en", "min_proficiency": "professional"}]}


def bearer(raw):
    return {"Authorization": f"Bearer {raw}"}


def token_for(user, scopes=None, db=None):
    _, raw = tokens.create_token(user, name="script", scopes=scopes or list(tokens.scopes_for_role(user.role)))
    tokens.db.session.commit()
    return raw


def test_token_page_shows_a_new_token_once_and_stores_only_its_hash(client, login, db):
    requester = make_requester()
    login(requester)
    page = client.post("/settings/api-tokens", data={"name": "pipeline", "scopes": ["jobs:read"],
                                                    "expires_in_days": "30"}).get_data(as_text=True)
    raw = re.search(r'<code id="token-value">(ft_[^<]+)</code>', page).group(1)
    row = db.session.scalar(sa.select(ApiToken))
    assert row.token_hash == tokens.hash_token(raw) and raw not in json.dumps(
        {c.name: str(getattr(row, c.name)) for c in ApiToken.__table__.columns})
    again = client.get("/settings/api-tokens").get_data(as_text=True)
    assert raw not in again and row.prefix in again and "jobs:read" in again
    assert client.get("/api/v1/jobs", headers=bearer(raw)).status_code == 200


def test_requests_without_a_valid_token_get_401_in_the_error_shape(client, db):
    response = client.get("/api/v1/jobs")
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"
    response = client.post("/api/v1/jobs", json=NEW_JOB, headers=bearer("ft_not-a-real-token"))
    assert response.status_code == 401 and "not valid" in response.json["error"]["message"]


def test_revoked_and_expired_tokens_stop_working_at_once(client, login, db, app):
    requester = make_requester()
    raw = token_for(requester)
    assert client.get("/api/v1/jobs", headers=bearer(raw)).status_code == 200
    login(requester)
    token = db.session.scalar(sa.select(ApiToken))
    assert client.post(f"/settings/api-tokens/{token.id}/revoke").status_code == 302
    client.post("/logout")
    assert client.get("/api/v1/jobs", headers=bearer(raw)).status_code == 401
    import time_machine
    raw2 = tokens.create_token(requester, name="short", scopes=["jobs:read"], expires_in_days=1)[1]
    db.session.commit()
    with time_machine.travel("2099-01-01"):
        assert client.get("/api/v1/jobs", headers=bearer(raw2)).status_code == 401


def test_token_scope_and_role_are_enforced(client, db):
    requester = make_requester()
    read_only = token_for(requester, ["jobs:read"])
    response = client.post("/api/v1/jobs", json=NEW_JOB, headers=bearer(read_only))
    assert response.status_code == 403 and "jobs:write" in response.json["error"]["message"]
    trainer_token = token_for(make_trainer())
    assert client.get("/api/v1/jobs", headers=bearer(trainer_token)).status_code == 403


def test_requester_creates_reads_updates_and_pauses_a_job_through_the_api(client, db):
    raw = token_for(make_requester())
    created = client.post("/api/v1/jobs", json=NEW_JOB, headers=bearer(raw))
    assert created.status_code == 201, created.json
    job_id = created.json["id"]
    assert created.json["status"] == "draft" and created.json["config"]["multiple"] is False
    assert created.json["allowed_actions"] == ["publish", "close"]
    response = client.patch(f"/api/v1/jobs/{job_id}", json={"summary": "Short forum posts",
                                                            "hourly_rate_cents": 2000}, headers=bearer(raw))
    assert response.status_code == 200 and response.json["hourly_rate_cents"] == 2000
    assert client.get(f"/api/v1/jobs/{job_id}", headers=bearer(raw)).json["summary"] == "Short forum posts"
    response = client.post(f"/api/v1/jobs/{job_id}/pause", headers=bearer(raw))
    assert response.status_code == 409 and "still a draft" in response.json["error"]["message"]


def test_invalid_job_lists_every_problem_and_saves_nothing(client, db):
    raw = token_for(make_requester())
    response = client.post("/api/v1/jobs", json={"title": "x", "kind": "classification", "hourly_rate_cents": 100,
                                                  "colour": "red"}, headers=bearer(raw))
    assert response.status_code == 422
    details = response.json["error"]["details"]
    assert details["body"] == "has unknown field: colour" and "at least 3" in details["title"]
    response = client.post("/api/v1/jobs", json={**NEW_JOB, "hourly_rate_cents": 900}, headers=bearer(raw))
    assert response.status_code == 422 and "platform minimum" in response.json["error"]["message"]
    response = client.post("/api/v1/jobs", data="not json", headers=bearer(raw), content_type="application/json")
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


def test_published_job_refuses_a_new_kind_over_the_api(client, db):
    requester = make_requester()
    job = make_job(requester, status="published", tasks=1)
    raw = token_for(requester)
    response = client.patch(f"/api/v1/jobs/{job.id}", json={"kind": "writing", "config": {}}, headers=bearer(raw))
    assert response.status_code == 409 and "cannot change" in response.json["error"]["message"]


def test_another_requesters_job_is_404(client, db):
    job = make_job(tasks=1)
    raw = token_for(make_requester())
    for method, path in (("get", f"/api/v1/jobs/{job.id}"), ("get", f"/api/v1/jobs/{job.id}/tasks"),
                         ("patch", f"/api/v1/jobs/{job.id}"), ("post", f"/api/v1/jobs/{job.id}/tasks"),
                         ("get", "/api/v1/jobs/99999999999999")):
        response = getattr(client, method)(path, headers=bearer(raw), json={})
        assert response.status_code == 404, (path, response.status_code)


def test_idempotency_key_replays_the_first_response_and_refuses_a_different_body(client, db):
    raw = token_for(make_requester())
    headers = {**bearer(raw), "Idempotency-Key": "create-job-1"}
    first = client.post("/api/v1/jobs", json=NEW_JOB, headers=headers)
    second = client.post("/api/v1/jobs", json=NEW_JOB, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json == first.json and second.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 1
    other = client.post("/api/v1/jobs", json={**NEW_JOB, "title": "Another"}, headers=headers)
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"


def test_failed_request_is_not_stored_under_its_idempotency_key(client, db):
    raw = token_for(make_requester())
    headers = {**bearer(raw), "Idempotency-Key": "k"}
    assert client.post("/api/v1/jobs", json={**NEW_JOB, "hourly_rate_cents": 5}, headers=headers).status_code == 422
    assert client.post("/api/v1/jobs", json={**NEW_JOB, "hourly_rate_cents": 5}, headers=headers).status_code == 422


def test_upload_tasks_as_jsonl_body_then_read_the_import_and_page_through_tasks(client, db):
    requester = make_requester()
    job = make_job(requester)
    raw = token_for(requester)
    body = "".join(json.dumps({"text": f"post {i}", "external_id": f"p{i}"}) + "\n" for i in range(5))
    response = client.post(f"/api/v1/jobs/{job.id}/tasks", data=body, content_type="application/x-ndjson",
                           headers={**bearer(raw), "Idempotency-Key": "upload-1"})
    assert response.status_code == 202, response.json
    run = client.get(response.json["links"]["self"], headers=bearer(raw)).json
    assert run["status"] == "succeeded" and run["rows_imported"] == 5
    again = client.post(f"/api/v1/jobs/{job.id}/tasks", data=body, content_type="application/x-ndjson",
                        headers={**bearer(raw), "Idempotency-Key": "upload-1"})
    assert again.json["id"] == response.json["id"]
    assert db.session.scalar(sa.select(sa.func.count(Task.id))) == 5
    page = client.get(f"/api/v1/jobs/{job.id}/tasks?limit=2", headers=bearer(raw)).json
    seen = [t["external_id"] for t in page["data"]]
    while page["next_cursor"]:
        page = client.get(f"/api/v1/jobs/{job.id}/tasks?limit=2&cursor={page['next_cursor']}",
                          headers=bearer(raw)).json
        seen += [t["external_id"] for t in page["data"]]
    assert seen == ["p0", "p1", "p2", "p3", "p4"]
    bad = client.get(f"/api/v1/jobs/{job.id}/tasks?cursor=garbage!", headers=bearer(raw))
    assert bad.status_code == 422


def test_upload_as_multipart_with_skip_invalid_reports_errors(client, db):
    import io
    requester = make_requester()
    job = make_job(requester)
    raw = token_for(requester)
    data = {"file": (io.BytesIO(b"text\nfine\n\"unterminated\n"), "t.csv"), "mode": "skip_invalid"}
    response = client.post(f"/api/v1/jobs/{job.id}/tasks", data=data, headers=bearer(raw),
                           content_type="multipart/form-data")
    assert response.status_code == 202
    run = client.get(response.json["links"]["self"], headers=bearer(raw)).json
    assert run["status"] == "succeeded" and run["rows_imported"] >= 1
    response = client.post(f"/api/v1/jobs/{job.id}/tasks", data=b"x", content_type="application/pdf",
                           headers=bearer(raw))
    assert response.status_code == 415


def test_session_writes_need_the_csrf_header_but_tokens_do_not(csrf_app, client, login, db):
    requester = make_requester()
    login(requester)
    response = client.post("/api/v1/jobs", json=NEW_JOB)
    assert response.status_code == 400 and response.json["error"]["code"] == "csrf_failed"
    page = client.get("/jobs/").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    assert client.post("/api/v1/jobs", json=NEW_JOB, headers={"X-CSRFToken": token}).status_code == 201
    client.post("/logout", data={"csrf_token": token})
    raw = token_for(requester)
    assert client.post("/api/v1/jobs", json=NEW_JOB, headers=bearer(raw)).status_code == 201


def test_openapi_document_uses_the_validation_schemas_and_the_docs_page_lists_endpoints(client):
    from marketplace.jobs.kinds import config_schema
    from marketplace.jobs.schemas import JOB_CREATE
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.0")
    assert document["components"]["schemas"]["JobCreate"] == json.loads(json.dumps(JOB_CREATE))
    assert document["components"]["schemas"]["Config_rating"] == json.loads(json.dumps(config_schema("rating")))
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/jobs/{job_id}/tasks" in page and "Pairwise preference" in page


def test_publish_add_budget_and_close_through_the_api(client, db, fake_money):
    requester = make_requester()
    job = make_job(requester, tasks=2, budget_cents=10_000)
    fake_money.funds[requester.id] = 30_000
    raw = token_for(requester)
    response = client.post(f"/api/v1/jobs/{job.id}/publish", headers=bearer(raw))
    assert response.status_code == 200 and response.json["status"] == "published"
    no_key = client.post(f"/api/v1/jobs/{job.id}/budget", json={"amount_cents": 5000}, headers=bearer(raw))
    assert no_key.status_code == 422 and "Idempotency-Key" in no_key.json["error"]["message"]
    for _ in range(2):
        response = client.post(f"/api/v1/jobs/{job.id}/budget", json={"amount_cents": 5000},
                               headers={**bearer(raw), "Idempotency-Key": "top-1"})
        assert response.status_code == 200 and response.json["budget_cents"] == 15_000
    response = client.post(f"/api/v1/jobs/{job.id}/close", headers=bearer(raw))
    assert response.status_code == 200 and response.json["status"] == "closed"
    assert fake_money.funds[requester.id] == 30_000


def test_publish_without_enough_funds_is_a_409_and_the_job_stays_a_draft(client, db, fake_money):
    requester = make_requester()
    job = make_job(requester, tasks=2, budget_cents=10_000)
    raw = token_for(requester)
    response = client.post(f"/api/v1/jobs/{job.id}/publish", headers=bearer(raw))
    assert response.status_code == 409 and "funds do not cover" in response.json["error"]["message"]
    assert client.get(f"/api/v1/jobs/{job.id}", headers=bearer(raw)).json["status"] == "draft"


def test_oversize_upload_is_a_413_and_queues_nothing(client, db, app):
    requester = make_requester()
    job = make_job(requester)
    raw = token_for(requester)
    app.config["JOBS_IMPORT_MAX_BYTES"] = 1000
    try:
        body = "".join(json.dumps({"text": "x" * 50}) + "\n" for _ in range(100))
        response = client.post(f"/api/v1/jobs/{job.id}/tasks", data=body, content_type="application/x-ndjson",
                               headers=bearer(raw))
    finally:
        app.config["JOBS_IMPORT_MAX_BYTES"] = 1024 ** 3
    assert response.status_code == 413 and response.json["error"]["code"] == "payload_too_large"
    from marketplace.jobs.models import ImportRun
    assert db.session.scalar(sa.select(sa.func.count(ImportRun.id))) == 0
