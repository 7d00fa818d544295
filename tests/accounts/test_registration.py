"""Registration and profiles: the rules a person meets when joining."""
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.core.models import AuditEvent
from tests.factories import make_trainer

GOOD = {"role": "worker", "display_name": "Ana Lima", "email": "Ana.Lima@Example.com",
        "password": "a long unusual passphrase", "confirm": "a long unusual passphrase", "country": "BR"}


def register(client, **changes):
    return client.post("/register", data={**GOOD, **changes})


def test_trainer_registers_with_email_normalised_and_is_sent_to_profile(client, db):
    response = register(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/profile/edit")
    user = db.session.scalar(sa.select(User))
    assert user.email == "ana.lima@example.com" and user.role == "worker" and user.country == "BR"
    assert user.password_hash.startswith("$argon2")
    assert db.session.scalar(sa.select(AuditEvent.action)) == "account.registered"


def test_duplicate_email_in_another_case_is_refused(client, db):
    register(client)
    client.post("/logout")
    response = register(client, email="ANA.LIMA@example.COM")
    assert response.status_code == 422
    assert b"already exists" in response.data
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_short_password_is_refused_with_the_rule(client, db):
    response = register(client, password="short1", confirm="short1")
    assert response.status_code == 422 and b"at least 10 characters" in response.data
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_common_password_is_refused(client, db):
    response = register(client, password="1234567890", confirm="1234567890")
    assert response.status_code == 422 and b"most common passwords" in response.data
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_unknown_country_is_refused(client, db):
    response = register(client, country="XX")
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_trainer_must_state_a_country(client, db):
    response = register(client, country="")
    assert response.status_code == 422 and b"country" in response.data.lower()
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_requester_registers_without_country(client, db):
    response = register(client, role="requester", country="", organisation="Aurora Lab", email="lab@example.com")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(User.organisation)) == "Aurora Lab"


def test_nobody_can_register_as_admin(client, db):
    response = register(client, role="admin")
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def profile_form(**changes):
    data = {"display_name": "Yuki", "country": "JP", "timezone": "Asia/Tokyo",
            "languages-0-code": "ja", "languages-0-proficiency": "native",
            "languages-1-code": "en", "languages-1-proficiency": "professional",
            "expertise": ["software_engineering", "linguistics"], "programming_languages": ["python", "rust"],
            "weekly_goal_hours": "15", "weekly_cap_hours": "25.5"}
    data.update(changes)
    return data


def test_trainer_profile_saves_languages_expertise_and_hours(client, db, login):
    user = make_trainer(languages=())
    login(user)
    response = client.post("/profile/edit", data=profile_form())
    assert response.status_code == 302
    db.session.refresh(user)
    assert [(lang.code, lang.proficiency) for lang in user.languages] == [("ja", "native"), ("en", "professional")]
    areas = {e.area: e.detail for e in user.expertise}
    assert areas == {"software_engineering": ["python", "rust"], "linguistics": []}
    assert user.weekly_goal_minutes == 900 and user.weekly_cap_minutes == 1530 and user.timezone == "Asia/Tokyo"
    page = client.get("/profile").get_data(as_text=True)
    assert "Japanese" in page and "Rust" in page and "Software engineering" in page


def test_profile_refuses_a_language_listed_twice_and_keeps_the_old_profile(client, db, login):
    user = make_trainer(languages=(("fr", "fluent"),))
    login(user)
    response = client.post("/profile/edit", data=profile_form(**{"languages-1-code": "ja"}))
    assert response.status_code == 422 and b"listed twice" in response.data
    db.session.expire_all()
    assert [lang.code for lang in db.session.get(User, user.id).languages] == ["fr"]


def test_profile_refuses_a_goal_above_the_cap(client, login):
    login(make_trainer())
    response = client.post("/profile/edit", data=profile_form(weekly_goal_hours="30", weekly_cap_hours="10"))
    assert response.status_code == 422 and b"above your own weekly cap" in response.data


def test_profile_needs_a_language(client, login):
    login(make_trainer())
    response = client.post("/profile/edit", data=profile_form(**{"languages-0-code": "", "languages-1-code": ""}))
    assert response.status_code == 422 and b"at least one language" in response.data
