"""Guards that hold for every URL: CSRF on every state-changing form, role guards, no 500s."""
import re

import pytest

from tests.factories import make_admin, make_requester, make_trainer

CSRF_EXEMPT = {"payments.stripe_webhook"}


def concrete_urls(app, method):
    """Every rule accepting `method`, with int arguments filled in as 1 and strings as 'x'."""
    urls = []
    for rule in app.url_map.iter_rules():
        if method not in rule.methods or rule.endpoint == "static":
            continue
        url = re.sub(r"<int:[^>]+>", "1", rule.rule)
        url = re.sub(r"<[^>]+>", "x", url)
        urls.append((rule.endpoint, url))
    return urls


def test_every_post_route_refuses_a_missing_csrf_token(csrf_app, client, login):
    login(make_trainer())
    checked = 0
    for endpoint, url in concrete_urls(csrf_app, "POST"):
        if endpoint in CSRF_EXEMPT or url.startswith("/api/"):
            continue
        response = client.post(url, data={})
        assert response.status_code == 400, (url, response.status_code)
        assert b"did not come from this site" in response.data, url
        checked += 1
    assert checked >= 3


def test_registration_form_works_with_its_csrf_token(csrf_app, client):
    page = client.get("/register").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/register", data={"csrf_token": token, "role": "requester", "display_name": "Lab",
                                              "email": "lab@example.com", "password": "a long unusual passphrase",
                                              "confirm": "a long unusual passphrase"})
    assert response.status_code == 302


@pytest.mark.parametrize("path", ["/admin/", "/admin/audit"])
def test_trainer_and_requester_get_403_on_admin_pages(client, login, path):
    login(make_trainer())
    assert client.get(path).status_code == 403
    login(make_requester())
    assert client.get(path).status_code == 403


def test_anonymous_visitor_is_sent_to_login_from_private_pages(client):
    for path in ("/home", "/profile", "/inbox", "/my-record", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_no_get_page_answers_500_for_any_role(app, client, login):
    """Permission sweep: every GET URL for every role answers something deliberate (never a 500)."""
    users = [None, make_trainer(), make_requester(), make_admin()]
    for user in users:
        test_client = app.test_client()
        if user:
            login(user, test_client)
        for endpoint, url in concrete_urls(app, "GET"):
            response = test_client.get(url)
            assert response.status_code < 500, (user and user.role, url, response.status_code)
            if url.startswith("/admin") and user is not None and user.role != "admin":
                assert response.status_code in (403, 404), (user.role, url)
