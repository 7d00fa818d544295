"""Error pages for people and one JSON error shape for the API."""
from config import TestConfig
from marketplace import create_app
from tests.factories import make_trainer


def assert_json_error(response, status, code):
    assert response.status_code == status
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]


def test_api_unknown_path_is_json_404(client):
    assert_json_error(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_api_wrong_method_is_json_405(client):
    assert_json_error(client.delete("/api/v1/me"), 405, "method_not_allowed")


def test_api_without_login_is_json_401(client):
    assert_json_error(client.get("/api/v1/me"), 401, "unauthorized")


def test_api_me_answers_for_a_logged_in_trainer(client, login):
    login(make_trainer(display_name="Ravi"))
    body = client.get("/api/v1/me").get_json()
    assert body["role"] == "worker" and body["role_label"] == "trainer" and body["display_name"] == "Ravi"


def test_web_404_is_a_friendly_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and b"nothing at this address" in response.data
    assert b"<html" in response.data


def test_oversized_upload_is_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        page = client.post("/register", data={"display_name": "x" * 5000})
        assert page.status_code == 413 and b"too large" in page.data
    finally:
        app.config["MAX_CONTENT_LENGTH"] = TestConfig.MAX_CONTENT_LENGTH


def test_unexpected_exception_is_a_500_page_and_json(database):
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database.url, SECRET_KEY="k" * 40)

    @app.route("/boom")
    def boom():
        raise RuntimeError("kaboom")

    @app.route("/api/v1/boom")
    def api_boom():
        raise RuntimeError("kaboom")

    @app.route("/api/v1/upload", methods=["POST"])
    def api_upload():
        from flask import request
        return {"size": len(request.get_data())}

    client = app.test_client()
    app.config["MAX_CONTENT_LENGTH"] = 1000
    assert_json_error(client.post("/api/v1/upload", data="x" * 5000), 413, "payload_too_large")
    page = client.get("/boom")
    assert page.status_code == 500 and b"Something went wrong" in page.data and b"kaboom" not in page.data
    assert_json_error(client.get("/api/v1/boom"), 500, "internal_error")


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "database": "ok"}


def test_production_refuses_to_start_without_real_secrets(monkeypatch):
    import pytest

    from config import ProductionConfig
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)
    with pytest.raises(RuntimeError, match="STRIPE_SECRET_KEY"):
        create_app(ProductionConfig, SECRET_KEY="a-real-random-secret-with-enough-variety-123456")


def test_development_generates_a_secret_key_once_into_the_instance_folder(tmp_path):
    from config import local_secret_key
    first = local_secret_key(tmp_path)
    assert len(first) >= 40 and local_secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
