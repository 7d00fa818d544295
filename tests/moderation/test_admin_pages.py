"""Admin screens: issuing and lifting sanctions, the appeals queue by deadline with late ones marked, the dashboard."""
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
import time_machine

from marketplace.accounts.models import User
from marketplace.moderation import services
from marketplace.moderation.models import Sanction
from tests.factories import SANCTION_REASON, SEVERITY_REASON, clause_ids, make_admin, make_sanction, make_trainer, \
    publish_conduct

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
TEXT = "I disagree with this decision for reasons I explain here in full."


def test_admin_issues_a_suspension_from_the_form_and_sees_each_missing_part_inline(client, db, login):
    trainer, admin = make_trainer(display_name="Grace Mensah"), make_admin()
    publish_conduct()
    login(admin)
    url = f"/admin/people/{trainer.id}/sanction"
    page = client.get(url).get_data(as_text=True)
    assert "1.1 Honest work" in page and "Grace Mensah" in page
    response = client.post(url, data={"level": "temporary", "scope": "platform", "reason": "Too short."})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("at least 50 characters", "Cite at least one clause", "at least one piece of evidence",
                    "needs an end date"):
        assert message in body, message
    assert db.session.scalar(sa.select(sa.func.count(Sanction.id))) == 0
    ends_on = (datetime.now(timezone.utc) + timedelta(days=10)).date().isoformat()
    form = {"level": "temporary", "scope": "platform", "reason": SANCTION_REASON, "ends_on": ends_on,
            "clause_ids": clause_ids("1.1", "1.2"), "evidence": "/work/tasks/812 40 answers in 90 seconds\nGold report #77"}
    response = client.post(url, data=form)
    assert response.status_code == 422 and "No earlier warning cites 1.1 Honest work, 1.2" in response.get_data(as_text=True)
    response = client.post(url, data=form | {"is_severe": "y", "severity_justification": SEVERITY_REASON})
    assert response.status_code == 302
    sanction = db.session.scalar(sa.select(Sanction))
    assert [e.url for e in sanction.evidence] == ["/work/tasks/812", None]
    assert [e.description for e in sanction.evidence] == ["40 answers in 90 seconds", "Gold report #77"]
    assert sanction.ends_at.date().isoformat() == ends_on and db.session.get(User, trainer.id).status == "suspended"
    page = client.get(f"/sanctions/{sanction.id}").get_data(as_text=True)
    assert "Lift early" in page
    assert client.post(f"/admin/sanctions/{sanction.id}/lift", data={"reason": ""}).status_code == 302
    assert db.session.get(User, trainer.id).status == "suspended"
    client.post(f"/admin/sanctions/{sanction.id}/lift", data={"reason": "Requester withdrew the complaint in writing."})
    assert db.session.get(User, trainer.id).status == "active"


def test_sanction_form_is_forbidden_for_another_admin(client, db, login):
    admin, other = make_admin(), make_admin()
    login(admin)
    assert client.get(f"/admin/people/{other.id}/sanction").status_code == 403
    assert client.get(f"/admin/people/{admin.id}/sanction").status_code == 403


def test_admin_finds_a_person_by_email_or_id(client, db, login):
    trainer = make_trainer()
    login(make_admin())
    assert client.get(f"/admin/sanctions?q={trainer.email}").headers["Location"].endswith(f"/admin/people/{trainer.id}")
    assert client.get(f"/admin/sanctions?q={trainer.id}").status_code == 302
    assert "No account matches" in client.get("/admin/sanctions?q=nobody@example.com").get_data(as_text=True)
    assert client.get("/admin/sanctions?q=99999999999999999999").status_code == 200


def test_queue_is_sorted_by_deadline_and_marks_late_appeals_and_the_dashboard_counts_them(client, db, login):
    issuer, second = make_admin(), make_admin()
    first, later = make_trainer(display_name="First Filer"), make_trainer(display_name="Later Filer")
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        services.file_appeal(later, "sanction", make_sanction(later, issuer).id, TEXT)
    with time_machine.travel(T0, tick=False):
        services.file_appeal(first, "sanction", make_sanction(first, issuer).id, TEXT)
    db.session.commit()
    login(second)
    with time_machine.travel(T0 + timedelta(days=8), tick=False):
        page = client.get("/admin/appeals").get_data(as_text=True)
        dashboard = client.get("/admin/").get_data(as_text=True)
    queue = page[page.index('id="appeal-queue"'):]
    assert queue.index("First Filer") < queue.index("Later Filer")
    assert queue.count("pill-bad\">late") == 1  # only the first is past its deadline
    assert 'id="appeal-figures"' in page
    overdue = dashboard[dashboard.index("Overdue"):]
    assert '<p class="stat stat-bad">1</p>' in overdue


def test_second_admin_overturns_from_the_page(client, db, login):
    trainer, issuer, second = make_trainer(), make_admin(), make_admin()
    appeal = services.file_appeal(trainer, "sanction", make_sanction(trainer, issuer, level="permanent").id, TEXT)
    db.session.commit()
    login(second)
    response = client.post(f"/admin/appeals/{appeal.id}", data={"reason": "A reason long enough to read."})
    assert response.status_code == 422 and "uphold or to overturn" in response.get_data(as_text=True)
    response = client.post(f"/admin/appeals/{appeal.id}",
                           data={"outcome": "overturned", "reason": "Login history shows one device only."})
    assert response.status_code == 302
    assert db.session.get(User, trainer.id).status == "active"


def test_dashboard_names_who_decided_and_whom_each_recent_decision_concerns(client, db, login):
    issuer = make_admin(display_name="Ada Issuer")
    trainer = make_trainer(display_name="Tom Warned")
    make_sanction(trainer, issuer)
    db.session.commit()
    login(make_admin())
    page = client.get("/admin/").get_data(as_text=True)
    recent = page[page.index("Recent decisions"):]
    row = recent[recent.index("sanction."):]
    row = row[:row.index("</tr>")]
    assert "Ada Issuer" in row and "Tom Warned" in row and "(trainer)" in row
    assert f'href="/admin/people/{trainer.id}"' in row


def test_an_evidence_link_to_no_page_is_shown_beside_the_field_and_nothing_is_issued(client, db, login):
    trainer, admin = make_trainer(), make_admin()
    publish_conduct()
    db.session.commit()
    login(admin)
    response = client.post(f"/admin/people/{trainer.id}/sanction", data={
        "level": "warning", "scope": "platform", "reason": SANCTION_REASON, "clause_ids": clause_ids("1.1"),
        "evidence": "/tasks/812 40 answers in 90 seconds"})
    assert response.status_code == 422
    assert "The link /tasks/812 leads to no page on FairTrain" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Sanction.id))) == 0
