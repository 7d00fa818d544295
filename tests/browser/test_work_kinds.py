"""One browser test per task kind: a trainer completes a task with the mouse or the keyboard and the stored answer
is exactly what they entered (box coordinates in image pixels on a scaled image included); plus the page's
answer checks agree with the server's on every case of tests/assignment/test_kind_answers.py."""
import io
import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect

from marketplace.assignment import services
from marketplace.assignment.models import Assignment, CodeRun
from marketplace.core.errors import ValidationFailed
from marketplace.jobs.answers import answer_schema, validate_answer
from marketplace.jobs.kinds import validate_config
from marketplace.jobs.models import Task
from marketplace.jobs.storage import get_storage
from tests.assignment.kinds_helpers import RANKED, SETUPS
from tests.assignment.test_kind_answers import CASES, RANKED_CASES
from tests.browser.conftest import log_in, shot
from tests.factories import make_kind_job, make_trainer

PASSWORD = "a long unusual passphrase"
REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "marketplace" / "static" / "demo"
DOCS = REPO / "docs"
ARTIFACTS_DOCS = REPO / "test-artifacts" / "docs"


def start(db, page, kind, payload, config, **fields):
    """A job of `kind` with one task, held by a logged-in trainer whose browser is on the work page."""
    job = make_kind_job(kind, [payload], config=config, **fields)
    trainer = make_trainer(email=f"{kind}@trainers.example.com", password=PASSWORD, display_name="Grace")
    assignment = services.claim_next(job, trainer)[0]
    db.session.commit()
    log_in(page, f"{kind}@trainers.example.com", PASSWORD)
    page.goto(f"/work/tasks/{assignment.id}")
    return assignment


@pytest.fixture(autouse=True)
def no_script_errors(page):
    """No test here passes with an error in the page's scripts."""
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield
    assert errors == []


def draft_saved(page):
    """Wait until the latest change is saved as the draft (not merely an earlier one: the state says which)."""
    page.wait_for_function("document.getElementById('draft-status').dataset.state === 'saved'")


def reload_with_draft(page):
    """Save the draft, reload the page: what comes back is what the server kept."""
    draft_saved(page)
    page.reload()


def stored(db, assignment):
    db.session.rollback()  # see what the server committed
    return db.session.get(Assignment, assignment.id)


ROWS_JS = """Array.from(document.querySelectorAll('#bbox-rows tr')).map(r =>
    [r.querySelector('select').value, ...Array.from(r.querySelectorAll('input')).map(i => Number(i.value))])"""


def table(page):
    """The box list as the trainer sees it: [label, x, y, w, h] per row."""
    return page.evaluate(ROWS_JS)


def wait_for_table_change(page, before):
    """The list is redrawn once Annotorious has finished the gesture: wait for that, not for a fixed time."""
    page.wait_for_function(f"before => JSON.stringify({ROWS_JS}) !== JSON.stringify(before)", arg=before)
    return table(page)


def readme_shot(page, selector: str, name: str, width: int = 800) -> None:
    """A small PNG of one interface for the README: kept with the test artefacts (test-artifacts/docs); with
    FAIRTRAIN_UPDATE_DOCS=1 it also replaces docs/<name>.png (256 colours, well under 150 KB)."""
    image = Image.open(io.BytesIO(page.locator(selector).screenshot())).convert("RGB")
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
    # Octree keeps the small swatches of the label colours (median cut gives their palette slots to the photo).
    image = image.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    targets = [ARTIFACTS_DOCS] + ([DOCS] if os.environ.get("FAIRTRAIN_UPDATE_DOCS") == "1" else [])
    for folder in targets:
        folder.mkdir(parents=True, exist_ok=True)
        image.save(folder / f"{name}.png", optimize=True)


