"""Login, logout, throttling and cookies."""
from marketplace.accounts.models import User
from tests.factories import DEFAULT_PASSWORD, make_trainer


def test_login_with_the_right_password_goes_home(client):
    make_trainer(email="kim@example.com")
    response = client.post("/login", data={"email": "KIM@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/home")
    assert client.get("/home").status_code == 200


def test_wrong_password_is_refused_with_a_message(client):
    make_trainer(email="kim@example.com")
    response = client.post("/login", data={"email": "kim@example.com", "password": "not the password"})
    assert response.status_code == 401
    assert b"do not match an account" in response.data
    assert client.get("/home").status_code == 302  # still logged out


def test_login_is_throttled_with_429_and_a_clear_message(client):
    make_trainer(email="kim@example.com")
    statuses = [client.post("/login", data={"email": "kim@example.com", "password": "wrong guess"}).status_code
                for _ in range(5)]
    assert statuses == [401] * 5
    blocked = client.post("/login", data={"email": "kim@example.com", "password": DEFAULT_PASSWORD})
    assert blocked.status_code == 429
    assert b"Too many login attempts" in blocked.data


def test_next_parameter_only_follows_local_paths(client):
    make_trainer(email="kim@example.com")
    response = client.post("/login?next=https://evil.example.com/", data={"email": "kim@example.com",
                                                                         "password": DEFAULT_PASSWORD})
    assert response.headers["Location"].endswith("/home")


def test_session_and_remember_cookies_are_httponly_and_lax(client):
    make_trainer(email="kim@example.com")
    response = client.post("/login", data={"email": "kim@example.com", "password": DEFAULT_PASSWORD, "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    remember_cookie = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session_cookie, remember_cookie):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure():
    from config import ProductionConfig
    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.REMEMBER_COOKIE_SECURE


def test_logout_needs_post_and_ends_the_session(client, login):
    login(make_trainer())
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/home").status_code == 302


def test_password_change_logs_out_other_sessions(app, client, login, db):
    user = make_trainer()
    other_device = app.test_client()
    login(user, other_device)
    login(user)
    response = client.post("/settings/password", data={"current_password": DEFAULT_PASSWORD,
                                                       "new_password": "a brand new passphrase",
                                                       "confirm": "a brand new passphrase"})
    assert response.status_code == 302
    assert client.get("/home").status_code == 200
    assert other_device.get("/home").status_code == 302
    assert db.session.get(User, user.id).session_version == 2


def test_suspended_trainer_can_still_log_in_and_read_why(client):
    make_trainer(email="sus@example.com", status="suspended")
    response = client.post("/login", data={"email": "sus@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    page = client.get("/standing").get_data(as_text=True)
    assert "New work is blocked" in page and "appeal" in page


def test_home_says_what_each_place_is_for_in_each_role(client, db, login):
    from tests.factories import make_admin, make_requester, make_trainer
    expected = {
        "worker": ["Every minute you worked", "Pending, approved and paid money", "Languages, expertise"],
        "requester": ["approve it, or dispute a session with a reason", "pay a bonus", "Organisation, billing"],
        "admin": ["Open appeals, soonest deadline first", "Every recorded decision"],
    }
    for user in (make_trainer(), make_requester(), make_admin()):
        login(user)
        page = client.get("/home").get_data(as_text=True)
        for line in expected[user.role]:
            assert line in page, (user.role, line)
        if user.role != "worker":
            assert "Languages, expertise" not in page
