"""A new trainer registers, fills in languages and expertise, logs out and in, and sees the profile."""
from tests.browser.conftest import log_in, shot

PASSWORD = "a long unusual passphrase"


def test_new_trainer_registers_fills_profile_and_sees_it_after_logging_in_again(page):
    page.goto("/register")
    page.get_by_label("work as a trainer").check()
    page.get_by_label("Name to show").fill("Nur Hidayah")
    page.get_by_label("E-mail").fill("Nur.Hidayah@Example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_label("Country you work from").select_option("MY")
    shot(page, "foundation-register")
    page.get_by_role("button", name="Create my account").click()

    page.wait_for_url("**/profile/edit")
    page.get_by_label("Time zone").select_option("Asia/Kuala_Lumpur")
    page.get_by_label("Language 1").select_option("ms")
    page.get_by_label("Proficiency").first.select_option("native")
    page.get_by_label("Language 2").select_option("en")
    page.get_by_label("Proficiency").nth(1).select_option("professional")
    page.get_by_label("Software engineering").check()
    page.get_by_label("Python").check()
    page.get_by_label("Education").check()
    page.get_by_label("Weekly goal (hours)").fill("12.5")
    page.get_by_label("Weekly cap (hours)").fill("20")
    shot(page, "foundation-profile-edit")
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_url("**/profile")
    assert "Profile saved." in page.content()

    page.get_by_text("Nur Hidayah").first.click()  # open the account menu
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")

    log_in(page, "nur.hidayah@example.com", PASSWORD)
    page.goto("/profile")
    languages = page.locator("#profile-languages").inner_text()
    expertise = page.locator("#profile-expertise").inner_text()
    assert "Malay" in languages and "native" in languages and "English" in languages
    assert "Software engineering: Python" in expertise and "Education" in expertise
    assert "12.5 h" in page.content() and "Malaysia" in page.content()
    shot(page, "foundation-profile")