def start_boxes(db, page, email="boxes@trainers.example.com"):
    """A box job on the demo photo of a rocket (640 x 427), its task held by a trainer whose browser is on it."""
    job_payload = {"image": "", "width": 640, "height": 427, "original_name": "rocket.jpg"}
    job = make_kind_job("bounding_boxes", [job_payload], config={"labels": ["rocket", "tower", "person"]},
                        title="Box rockets and launch towers")
    key = f"images/job-{job.id}/rocket.jpg"
    get_storage().save_bytes(key, (DEMO / "rocket.jpg").read_bytes())
    task = db.session.scalar(sa.select(Task).where(Task.job_id == job.id))
    task.payload = {**job_payload, "image": key}
    db.session.commit()
    trainer = make_trainer(email=email, password=PASSWORD, display_name="Grace")
    assignment = services.claim_next(job, trainer)[0]
    db.session.commit()
    log_in(page, email, PASSWORD)
    page.goto(f"/work/tasks/{assignment.id}")
    page.wait_for_function("window.FT && FT.bbox")
    return assignment


def test_boxes_drawn_on_a_scaled_image_are_stored_in_image_pixels(page, db):
    assignment = start_boxes(db, page)
    page.get_by_role("button", name="Zoom out (minus key)").click()  # any zoom: the pixels must not depend on it
    zoom = page.evaluate("FT.bbox.zoom()")
    assert 0.5 < zoom < 1.9 and abs(zoom - 1) > 0.05, zoom
    page.locator("#bbox-stage").scroll_into_view_if_needed()
    img = page.locator("#bbox-image").bounding_box()
    assert abs(img["width"] - 640 * zoom) < 1  # drawn on a scaled image

    def drag(x1, y1, x2, y2, *, absolute=False):
        """Press at (x1, y1), move to (x2, y2), release: display pixels from the image's corner (or the page's)."""
        ox, oy = (0, 0) if absolute else (img["x"], img["y"])
        before = table(page)
        page.mouse.move(ox + x1, oy + y1)
        page.mouse.down()
        page.mouse.move(ox + (x1 + x2) / 2, oy + (y1 + y2) / 2, steps=4)
        page.mouse.move(ox + x2, oy + y2, steps=4)
        page.mouse.up()
        return wait_for_table_change(page, before)

    def close(row, expected):  # display pixels -> image pixels, rounded to whole pixels by the page
        return all(abs(got - want) <= 1.01 for got, want in zip(row[1:], expected))

    drag(300, 20, 420, 360)                      # label 1 (rocket) is chosen
    page.keyboard.press("Escape")
    page.keyboard.press("2")                     # tower, for the next box
    rows = drag(60, 40, 200, 400)
    assert [r[0] for r in rows] == ["rocket", "tower"]
    for row, (x1, y1, x2, y2) in zip(rows, [(300, 20, 420, 360), (60, 40, 200, 400)]):
        assert close(row, [x1 / zoom, y1 / zoom, (x2 - x1) / zoom, (y2 - y1) / zoom]), (row, zoom)

    # The mouse moves the new (selected) box by its body, then resizes it by its bottom-right corner.
    moved = drag(130, 220, 160, 240)
    assert moved[0] == rows[0]
    assert close(moved[1], [rows[1][1] + 30 / zoom, rows[1][2] + 20 / zoom, rows[1][3], rows[1][4]]), (moved, zoom)
    corner = page.locator(".a9s-corner-handle-bottomright").bounding_box()
    cx, cy = corner["x"] + corner["width"] / 2, corner["y"] + corner["height"] / 2
    resized = drag(cx, cy, cx + 20, cy + 10, absolute=True)
    assert resized[1][1:3] == moved[1][1:3]  # the top-left corner stays
    assert close(resized[1], [moved[1][1], moved[1][2], moved[1][3] + 20 / zoom, moved[1][4] + 10 / zoom]), resized
    assert page.locator(".a9s-rotation-handle").is_hidden()  # boxes stay axis-aligned, as COCO and YOLO store them
    rows = resized

    # Keyboard: select the first box, move it 3 px right, make it 10 px taller; delete a box and undo that.
    page.keyboard.press("Escape")
    page.keyboard.press("]")  # nothing selected: the first box
    assert "selected" in page.locator("#bbox-rows tr").first.get_attribute("class")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Control+Shift+ArrowDown")
    page.keyboard.press("Delete")
    assert len(table(page)) == 1
    page.keyboard.press("Control+z")
    assert len(table(page)) == 2
    after = table(page)
    assert after[0][1:] == [rows[0][1] + 3, rows[0][2], rows[0][3], rows[0][4] + 10] and after[1] == rows[1]
    # Typing exact pixels in the list works as well (and is what a screen-reader user would do).
    width = page.get_by_label("Box 2 width in pixels")
    width.fill("150")
    width.press("Tab")
    after[1][3] = 150
    assert table(page) == after

    # A third box on the first one's corner: every tag stays readable (none hides another), then it is deleted.
    page.locator("#bbox-stage").focus()
    page.keyboard.press("Escape")
    page.keyboard.press("3")
    page.keyboard.press("n")
    for field, value in (("left edge x", after[0][1]), ("top edge y", after[0][2])):
        box = page.get_by_label(f"Box 3 {field} in pixels")
        box.fill(str(value))
        box.press("Tab")
    assert table(page)[2][:3] == ["person", after[0][1], after[0][2]]
    tags = page.evaluate("""Array.from(document.querySelectorAll('.bbox-tag')).map(g => {
        const r = g.querySelector('rect').getBoundingClientRect();
        return [g.textContent, r.left, r.top, r.right, r.bottom]; })""")
    assert [t[0] for t in tags] == ["1 rocket", "2 tower", "3 person"]
    for i, a in enumerate(tags):
        for b in tags[i + 1:]:
            assert a[3] <= b[1] + 0.5 or b[3] <= a[1] + 0.5 or a[4] <= b[2] + 0.5 or b[4] <= a[2] + 0.5, (a, b)
    page.get_by_role("button", name="Delete box 3 (person)").click()
    assert table(page) == after

    reload_with_draft(page)  # the boxes come back from the draft, in the same pixels
    page.wait_for_function("window.FT && FT.bbox")
    assert table(page) == after
    shot(page, "work-kind-bounding-boxes")
    fitted = page.evaluate("FT.bbox.zoom()")
    readme_shot(page, "#bbox", "ui-bounding-boxes")
    assert page.evaluate("FT.bbox.zoom()") == fitted  # the screenshot's window resize left the zoom alone
    assert page.locator("#bbox-zoom-level").inner_text() == f"{round(fitted * 100)}%"

    page.get_by_role("button", name="Submit and stop").click()
    page.wait_for_url("**/work/")
    saved = stored(db, assignment)
    assert saved.answer == {"boxes": [{"label": label, "x": x, "y": y, "w": w, "h": h} for label, x, y, w, h in after]}
    assert all(isinstance(v, int) for box in saved.answer["boxes"] for k, v in box.items() if k != "label")


