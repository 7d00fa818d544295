"""Harmful-content protection: a daily limit and an opt-out that never affects standing or ratings."""
import pytest
import sqlalchemy as sa

from marketplace.core.errors import Forbidden, ValidationFailed
from marketplace.extensions import db as _db
from marketplace.moderation import services
from tests.factories import make_requester, make_trainer


def row_counts() -> dict[str, int]:
    with _db.engine.connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                for t in _db.metadata.sorted_tables}


def test_default_policy_is_the_platform_limit(app, db):
    policy = services.exposure_policy(make_trainer())
    assert policy.accepts_content_warning_jobs and policy.daily_limit_minutes == 120 == policy.platform_limit_minutes


def test_opting_out_writes_no_sanction_audit_quality_or_notice_row(client, db, login):
    """The only row an opt-out writes is the setting itself: nothing any room could count against the trainer."""
    trainer = make_trainer()
    login(trainer)
    before = row_counts()
    response = client.post("/settings/content-exposure", data={"is_opted_out": "y", "daily_limit_minutes": "30"})
    assert response.status_code == 302
    after = row_counts()
    changed = {name for name in after if after[name] != before[name]}
    assert changed == {"exposure_settings"}
    db.session.refresh(trainer)
    assert trainer.status == "active" and services.standing_for(trainer).ok
    policy = services.exposure_policy(trainer)
    assert not policy.accepts_content_warning_jobs and policy.daily_limit_minutes == 30


def test_a_personal_limit_cannot_exceed_the_platform_limit(client, db, login):
    trainer = make_trainer()
    with pytest.raises(ValidationFailed, match="between 0 and 120"):
        services.update_exposure(trainer, is_opted_out=False, daily_limit_minutes=500)
    login(trainer)
    response = client.post("/settings/content-exposure", data={"daily_limit_minutes": "500"})
    assert response.status_code == 422 and "between 0 and 120" in response.get_data(as_text=True)


def test_the_platform_limit_is_configurable(app, db):
    trainer = make_trainer()
    app.config["HARMFUL_CONTENT_DAILY_LIMIT_MINUTES"] = 45
    try:
        services.update_exposure(trainer, is_opted_out=False, daily_limit_minutes=None)
        assert services.exposure_policy(trainer).daily_limit_minutes == 45
    finally:
        app.config["HARMFUL_CONTENT_DAILY_LIMIT_MINUTES"] = 120


def test_only_trainers_have_exposure_settings(client, db, login):
    with pytest.raises(Forbidden):
        services.update_exposure(make_requester(), is_opted_out=True, daily_limit_minutes=None)
    login(make_requester())
    assert client.get("/settings/content-exposure").status_code == 403
