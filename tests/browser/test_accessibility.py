"""Accessibility: the demo's pages, as each kind of person sees them, have no WCAG 2 A or AA violation that
axe-core (Deque's checker, through axe-playwright-python) can find: contrast, labels, names of buttons and links,
landmarks, keyboard access to scrolling regions; and nothing a page asks for fails to load (scripts, styles,
images, the icon). A walk of ~150 demo pages found muted grey text on tinted backgrounds under 4.5:1 and
sideways-scrolling code and tables that a keyboard could not reach; this keeps them out."""
from __future__ import annotations

from urllib.parse import urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe

from marketplace.demo.seed import DEMO_PASSWORD, seed_all
from marketplace.extensions import db
from tests.demo_walk import walk

from .conftest import log_in, shot

RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
         "resultTypes": ["violations"]}


def links_on(page) -> list[str]:
    hrefs = page.eval_on_selector_all("main a[href]", "els => els.map(e => e.href)")
    return [urlparse(h).path + (f"?{urlparse(h).query}" if urlparse(h).query else "") for h in hrefs
            if urlparse(h).hostname == "127.0.0.1"]


@pytest.mark.parametrize("email", ["amara@trainers.example.com", "lab@aurora-ai.example.com",
                                   "admin@fairtrain.example.com"])
def test_the_pages_each_person_uses_pass_axe(page, email):
    seed_all()
    db.session.commit()
    failed = []  # anything the pages asked for that did not load (a missing script, style, image or icon)
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("console", lambda m: failed.append(f"console: {m.text}") if m.type == "error" else None)
    log_in(page, email, DEMO_PASSWORD)
    axe, found = Axe(), []

    def visit(path):
        page.goto(path)
        page.wait_for_load_state("load")
        violations = axe.run(page, options=RULES).response["violations"]
        for violation in violations:
            targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
            found.append(f"{path}: {violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
        if violations:
            shot(page, "axe" + path.replace("/", "_"))
        return links_on(page)

    seen = walk(visit, limit=14, per_shape=1)
    assert len(seen) >= 8, f"only {len(seen)} pages reached"
    assert found == [], "\n".join(found)
    assert failed == [], "\n".join(failed)
