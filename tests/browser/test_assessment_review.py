"""A new trainer takes the hate-speech assessment, writes rationales, an admin approves it with a reason,
and the trainer sees the qualification and the reason."""
import re

import sqlalchemy as sa

from marketplace.assessments import bank
from marketplace.assessments.models import Attempt
from marketplace.extensions import db
from tests.browser.conftest import log_in, shot
from tests.factories import make_admin, make_trainer

PASSWORD = "a long unusual passphrase"
REASON = "Every label is right, and each rationale names who is targeted and why that group is protected."


def test_trainer_takes_hate_speech_test_admin_approves_with_reason_trainer_sees_it(page, new_page):
    bank.import_path(bank.DATA_DIR / "hate_speech_en.json")
    make_trainer(email="new.trainer@example.com", password=PASSWORD, display_name="Noor Rahman")
    make_admin(email="reviewer@example.com", password=PASSWORD, display_name="Rita Reviewer")
    db.session.commit()

    # The trainer finds the test, reads the content warning and starts.
    log_in(page, "new.trainer@example.com", PASSWORD)
    page.get_by_role("link", name="Assessments").first.click()
    shot(page, "assessments-index-new-trainer")
    page.locator("#card-hate-speech-en-v1").get_by_role("button", name="Start").click()
    assert page.get_by_role("note", name="Content warning").is_visible()
    shot(page, "assessments-detail-hate-speech")
    page.get_by_role("button", name="Start the test now").click()
    page.wait_for_url(re.compile(r".*/assessments/attempts/\d+$"))
    assert page.get_by_role("note", name="Content warning").is_visible()

    db.session.commit()  # end this test's read transaction: see what the server committed
    attempt = db.session.scalars(sa.select(Attempt)).one()
    gold = {item.position: item.answer[0] for item in attempt.items}
    written = [item.position for item in attempt.items if item.needs_writing]
    assert len(gold) == 15 and len(written) >= 1
    labels = {"hate": "Hate speech", "offensive": "Offensive but not hate speech", "neither": "Neither"}

    # Answer every item (rationales where asked); autosave keeps them.
    for position, key in gold.items():
        card = page.locator(f"#item-{position}")
        card.get_by_label(labels[key], exact=True).check()
        if position in written:
            card.get_by_role("textbox").fill("The post attacks people for a protected characteristic, not an "
                                             "individual; quoting or criticising ideas would be different.")
    page.wait_for_function("document.getElementById('save-state').textContent.startsWith('Saved at')")
    shot(page, "assessments-take-answered")

    # A reload resumes with every answer in place.
    page.reload()
    assert page.locator("#answered-count").inner_text() == "15 of 15 answered"
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Submit attempt").click()
    page.wait_for_url(re.compile(r".*/result$"))
    assert "Waiting for review" in page.locator("#result-banner").inner_text()
    shot(page, "assessments-result-pending")

    # An admin reviews: marks each rationale and approves with a written reason.
    admin = new_page()
    log_in(admin, "reviewer@example.com", PASSWORD)
    admin.get_by_role("navigation").get_by_role("link", name="Reviews").click()
    assert "Noor Rahman" in admin.locator("#review-queue").inner_text()
    admin.locator("#review-queue").get_by_role("button", name="Review").click()
    for position in written:
        admin.locator(f"#item-{position}").get_by_label("Acceptable", exact=True).check()
    admin.get_by_label("Approve: the trainer passes").check()
    admin.get_by_label("Reason for the trainer").fill("Too short")
    admin.get_by_role("button", name="Record the decision").click()
    # the browser refuses a reason under 20 characters (the server refuses it too: see test_reviews)
    assert admin.get_by_label("Reason for the trainer").evaluate("e => !e.checkValidity()")
    db.session.commit()  # end this test's read transaction: see what the server committed
    assert db.session.get(Attempt, attempt.id).status == "pending_review"
    admin.get_by_label("Reason for the trainer").fill(REASON)
    shot(admin, "assessments-review-approve")
    admin.get_by_role("button", name="Record the decision").click()
    admin.wait_for_url("**/admin/assessments/reviews")
    assert "Decision recorded" in admin.content()

    # The trainer sees the qualification and the reviewer's reason.
    page.goto("/assessments")
    qualifications = page.locator("#my-qualifications").inner_text()
    assert "Hate-speech judgement (English)" in qualifications and "active" in qualifications
    assert REASON in qualifications
    shot(page, "assessments-index-qualified")
    page.get_by_role("link", name="See the attempt").click()
    assert "Passed" in page.locator("#result-banner").inner_text()
    assert REASON in page.locator("#reviewer-reason").inner_text()
    shot(page, "assessments-result-passed")
    page.goto("/inbox")
    assert "You passed Hate-speech judgement (English)" in page.content()
