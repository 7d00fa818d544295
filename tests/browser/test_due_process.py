"""Due process end to end: an admin suspends a trainer in writing; the trainer reads the notice and appeals with a
screenshot; the suspending admin cannot decide it; a second admin overturns it in writing; the trainer is back in
good standing and reads the whole story in My record."""
from datetime import datetime, timedelta, timezone

from tests.browser.conftest import log_in, shot
from tests.factories import DEFAULT_PASSWORD, make_admin, make_trainer, publish_conduct
from tests.moderation.test_attachments import tiny_png

REASON = ("Submitted 40 answers in 90 seconds on the hate-speech job, far too fast to have read the posts; "
          "12 of 14 gold items were wrong.")
SEVERE = "Rushing a hate-speech job harms the people the labels protect; a warning is not enough."
APPEAL = ("I read every post. The gold key marks sarcasm as hate speech in items 4, 9 and 12; my screenshot "
          "shows the timer running for 38 minutes, not 90 seconds.")
DECISION = "The timer log confirms 38 minutes of work and the gold key was wrong on 3 items: overturned."


def test_suspension_appeal_and_overturn_in_the_browser(page, new_page, db):
    publish_conduct()
    trainer = make_trainer(email="amara@example.com", display_name="Amara Okafor")
    make_admin(email="ada@example.com", display_name="Ada Admin")
    make_admin(email="bo@example.com", display_name="Bo Second-Admin")

    # Ada suspends Amara, with reason, clauses and evidence.
    log_in(page, "ada@example.com", DEFAULT_PASSWORD)
    page.get_by_role("link", name="Appeals").first.click()
    page.get_by_role("link", name="Sanctions").click()
    page.get_by_label("Find a person by e-mail or ID").fill("amara@example.com")
    page.get_by_role("button", name="Open their history").click()
    page.get_by_role("button", name="Issue a warning or sanction").click()
    page.get_by_label("Temporary suspension").check()
    page.get_by_label("Suspension ends on (UTC)").fill((datetime.now(timezone.utc) + timedelta(days=14)).date().isoformat())
    page.get_by_label("1.1 Honest work").check()
    page.get_by_label("Reason the trainer will read").fill(REASON)
    page.get_by_label("Evidence, one item per line").fill("/work/tasks/812 40 answers in 90 seconds\nGold report #77")
    page.get_by_label("Severe: skip the warning").check()
    page.get_by_label("Why a warning is not enough").fill(SEVERE)
    shot(page, "moderation-issue-suspension")
    page.get_by_role("button", name="Issue and tell Amara Okafor").click()
    page.wait_for_url("**/sanctions/*")
    assert "Temporary suspension (platform-wide)" in page.content()

    # Amara logs in, reads the notice from the banner and appeals with a screenshot.
    amara = new_page()
    log_in(amara, "amara@example.com", DEFAULT_PASSWORD)
    banner = amara.locator(".banner-notice").first
    assert "Your account is suspended" in banner.inner_text()
    shot(amara, "moderation-trainer-banner")
    banner.get_by_role("link", name="Read the full notice").click()
    body = amara.content()
    assert REASON in body and "1.1 Honest work" in body and "/work/tasks/812" in body and "How to appeal" in body
    amara.get_by_role("button", name="Open").click()
    amara.get_by_role("button", name="Appeal this decision").click()
    amara.get_by_label("Your appeal").fill(APPEAL)
    amara.get_by_label("Attachments (optional)").set_input_files(
        [{"name": "timer.png", "mimeType": "image/png", "buffer": tiny_png()}])
    shot(amara, "moderation-trainer-appeal")
    amara.get_by_role("button", name="Send my appeal").click()
    amara.wait_for_url("**/appeals/*")
    assert "Your appeal is filed" in amara.content() and "timer.png" in amara.content()

    # Ada made the decision, so the page tells her another admin must decide.
    page.goto("/admin/appeals")
    page.get_by_role("link", name="Open").first.click()
    assert "a different admin must decide" in page.content()
    assert page.get_by_role("button", name="Record the decision").count() == 0

    # Bo overturns it in writing.
    bo = new_page()
    log_in(bo, "bo@example.com", DEFAULT_PASSWORD)
    bo.get_by_role("link", name="Appeals").first.click()
    assert "Amara Okafor" in bo.locator("#appeal-queue").inner_text()
    bo.get_by_role("link", name="Open").first.click()
    assert APPEAL in bo.content()
    bo.get_by_label("Overturn: reverse it and restore what was taken").check()
    bo.get_by_label("Reason the trainer will read").fill(DECISION)
    shot(bo, "moderation-second-admin-decides")
    bo.get_by_role("button", name="Record the decision").click()
    bo.wait_for_url("**/admin/appeals")
    assert "Appeal overturned" in bo.content()

    # Amara is back in good standing and reads the whole story in My record.
    amara.goto("/standing")
    assert "Good standing" in amara.content()
    amara.goto("/my-record")
    sanctions = amara.locator("#record-sanctions").inner_text()
    appeals = amara.locator("#record-appeals").inner_text()
    assert "Temporary suspension (platform-wide), citing 1.1" in sanctions and "Ada Admin (admin)" in sanctions
    assert "Appeal overturned on" in sanctions and DECISION in sanctions
    assert APPEAL in appeals and "Bo Second-Admin (admin)" in appeals and "back in good standing" in appeals
    assert "Appeal: decided" in amara.locator("#record").inner_text()
    shot(amara, "moderation-my-record")
    db.session.refresh(trainer)
    assert trainer.status == "active"
