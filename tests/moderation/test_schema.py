"""The schema refuses what a form or a buggy caller might let through (CHECK and unique constraints)."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from marketplace.moderation.models import Appeal, CountryWithdrawal, Sanction, SanctionEvidence
from tests.factories import SANCTION_REASON, make_admin, make_sanction, make_trainer

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
WRITTEN = "A written reason long enough to pass the twenty-character rule."


def sanction_row(trainer, admin, **overrides):
    values = dict(user_id=trainer.id, issued_by_id=admin.id, level="warning", scope="platform", reason=SANCTION_REASON,
                  issued_at=NOW, starts_at=NOW, status="active")
    values.update(overrides)
    return Sanction(**values)


@pytest.mark.parametrize("overrides", [
    {"reason": "Too short a reason."},
    {"reason": " " * 80},
    {"level": "ban"},
    {"scope": "job"},  # no scope id
    {"scope_id": 5},  # platform-wide with a scope id
    {"level": "temporary"},  # no end date
    {"level": "temporary", "ends_at": NOW - timedelta(days=1)},
    {"level": "warning", "ends_at": NOW + timedelta(days=1)},
    {"is_severe": True, "severity_justification": "because"},
    {"status": "lifted"},  # ended without an end time
    {"self": True},
])
def test_sanction_rows_breaking_the_rules_are_refused_by_the_database(db, overrides):
    trainer, admin = make_trainer(), make_admin()
    if overrides.pop("self", False):
        overrides["issued_by_id"] = trainer.id
    db.session.add(sanction_row(trainer, admin, **overrides))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()


def test_a_valid_sanction_row_is_accepted(db):
    db.session.add(sanction_row(make_trainer(), make_admin(), level="temporary", ends_at=NOW + timedelta(days=1)))
    db.session.commit()


def test_empty_evidence_is_refused(db):
    sanction = make_sanction(make_trainer(), make_admin())
    db.session.add(SanctionEvidence(sanction_id=sanction.id, position=9, url=None, description="  "))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()


def appeal_row(trainer, maker, **overrides):
    values = dict(kind="sanction", subject_id=1, appellant_id=trainer.id, decision_maker_id=maker.id,
                  decision_made_at=NOW, window_closes_at=NOW + timedelta(days=14), description="d",
                  text="An appeal text of enough length.", filed_at=NOW + timedelta(days=1),
                  deadline_at=NOW + timedelta(days=8), status="open")
    values.update(overrides)
    return Appeal(**values)


@pytest.mark.parametrize("case", ["four_eyes", "own_appeal", "unwritten_decision", "decided_without_decider",
                                  "after_window", "short_text", "second_appeal", "bad_status"])
def test_appeal_rows_breaking_the_rules_are_refused_by_the_database(db, case):
    trainer, maker, other = make_trainer(), make_admin(), make_admin()
    decided = dict(status="overturned", decided_at=NOW + timedelta(days=2), decision_reason=WRITTEN)
    overrides = {
        "four_eyes": dict(decided, decided_by_id=maker.id),
        "own_appeal": dict(decided, decided_by_id=trainer.id),
        "unwritten_decision": dict(decided, decided_by_id=other.id, decision_reason="ok"),
        "decided_without_decider": dict(decided),
        "after_window": dict(filed_at=NOW + timedelta(days=15), deadline_at=NOW + timedelta(days=22)),
        "short_text": dict(text="unfair"),
        "second_appeal": {},
        "bad_status": dict(status="pending"),
    }[case]
    if case == "second_appeal":
        db.session.add(appeal_row(trainer, maker))
        db.session.commit()
    db.session.add(appeal_row(trainer, maker, **overrides))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()


def test_a_country_withdrawal_needs_a_notice_period_in_the_schema(db):
    db.session.add(CountryWithdrawal(country="DE", reason=WRITTEN, announced_at=NOW, announced_by_id=make_admin().id,
                                     effective_at=NOW, status="scheduled"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
