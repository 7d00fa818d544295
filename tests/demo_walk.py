"""One breadth-first walk over the pages a demo person is shown, for the walks that check them (links that lead
nowhere: tests/test_demo_links.py, through the test client; accessibility: tests/browser/test_accessibility.py, in
Chromium). `visit(path)` opens a page and returns the site paths it links to."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# Not pages to walk: leaving, downloads, images, the API, actions taken by following a link.
SKIP = re.compile(r"/logout|\.csv$|\.json$|/my-record\.|/images/|/image$|/export|/static/|/api/|webhook|"
                  r"/attachments/|/start$")


def walk(visit: Callable[[str], Iterable[str]], *, limit: int, per_shape: int, start: str = "/home") -> list[str]:
    """The paths visited, breadth first from `start`: at most `limit`, and at most `per_shape` of each shape
    (/jobs/N/progress stands for every job's progress page)."""
    queue, seen, shapes = [start], [], {}
    while queue and len(seen) < limit:
        path = queue.pop(0)
        shape = re.sub(r"\d+", "N", path.split("?")[0])
        if path in seen or shapes.get(shape, 0) >= per_shape:
            continue
        seen.append(path)
        shapes[shape] = shapes.get(shape, 0) + 1
        queue += [link for link in visit(path) if link not in seen and not SKIP.search(link.split("?")[0])]
    return seen
