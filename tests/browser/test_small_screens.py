"""On a phone (390 px wide) the pages people use most never scroll sideways: the navigation and the admin
sub-navigation wrap onto more lines and a wide table scrolls inside itself."""
from __future__ import annotations

import pytest

from marketplace.extensions import db
from tests.factories import DEFAULT_PASSWORD, make_admin, make_open_job, make_requester, make_trainer

from .conftest import log_in, shot

PHONE = {"width": 390, "height": 844}


def page_width(page) -> tuple[int, int]:
    return page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport=PHONE)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_trainer_and_requester_pages_fit_a_phone(phone):
    requester = make_requester()
    job = make_open_job(requester=requester)
    trainer, admin = make_trainer(), make_admin()
    db.session.commit()
    for user, paths in ((trainer, ["/home", "/work/", "/pay/timesheets", "/earnings", "/wallet", "/my-record"]),
                        (requester, ["/jobs/", f"/jobs/{job.id}", "/pay/timesheets", "/pay/spend", "/funds"]),
                        (admin, ["/admin/", "/admin/audit", "/admin/appeals", "/admin/sanctions"])):
        phone.context.clear_cookies()
        log_in(phone, user.email, DEFAULT_PASSWORD)
        for path in paths:
            phone.goto(path)
            scroll, visible = page_width(phone)
            if scroll > visible:
                shot(phone, "phone-overflow" + path.replace("/", "_"))
            assert scroll <= visible, f"{path} scrolls sideways on a phone: {scroll}px wide in {visible}px"
        # The navigation is all there, on more than one line.
        assert phone.get_by_role("link", name="Inbox").is_visible()
