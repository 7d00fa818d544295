"""The trainer's pages: detail with content warning, starting, taking with the form, the result to learn from."""
from datetime import datetime, timezone

import sqlalchemy as sa

from marketplace.assessments.models import Attempt
from marketplace.core.markdown import render_markdown
from tests.assessments.helpers import take
from tests.factories import assessment_spec, make_assessment, make_trainer


def test_markdown_is_rendered_and_sanitised():
    html = str(render_markdown("**bold** <script>alert(1)</script> [x](javascript:alert(1)) [ok](https://a.org)"))
    assert "<strong>bold</strong>" in html and "<script>" not in html and 'href="javascript' not in html
    assert 'href="https://a.org"' in html and 'rel="noopener noreferrer nofollow"' in html


def test_detail_page_shows_rules_pay_content_warning_and_a_start_button(db, client, login):
    spec = assessment_spec()
    spec["assessment"]["content_warning"] = "Posts include slurs shown as placeholders."
    make_assessment(spec=spec)
    login(make_trainer())
    page = client.get("/assessments/test-skill-v1").get_data(as_text=True)
    assert "Content warning" in page and "Posts include slurs shown as placeholders." in page
    assert "<strong>Read</strong>" in page  # the description's Markdown
    assert "up to $3.00" in page  # 10 minutes at $18.00/h
    assert "Start the test now" in page


def test_start_take_save_submit_and_learn_from_the_result_through_the_forms(db, client, login):
    make_assessment(items=3, per_attempt=3, pass_mark=100, cooldown=24)
    trainer = make_trainer()
    login(trainer)
    response = client.post("/assessments/test-skill-v1/start")
    attempt = db.session.scalars(sa.select(Attempt)).one()
    assert response.headers["Location"].endswith(f"/assessments/attempts/{attempt.id}")
    client.post(f"/assessments/attempts/{attempt.id}/save", data={"full": "1", "item-1": "a", "item-2": "a"})
    saved = client.post(f"/assessments/attempts/{attempt.id}/save", data={"item-9": "a"},
                        headers={"Accept": "application/json"})
    assert saved.status_code == 422 and "Item 9 is not part of this attempt" in saved.get_json()["error"]["message"]
    client.post(f"/assessments/attempts/{attempt.id}/submit", data={"full": "1", "item-1": "a", "item-2": "a",
                                                                      "item-3": "c"})
    db.session.refresh(attempt)
    assert attempt.status == "failed" and attempt.correct_items == 2
    page = client.get(f"/assessments/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "Not passed this time" in page and "Items you missed (1)" in page
    missed = page[page.index('id="item-3"'):].split("</article>")[0]  # item 3 was answered 'c'
    assert "your answer" in missed and "expected answer" in missed and "is right because of reason" in missed
    assert "You can retake the test from" in page
    again = client.post(f"/assessments/attempts/{attempt.id}/submit", data={})
    assert again.status_code == 302
    assert "already been submitted" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_contest_form_on_the_result_page(db, client, login):
    assessment = make_assessment(items=2, per_attempt=2)
    trainer = make_trainer()
    attempt = take(assessment, trainer, right={1})
    login(trainer)
    short = client.post(f"/assessments/attempts/{attempt.id}/items/2/contest", data={"comment": "no"})
    assert "20 to 2,000 characters" in client.get(short.headers["Location"]).get_data(as_text=True)
    client.post(f"/assessments/attempts/{attempt.id}/items/2/contest",
                data={"comment": "Option b is what the passage says in its last line."})
    page = client.get(f"/assessments/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "Option b is what the passage says in its last line." in page and "An admin will answer in writing." in page


def test_index_lists_assessments_with_standing_and_history(db, client, login):
    assessment = make_assessment(items=2, per_attempt=2, pass_mark=100)
    trainer = make_trainer()
    take(assessment, trainer, right=set(), at=datetime.now(timezone.utc))
    login(trainer)
    page = client.get("/assessments").get_data(as_text=True)
    assert "Test of test-skill" in page and "You can retake the test from" in page
    assert "My attempts" in page and "not passed" in page and "Last result" in page