def test_zoomed_in_and_panned_a_box_is_still_stored_in_image_pixels(page, db):
    assignment = start_boxes(db, page, email="zoom@trainers.example.com")
    fitted = page.evaluate("FT.bbox.zoom()")
    for _ in range(3):
        page.keyboard.press("+")  # zoom in from the keyboard: the image is now larger than its stage
    zoom = page.evaluate("FT.bbox.zoom()")
    assert zoom > fitted * 1.9
    stage = page.locator("#bbox-stage")
    stage.scroll_into_view_if_needed()
    box = stage.bounding_box()
    start = page.evaluate("s => [s.scrollLeft, s.scrollTop]", stage.element_handle())
    page.keyboard.down(" ")  # Space + drag pans (and draws nothing)
    page.mouse.move(box["x"] + 300, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(box["x"] + 150, box["y"] + 120, steps=6)
    page.mouse.up()
    page.keyboard.up(" ")
    left, top = page.evaluate("s => [s.scrollLeft, s.scrollTop]", stage.element_handle())
    assert (left - start[0], top - start[1]) == (150, 80) and table(page) == []

    page.mouse.move(box["x"] + 100, box["y"] + 60)  # draw on the zoomed, scrolled image
    page.mouse.down()
    page.mouse.move(box["x"] + 200, box["y"] + 150, steps=4)
    page.mouse.move(box["x"] + 300, box["y"] + 240, steps=4)
    page.mouse.up()
    rows = wait_for_table_change(page, [])
    img = page.locator("#bbox-image").bounding_box()  # the image's corner, scrolled off to the top left
    x1, y1 = (box["x"] + 100 - img["x"]) / zoom, (box["y"] + 60 - img["y"]) / zoom
    expected = [x1, y1, 200 / zoom, 180 / zoom]
    assert len(rows) == 1 and all(abs(got - want) <= 1.01 for got, want in zip(rows[0][1:], expected)), (rows, expected)

    page.locator("#bbox-stage").hover()
    page.keyboard.down("Control")
    page.mouse.wheel(0, 200)  # Ctrl + wheel zooms out around the pointer
    page.keyboard.up("Control")
    page.wait_for_function("z => FT.bbox.zoom() < z", arg=zoom)
    page.keyboard.press("0")  # fit again
    assert page.evaluate("FT.bbox.zoom()") == fitted
    assert table(page) == rows  # zooming moves no box
    page.get_by_role("button", name="Submit and stop").click()
    page.wait_for_url("**/work/")
    label, x, y, w, h = rows[0]
    assert stored(db, assignment).answer == {"boxes": [{"label": label, "x": x, "y": y, "w": w, "h": h}]}


def test_writing_counts_typed_and_pasted_text_previews_markdown_and_restores_the_draft(page, db):
    assignment = start(db, page, "writing", {"prompt": "Why does salt melt ice on roads, even below 0 °C?",
                                             "context": "Explain for a 15-year-old."},
                       {"min_chars": 60, "max_chars": 400}, title="Write chemistry demonstrations")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    typed = "**Salt** lowers the freezing point of water, so "
    pasted = "the ice melts even below 0 °C."
    editor = page.locator("#text")
    editor.click()
    page.keyboard.type(typed)
    page.keyboard.press("Control+Enter")  # too short: the page says so and sends nothing
    expect(page.locator("#answer-errors")).to_contain_text("Your answer must be at least 60 characters")
    assert stored(db, assignment).status == "reserved"
    editor.click()
    page.keyboard.press("End")
    page.evaluate("text => navigator.clipboard.writeText(text)", pasted)
    page.keyboard.press("Control+V")
    expect(page.locator("#pasted-count")).to_have_text(str(len(pasted)))
    expect(page.locator("#typed-count")).to_have_text(str(len(typed)))
    expect(page.locator("#char-count")).to_have_text(str(len(typed + pasted)))
    expect(page.locator("#limit-status")).to_contain_text("within the limits")

    reload_with_draft(page)  # the draft comes back, figures included
    assert page.locator("#text").input_value() == typed + pasted
    assert page.locator("#pasted-count").inner_text() == str(len(pasted))
    page.get_by_role("tab", name="Preview").click()
    preview = page.locator("#preview")
    preview.locator("strong").wait_for()
    assert preview.locator("strong").inner_text() == "Salt"
    shot(page, "work-kind-writing-preview")
    page.get_by_role("tab", name="Write").click()
    shot(page, "work-kind-writing")
    readme_shot(page, "#main", "ui-writing", width=1000)
    page.locator("#text").press("Control+Enter")
    page.wait_for_url("**/work/")
    assert stored(db, assignment).answer == {"text": typed + pasted, "input_stats": {
        "typed_chars": len(typed), "pasted_chars": len(pasted), "pastes": 1}}


def test_pairwise_preference_with_the_keyboard_records_the_order_shown(page, db):
    payload = {"prompt": "How long does the Shinkansen take from Tokyo to Osaka?",
               "response_a": "About 2 hours 30 minutes on the Nozomi.", "response_b": "About 5 hours; fly instead."}
    assignment = start(db, page, "pairwise_preference", payload, {"allow_tie": True, "reason_min_chars": 20},
                       title="Compare chatbot answers")
    order = page.evaluate("FT.kindData().order")
    assert page.locator(".response header").all_inner_texts() == ["Response 1", "Response 2"]
    better = order.index("a") + 1  # the trainer sees positions, never the letters
    page.keyboard.press("3")  # a tie first: strength is not asked for
    expect(page.locator("input[name=strength]").first).to_be_disabled()
    page.keyboard.press(str(better))
    page.keyboard.press("6")  # much better
    page.locator("#reason").click()
    page.keyboard.type("The Nozomi takes about 2.5 hours; 5 hours is wrong.")
    reload_with_draft(page)  # the choice, its strength and the reason come back, in the same order
    assert page.evaluate("FT.kindData().order") == order
    expect(page.locator("input[name=preferred][value=a]")).to_be_checked()
    expect(page.locator("input[name=strength][value=much]")).to_be_checked()
    expect(page.locator("#reason")).to_have_value("The Nozomi takes about 2.5 hours; 5 hours is wrong.")
    shot(page, "work-kind-pairwise")
    readme_shot(page, "#main", "ui-pairwise", width=1000)
    page.locator("#reason").press("Control+Enter")
    page.wait_for_url("**/work/")
    assert stored(db, assignment).answer == {"preferred": "a", "strength": "much", "order": order,
                                             "reason": "The Nozomi takes about 2.5 hours; 5 hours is wrong."}


def test_ranking_more_responses_by_drag_and_by_keyboard(page, db):
    assignment = start(db, page, "pairwise_preference", RANKED, {"allow_tie": False, "reason_min_chars": 5},
                       title="Rank haiku")
    names = lambda: [item.get_attribute("data-letter") for item in page.locator(".ranking-item").all()]  # noqa: E731
    first = names()
    last = page.locator(".ranking-item").nth(3)
    target = page.locator(".ranking-item").nth(0).bounding_box()
    handle = last.locator(".drag-handle").bounding_box()
    page.mouse.move(handle["x"] + 4, handle["y"] + 4)
    page.mouse.down()
    page.mouse.move(target["x"] + 10, target["y"] + 10, steps=8)
    page.mouse.move(target["x"] + 10, target["y"] + 2, steps=2)
    page.mouse.up()
    dragged = [first[3], *first[:3]]
    page.wait_for_function("want => Array.from(document.querySelectorAll('.ranking-item'), i => i.dataset.letter)"
                           ".join() === want.join()", arg=dragged)
    page.locator(".ranking-item").nth(2).focus()
    page.keyboard.press("Shift+ArrowUp")  # third becomes second
    ranking = [dragged[0], dragged[2], dragged[1], dragged[3]]
    assert names() == ranking
    expect(page.locator("#ranking-status")).to_contain_text("ranked 2 of 4")
    page.keyboard.press("4")
    page.locator("#reason").fill("Vivid images.")
    reload_with_draft(page)
    assert names() == ranking
    shot(page, "work-kind-ranking")
    page.get_by_role("button", name="Submit and stop").click()
    page.wait_for_url("**/work/")
    answer = stored(db, assignment).answer
    assert answer["ranking"] == ranking and answer["strength"] == "slightly" and answer["reason"] == "Vivid images."
    assert answer["preferred"] == min("ab", key=ranking.index)


def test_rubric_rating_with_digits_and_a_required_scale_comment(page, db):
    config, payload = SETUPS["rating"]
    assignment = start(db, page, "rating", payload, config, title="Rate support answers")
    page.keyboard.press("1")  # Helpfulness, then focus moves on to Tone
    page.keyboard.press("3")
    expect(page.locator("input[name=score-0][value='1']")).to_be_checked()
    expect(page.locator("input[name=score-1][value='3']")).to_be_checked()
    page.get_by_role("button", name="Submit and next").click()  # the required comment is missing
    expect(page.locator("#answer-errors")).to_contain_text("Comment on helpfulness is required for this scale")
    page.get_by_label("Comment on helpfulness").fill("Asks for the customer's password: unsafe.")
    reload_with_draft(page)
    expect(page.locator("input[name=score-0][value='1']")).to_be_checked()
    expect(page.locator("input[name=score-1][value='3']")).to_be_checked()
    expect(page.get_by_label("Comment on helpfulness")).to_have_value("Asks for the customer's password: unsafe.")
    shot(page, "work-kind-rating")
    readme_shot(page, "#main", "ui-rating", width=1000)
    page.get_by_role("button", name="Submit and stop").click()
    page.wait_for_url("**/work/")
    assert stored(db, assignment).answer == {"scores": {"Helpfulness": 1, "Tone": 3},
                                             "scale_comments": {"Helpfulness": "Asks for the customer's password: unsafe."}}


def test_code_review_bug_from_a_line_click_run_tests_and_the_result_goes_with_the_answer(page, db):
    config, payload = SETUPS["code_review"]
    assignment = start(db, page, "code_review", payload, config, title="Review AI-written Python")
    assert page.locator("#code-lines .hljs-keyword").first.inner_text() == "def"  # highlighted
    page.get_by_role("button", name="Line 2: report a bug here").click()
    page.keyboard.type("Skips the first element of the list.")
    expect(page.locator("#line-2")).to_have_class(re.compile(r"\bhas-bug\b"))
    expect(page.locator("input[name=verdict][value=incorrect]")).to_be_checked()
    page.get_by_role("button", name="Run tests").click()
    result = page.locator("#test-result .test-run")
    result.wait_for(timeout=90_000)  # the sandbox on a loaded machine: its wall limit, and a slot to wait for
    assert "Some tests failed" in result.inner_text() and "1 passed, 1 failed" in result.inner_text()
    page.locator("#verdict legend").click()  # leave the text field, then the quality by digit
    page.keyboard.press("2")
    expect(page.locator("input[name=quality][value='2']")).to_be_checked()
    reload_with_draft(page)  # the bug, verdict, quality and the last test run come back
    expect(page.locator("input[name=bug_line]")).to_have_value("2")
    expect(page.locator("input[name=bug_description]")).to_have_value("Skips the first element of the list.")
    expect(page.locator("#line-2")).to_have_class(re.compile(r"\bhas-bug\b"))
    expect(page.locator("input[name=verdict][value=incorrect]")).to_be_checked()
    expect(page.locator("input[name=quality][value='2']")).to_be_checked()
    expect(page.locator("#test-result .test-run")).to_contain_text("1 passed, 1 failed")
    shot(page, "work-kind-code-review")
    readme_shot(page, "#main", "ui-code-review", width=1000)
    page.get_by_role("button", name="Submit and stop").click()
    page.wait_for_url("**/work/")
    answer = stored(db, assignment).answer
    run = db.session.scalar(sa.select(CodeRun).where(CodeRun.assignment_id == assignment.id))
    assert answer == {"verdict": "incorrect", "quality": 2, "test_run": run.result,
                                             "bugs": [{"line": 2, "description": "Skips the first element of the list."}]}


# --- accessibility -------------------------------------------------------------------------------------------

UNNAMED_JS = r"""() => {
  const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const text = el => (el.textContent || "").replace(/\s+/g, " ").trim();
  const name = el => {
    const by = el.getAttribute("aria-labelledby");
    if (by) return by.split(/\s+/).map(id => text(document.getElementById(id) || document.createElement("i"))).join(" ").trim();
    if ((el.getAttribute("aria-label") || "").trim()) return el.getAttribute("aria-label").trim();
    if (el.labels && el.labels.length) return Array.from(el.labels).map(text).join(" ").trim();
    if (/^(BUTTON|SUMMARY|A)$/.test(el.tagName) || el.getAttribute("role") || el.tagName === "LI") return text(el);
    return (el.getAttribute("title") || "").trim();
  };
  return Array.from(document.querySelectorAll(
      "main input:not([type=hidden]), main select, main textarea, main button, main summary, main a[href], " +
      "main [tabindex]:not([tabindex='-1'])"))
    .filter(shown).filter(el => !name(el)).map(el => el.outerHTML.slice(0, 160));
}"""

FOCUS_JS = r"""() => {
  const el = document.activeElement;
  if (!el || el === document.body || !document.querySelector("main").contains(el)) return null;
  const style = getComputedStyle(el);
  const ring = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2) || style.boxShadow !== "none";
  return [el.outerHTML.slice(0, 120), ring];
}"""


@pytest.mark.parametrize("kind", ["bounding_boxes", "writing", "pairwise_preference", "ranking", "rating", "code_review"])
def test_every_control_of_each_kind_has_a_name_and_keyboard_focus_is_visible(page, db, kind):
    if kind == "bounding_boxes":
        start_boxes(db, page)  # with its image, so the drawing surface is there too
        assert page.locator("#bbox-stage svg[aria-label]").count() == 1
    elif kind == "ranking":
        start(db, page, "pairwise_preference", RANKED, {"allow_tie": False, "reason_min_chars": 5}, title="Rank")
    else:
        config, payload = SETUPS[kind]
        start(db, page, kind, payload, config, title=f"Accessible {kind}")
    assert page.evaluate(UNNAMED_JS) == []  # every control says what it is to a screen reader
    seen, unringed = 0, []
    for _ in range(80):  # walk the page with Tab: wherever focus lands in the work area, it shows
        page.keyboard.press("Tab")
        found = page.evaluate(FOCUS_JS)
        if found is None:
            continue
        seen += 1
        if not found[1]:
            unringed.append(found[0])
    assert seen >= 3 and unringed == []


# --- the page's checks agree with the server's -------------------------------------------------------------------

def server_errors(kind, config, payload, answer):
    try:
        validate_answer(kind, config, payload, answer)
    except ValidationFailed as exc:
        return exc.errors
    return {}


def test_the_pages_answer_checks_agree_with_the_server_on_every_case(page, live_server):
    page.goto("/login")
    page.add_script_tag(url="/static/js/answer-check.js")
    for kind in [*SETUPS, "classification"]:
        page.add_script_tag(url=f"/static/js/kinds/{kind}.js")
    cases = [(kind, SETUPS[kind][1], answer) for kind, _case, answer, _field in CASES]
    cases += [("pairwise_preference", RANKED, answer) for _case, answer, _field in RANKED_CASES]
    cases += [("classification", {"text": "A post."}, answer) for answer in (
        {"labels": ["Neither"], "justification": "Nothing abusive here at all."}, {"labels": []},
        {"labels": ["Neither"], "justification": "short"}, {"labels": ["Neither", "Hate speech"]})]
    checked = 0
    for kind, payload, answer in cases:
        raw = SETUPS[kind][0] if kind in SETUPS else {"labels": ["Hate speech", "Neither"],
                                                      "justification_required": True}
        config = validate_config(kind, raw)
        expected = server_errors(kind, config, payload, answer)
        got = page.evaluate("([k, s, c, p, a]) => FT.check(k, s, c, p, a)",
                            [kind, answer_schema(kind, config), config, payload, answer])
        assert got == expected, (kind, answer)
        checked += 1
    assert checked == len(CASES) + len(RANKED_CASES) + 4
