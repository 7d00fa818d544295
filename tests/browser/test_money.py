"""Money in the browser: a requester tops up with the demo card form and reads the statement; a trainer
connects a payout account, an admin pays them with a written reason, and the trainer's wallet shows it."""
import csv
import io

from marketplace.extensions import db
from marketplace.payments import services
from tests.browser.conftest import log_in, shot
from tests.factories import DEFAULT_PASSWORD, make_admin, make_requester, make_trainer


def test_requester_tops_up_with_the_card_form_and_sees_the_statement(page):
    requester = make_requester(email="priya@lab.example.com", display_name="Priya Raman")
    log_in(page, requester.email, DEFAULT_PASSWORD)
    page.goto("/funds")
    page.get_by_label("Amount to add (USD)").fill("250")
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url("**/funds/top-ups/*")
    assert page.locator("script[src*='js.stripe.com']").count() == 0  # demo mode loads nothing external

    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay $250.00").click()
    assert "declined" in page.locator(".flash-error").inner_text().lower()
    shot(page, "money-topup-declined")

    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay $250.00").click()
    page.wait_for_url("**/funds")
    assert "$250.00 added to your funds." in page.locator(".flash-success").inner_text()
    assert "$250.00" in page.locator("#funds-available").inner_text()
    row = page.locator("#statement tbody tr").first.inner_text()
    assert "Funds added by card" in row and "+$250.00" in row
    shot(page, "money-funds-statement")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    rows = list(csv.reader(io.StringIO(open(download.value.path()).read())))
    assert rows[1][2:4] == ["250.00", "250.00"]


def test_trainer_connects_a_payout_account_and_sees_the_admins_payout(page, new_page):
    trainer = make_trainer(email="amara@trainers.example.com", display_name="Amara Okafor")
    services.pay_onboarding(trainer, 4_500, "onboarding:browser")
    db.session.commit()
    admin = make_admin(email="ada@fairtrain.example.com", display_name="Ada Admin")

    log_in(page, trainer.email, DEFAULT_PASSWORD)
    page.goto("/wallet")
    assert "not connected a payout account" in page.locator("#payout-blocked").inner_text()
    shot(page, "money-wallet-not-ready")
    page.locator("#payout-blocked").get_by_role("button", name="Connect a payout account").click()
    page.get_by_role("button", name="Connect a payout account").click()
    page.wait_for_url("**/wallet/payout-account")
    assert "Your payout account is ready" in page.locator(".flash-success").inner_text()
    shot(page, "money-payout-account-ready")

    admin_page = new_page()
    log_in(admin_page, admin.email, DEFAULT_PASSWORD)
    admin_page.goto("/admin/money")
    admin_page.locator("#owed").get_by_role("link", name="Amara Okafor").click()
    admin_page.get_by_label("Reason").fill("Trainer asked to be paid before the holidays.")
    admin_page.get_by_role("button", name="Send payout").click()
    assert "Paid $45.00 to Amara Okafor." in admin_page.locator(".flash-success").inner_text()
    shot(admin_page, "money-admin-paid")

    page.goto("/wallet")
    assert "$45.00" in page.locator("#balance-paid").inner_text()
    assert "$0.00" in page.locator("#balance-payable").inner_text()
    assert "sent" in page.locator("#payouts tbody tr").first.inner_text()
    shot(page, "money-wallet-paid")
