"""The code of conduct: a data file loaded as version 1, public, versioned; publishing announces it with its date."""
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from marketplace.core.errors import Conflict, Forbidden, ValidationFailed
from marketplace.core.models import AuditEvent, Notice, OutboundEmail
from marketplace.moderation import services
from marketplace.moderation.conduct_text import ClauseText, ConductFormatError, format_clauses, parse
from tests.factories import make_admin, make_requester, make_sanction, make_trainer, publish_conduct

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)


def test_the_data_file_loads_once_as_version_one_with_numbered_clauses(app, db):
    result = app.test_cli_runner().invoke(args=["moderation", "load-conduct"])
    assert "version 1, with 10 clauses" in result.output
    again = app.test_cli_runner().invoke(args=["moderation", "load-conduct"])
    assert "already published (version 1)" in again.output
    version = services.current_version()
    assert [c.number for c in version.clauses][:3] == ["1.1", "1.2", "1.3"] and version.published_by_id is None


def test_everyone_reads_the_code_of_conduct_without_logging_in(client, db):
    publish_conduct()
    page = client.get("/conduct").get_data(as_text=True)
    assert "1.1" in page and "Honest work" in page and 'id="clause-2.1"' in page
    assert client.get("/conduct/v1").status_code == 200
    assert client.get("/conduct/v9").status_code == 404


def test_publishing_a_version_announces_it_to_every_trainer_with_its_date(client, db, login):
    publish_conduct()
    trainers = [make_trainer() for _ in range(3)]
    requester, admin = make_requester(), make_admin()
    text = services.editable_text() + "\n6.1 Safe breaks\nTake the breaks the exposure limit gives you.\n"
    login(admin)
    with time_machine.travel(T0, tick=False):
        response = client.post("/admin/conduct", data={"text": text, "summary": "Adds 6.1 on breaks from harmful content."})
    assert response.status_code == 302
    version = services.current_version()
    assert version.number == 2 and version.clauses[-1].label == "6.1 Safe breaks" and version.published_by_id == admin.id
    told = db.session.scalars(sa.select(Notice).where(Notice.category == "conduct")).all()
    assert sorted(n.user_id for n in told) == sorted(t.id for t in trainers)  # trainers only, not the requester
    assert all("version 2, in force from 3 December 2026" in n.subject and "6.1" in n.body for n in told)
    assert db.session.scalar(sa.select(sa.func.count(OutboundEmail.id))) == 3
    assert requester.id not in {n.user_id for n in told}
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "conduct.published")) == 2
    assert "Earlier versions" in client.get("/conduct").get_data(as_text=True)


def test_sanctions_keep_citing_the_clause_text_they_were_issued_under(db):
    trainer, admin = make_trainer(), make_admin()
    sanction = make_sanction(trainer, admin, clauses=("1.1",))
    old_text = sanction.clauses[0].text
    services.publish_version(services.editable_text().replace(old_text, "Submit only your own work."),
                             summary="Shorter wording of clause 1.1.", actor=admin)
    db.session.commit()
    assert sanction.clauses[0].text == old_text and sanction.clauses[0].version.number == 1
    assert services.current_clauses()[0].text == "Submit only your own work."


@pytest.mark.parametrize("text, summary, error, match", [
    ("Honest work\nNo number here.", "A change worth announcing to all.", ValidationFailed, "number and title"),
    ("1.1 Honest work", "A change worth announcing to all.", ValidationFailed, "has no text"),
    ("1 A\nx\n\n1 B\ny", "A change worth announcing to all.", ValidationFailed, "used twice"),
    (None, "short", ValidationFailed, "Say what changed"),
    (None, "Nothing at all changed here, honestly.", Conflict, "same as the version in force"),
])
def test_bad_versions_are_refused_with_a_clear_message(db, text, summary, error, match):
    publish_conduct()
    with pytest.raises(error, match=match):
        services.publish_version(text or services.editable_text(), summary=summary, actor=make_admin())


def test_only_admins_publish(db):
    publish_conduct()
    with pytest.raises(Forbidden):
        services.publish_version("9 New\nText.", summary="A change worth announcing.", actor=make_trainer())


numbers = st.lists(st.integers(1, 9), min_size=1, max_size=3).map(lambda parts: ".".join(map(str, parts)))
words = st.text(st.characters(whitelist_categories=("L", "N"), max_codepoint=0x2FF), min_size=1, max_size=12)
sentences = st.lists(words, min_size=1, max_size=8).map(" ".join)


@given(st.lists(st.tuples(numbers, sentences, sentences), min_size=1, max_size=8, unique_by=lambda c: c[0]))
def test_the_plain_text_format_round_trips(clauses):
    parsed = [ClauseText(n, t, x) for n, t, x in clauses]
    assert parse(format_clauses(parsed)) == parsed


def test_empty_text_is_not_a_code_of_conduct():
    with pytest.raises(ConductFormatError, match="at least one clause"):
        parse("# only a comment\n")
