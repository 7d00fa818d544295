"""A requester creates a classification job through the wizard, uploads a CSV, funds and publishes it."""
from tests.browser.conftest import log_in, shot
from tests.factories import make_requester
from tests.jobs.conftest import upload_dir  # noqa: F401  (fixture)

PASSWORD = "a long unusual passphrase"
CSV = ("text,gold,external_id\n"
       "\"The new bus timetable is a joke, waited 40 minutes.\",Neither,p1\n"
       "\"[slur for Roma] should be kept out of our town.\",Hate speech,p2\n"
       "\"The referee is a blind idiot.\",,p3\n")


def test_requester_creates_a_classification_job_uploads_a_csv_funds_and_publishes_it(page, db):
    make_requester(email="priya@lab.example.com", password=PASSWORD)
    log_in(page, "priya@lab.example.com", PASSWORD)

    page.get_by_role("link", name="My jobs").first.click()
    page.get_by_role("button", name="Post your first job").click()
    page.get_by_role("button", name="Choose Classification").click()
    page.get_by_label("Title").fill("Judge hate speech in forum posts")
    page.get_by_label("One-line summary").fill("Short posts: hate speech, offensive, or neither.")
    page.get_by_label("Instructions (Markdown)").fill("## Rules\n\nChoose **one** label and say why.")
    page.get_by_label("Labels, one per line").fill("Hate speech\nOffensive, not hate speech\nNeither")
    page.get_by_label("Trainers must write why they chose a label").check()
    shot(page, "jobs-wizard-basics")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_label("Required language 1").select_option("en")
    page.get_by_label("Minimum proficiency 1").select_option("professional")
    page.get_by_label("Trust and safety / content moderation").check()
    page.get_by_label("Content warning").fill("Posts contain slurs and threats against groups of people.")
    shot(page, "jobs-wizard-eligibility")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_label("Hourly rate (USD)").fill("18.00")
    page.get_by_label("Estimated minutes per task").fill("2")
    page.get_by_label("Budget (USD)").fill("360")
    page.get_by_label("Answers wanted per task").fill("3")
    assert page.locator("#earn-hour").inner_text() == "$18.00"  # live: the full rate (the fee is on top)
    assert page.locator("#cost-hour").inner_text() == "$19.80"  # an hour costs the rate plus the 10% fee
    assert page.locator("#budget-hours").inner_text() == "18.1 hours"
    shot(page, "jobs-wizard-pay")
    page.get_by_role("button", name="Save and preview").click()

    preview = page.locator(".trainer-preview")
    assert "Choose one label" in preview.inner_text() and "Posts contain slurs" in preview.inner_text()
    shot(page, "jobs-wizard-preview")
    page.get_by_role("button", name="Continue: upload tasks, fund and publish").click()
    assert "Add tasks before publishing" in page.content()

    page.get_by_role("link", name="Upload tasks").click()
    page.get_by_label("Task file (.jsonl or .csv)").set_input_files(
        files=[{"name": "posts.csv", "mimeType": "text/csv", "buffer": CSV.encode()}])
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_selector("text=Imported 3 tasks.")
    shot(page, "jobs-import-done")

    page.get_by_role("link", name="Back to the job").click()
    job_url = page.url
    page.get_by_role("button", name="Fund and publish ($360.00 into escrow)").click()
    assert "do not cover this job" in page.locator(".flash-error").inner_text()  # no funds yet: still a draft

    page.get_by_role("link", name="Funds").first.click()  # add funds with demo mode's card form
    page.get_by_label("Amount to add (USD)").fill("500")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay $500.00").click()
    page.wait_for_url("**/funds")

    page.goto(job_url)
    page.get_by_role("button", name="Fund and publish ($360.00 into escrow)").click()
    page.wait_for_selector("text=Published: the budget is in escrow")
    assert "published" in page.locator("h1 .pill").inner_text()
    assert "18.1 h left of 18.1 h bought" in page.locator("#budget").inner_text()  # $19.80 an hour with the fee
    shot(page, "jobs-published")
    page.get_by_role("link", name="Funds").first.click()
    assert "$140.00" in page.content()  # $500 added, $360 moved into the job's escrow
