"""Every link on the demo's pages leads somewhere: each demo person's pages are walked from their home page,
following the links they are shown (GET only), and none may answer 4xx or 5xx. (A walk in Chromium found the
demo warning's evidence linking to a page that never existed; this keeps such links out.)"""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlparse

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.demo.seed import seed_all
from tests.demo_walk import walk

HREF = re.compile(r'href="([^"#]+)')


def walk_links(client) -> tuple[int, list[tuple[int, str, str]]]:
    """Every page reachable from home (at most two of each shape); the links that answered 4xx/5xx, with the
    page each was found on."""
    found_on, broken = {"/home": "(start)"}, []

    def visit(path):
        response = client.get(path)
        if response.status_code >= 400:
            broken.append((response.status_code, path, found_on.get(path)))
            return []
        if response.status_code != 200 or "text/html" not in response.content_type:
            return []
        links = []
        for href in HREF.findall(response.get_data(as_text=True)):
            target = urlparse(urljoin("http://localhost" + path, href.replace("&amp;", "&")))
            if target.netloc == "localhost":
                links.append(target.path + (f"?{target.query}" if target.query else ""))
                found_on.setdefault(links[-1], path)
        return links

    return len(walk(visit, limit=60, per_shape=2)), broken


@pytest.mark.parametrize("email", ["amara@trainers.example.com", "tom@trainers.example.com",
                                   "lab@aurora-ai.example.com", "admin@fairtrain.example.com"])
def test_every_link_a_demo_person_is_shown_leads_to_a_page(db, client, login, email):
    seed_all()
    db.session.commit()
    login(db.session.scalar(sa.select(User).where(User.email == email)))
    walked, broken = walk_links(client)
    assert walked >= 15, f"only {walked} pages reached from /home"
    assert broken == [], "links that lead nowhere (status, link, page it is on): " + repr(broken)
