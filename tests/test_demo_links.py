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

SKIP = re.compile(r"/logout|\.csv$|\.json$|/my-record\.|/images/|/image$|/export|/static/|/api/|webhook|"
                  r"/attachments/|/start$")
HREF = re.compile(r'href="([^"#]+)')
PAGES_PER_PERSON = 60


def walk(client, start: str = "/home") -> tuple[int, list[tuple[int, str, str]]]:
    """Breadth-first over the person's links: at most two pages of each shape (/jobs/N/progress ...)."""
    queue, seen, shapes, broken = [(start, "(start)")], set(), {}, []
    while queue and len(seen) < PAGES_PER_PERSON:
        path, found_on = queue.pop(0)
        shape = re.sub(r"\d+", "N", path.split("?")[0])
        if path in seen or shapes.get(shape, 0) >= 2:
            continue
        seen.add(path)
        shapes[shape] = shapes.get(shape, 0) + 1
        response = client.get(path)
        if response.status_code >= 400:
            broken.append((response.status_code, path, found_on))
            continue
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        for href in HREF.findall(response.get_data(as_text=True)):
            target = urlparse(urljoin("http://localhost" + path, href.replace("&amp;", "&")))
            if target.netloc != "localhost" or SKIP.search(target.path):
                continue
            queue.append((target.path + (f"?{target.query}" if target.query else ""), path))
    return len(seen), broken


@pytest.mark.parametrize("email", ["amara@trainers.example.com", "tom@trainers.example.com",
                                   "lab@aurora-ai.example.com", "admin@fairtrain.example.com"])
def test_every_link_a_demo_person_is_shown_leads_to_a_page(db, client, login, email):
    seed_all()
    db.session.commit()
    login(db.session.scalar(sa.select(User).where(User.email == email)))
    walked, broken = walk(client)
    assert walked >= 15, f"only {walked} pages reached from /home"
    assert broken == [], "links that lead nowhere (status, link, page it is on): " + repr(broken)
