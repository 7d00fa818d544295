"""Task import: row-by-row validation with line numbers, all-or-nothing or skip-invalid, images checked by
content, and files streamed in bounded memory."""
import io
import json
import zipfile

import pytest
import sqlalchemy as sa
from PIL import Image

from marketplace.core.errors import ValidationFailed
from marketplace.jobs import services
from marketplace.jobs.importing import run_import
from marketplace.jobs.models import Job, Task
from marketplace.jobs.storage import get_storage
from tests.factories import make_job


def run(job, content, filename="tasks.jsonl", mode="all_or_nothing", images=None):
    data = content.encode() if isinstance(content, str) else content
    queued = services.queue_import(job, job.requester, stream=io.BytesIO(data), filename=filename, mode=mode,
                                   images=io.BytesIO(images) if images is not None else None)
    services.db.session.commit()
    return run_import(queued.id)


def jsonl(*rows):
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n"


def tasks_of(job):
    return list(services.db.session.scalars(sa.select(Task).where(Task.job_id == job.id).order_by(Task.seq)))


def report_lines(result):
    with get_storage().open(result.error_report_key) as handle:
        return handle.read().decode().splitlines()


def test_valid_jsonl_imports_every_row_with_gold_metadata_and_ids(db):
    job = make_job()
    result = run(job, jsonl({"text": "first post", "external_id": "p1", "metadata": {"source": "forum", "n": 3}},
                            {"text": "second", "gold": {"labels": ["Neither"]}}, "", {"text": "third"}))
    assert result.status == "succeeded" and result.rows_imported == 3 and result.message == "Imported 3 tasks."
    rows = tasks_of(job)
    assert [t.seq for t in rows] == [1, 2, 3]
    assert rows[0].payload == {"text": "first post"} and rows[0].external_id == "p1"
    assert rows[0].meta == {"source": "forum", "n": 3}
    assert rows[1].gold == {"labels": ["Neither"]}
    assert db.session.get(Job, job.id).task_count == 3


def test_csv_import_maps_columns_gold_labels_and_meta_columns(db):
    job = make_job()
    content = ('text,context,gold,external_id,meta.source\n'
               '"Hello, world",,Neither,a1,forum\n'
               '"A post\nover two lines",thread title,Hate speech,a2,\n')
    result = run(job, content, filename="posts.csv")
    assert result.status == "succeeded", result.errors_preview
    first, second = tasks_of(job)
    assert first.payload == {"text": "Hello, world"} and first.gold == {"labels": ["Neither"]}
    assert first.meta == {"source": "forum"}
    assert second.payload == {"text": "A post\nover two lines", "context": "thread title"}


def test_all_or_nothing_keeps_nothing_and_reports_every_bad_line(db):
    job = make_job()
    result = run(job, jsonl({"text": "fine"}, "{not json", {"txt": "typo"}, {"text": "ok",
                                                                              "gold": {"labels": ["Spam"]}},
                            "[1, 2]", {"text": "fine too"}))
    assert result.status == "failed" and result.rows_imported == 0 and result.rows_invalid == 4
    assert "4 of 6 rows are invalid, so nothing was imported" in result.message
    assert [(e["line"], e["field"]) for e in result.errors_preview] == [
        (2, "line"), (3, "text"), (4, "gold.labels[0]"), (5, "line")]
    assert "not valid JSON" in result.errors_preview[0]["message"]
    assert "must be one of: Hate speech" in result.errors_preview[2]["message"]
    assert tasks_of(job) == [] and db.session.get(Job, job.id).task_count == 0
    assert report_lines(result)[0] == "line,field,message" and len(report_lines(result)) == 5


def test_skip_invalid_keeps_valid_rows_and_offers_a_report(db, client, login):
    job = make_job()
    result = run(job, jsonl({"text": "one"}, {"text": 5}, {"text": "three"}), mode="skip_invalid")
    assert result.status == "succeeded" and result.rows_imported == 2 and result.rows_invalid == 1
    assert "1 invalid row skipped" in result.message
    assert [t.payload["text"] for t in tasks_of(job)] == ["one", "three"]
    login(job.requester)
    report = client.get(f"/jobs/{job.id}/imports/{result.id}/errors.csv")
    assert report.status_code == 200 and report.mimetype == "text/csv"
    assert report.get_data(as_text=True).splitlines()[1] == "2,text,must be text"


def test_second_import_continues_numbering_and_counts(db):
    job = make_job()
    run(job, jsonl({"text": "a"}, {"text": "b"}))
    run(job, jsonl({"text": "c"}))
    assert [t.seq for t in tasks_of(job)] == [1, 2, 3] and db.session.get(Job, job.id).task_count == 3


def test_csv_with_unknown_or_missing_columns_fails_as_a_whole(db):
    job = make_job()
    result = run(job, "txt,colour\nhello,red\n", filename="bad.csv")
    assert result.status == "failed"
    assert "missing column text; unknown columns txt, colour" in result.message
    assert "Expected columns: text, context, gold, external_id, meta.<name>" in result.message


def test_file_that_is_not_utf8_is_refused_clearly(db):
    job = make_job()
    result = run(job, "text\n".encode() + "café".encode("latin-1") + b"\n", filename="latin.csv")
    assert result.status == "failed" and "not UTF-8" in result.message
    result = run(job, b'{"text": "caf\xe9"}\n')
    assert result.errors_preview[0]["message"] == "is not UTF-8 text"


def test_wrong_cell_count_and_overlong_line_are_row_errors(db, app):
    job = make_job()
    result = run(job, 'text,gold\n"a",Neither,extra\n', filename="t.csv", mode="skip_invalid")
    assert result.errors_preview[0] == {"line": 2, "field": "line", "message": "has 3 cells; the header has 2"}
    app.config["JOBS_IMPORT_MAX_ROW_BYTES"] = 1024
    try:
        result = run(job, jsonl({"text": "x" * 5000}, {"text": "short"}), mode="skip_invalid")
    finally:
        app.config["JOBS_IMPORT_MAX_ROW_BYTES"] = 256 * 1024
    assert result.rows_imported == 1 and result.errors_preview[0]["message"] == "is longer than 1 KB"


def test_a_job_never_holds_more_than_the_task_limit(db, app):
    app.config["JOBS_MAX_TASKS_PER_JOB"] = 3
    try:
        job = make_job(tasks=2)
        result = run(job, jsonl({"text": "a"}, {"text": "b"}))
    finally:
        app.config["JOBS_MAX_TASKS_PER_JOB"] = 1_000_000
    assert result.status == "failed" and "at most 3 tasks" in result.message and "line 2" in result.message
    assert db.session.get(Job, job.id).task_count == 2


def test_empty_file_wrong_extension_and_closed_job_are_refused_before_queueing(db):
    job = make_job()
    with pytest.raises(ValidationFailed, match="empty"):
        run(job, "")
    with pytest.raises(ValidationFailed, match=".jsonl or .csv"):
        run(job, "x", filename="tasks.xlsx")
    closed = make_job(status="closed")
    with pytest.raises(services.Conflict, match="closed"):
        run(closed, jsonl({"text": "a"}))


def png(width=64, height=48, fmt="PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_bounding_box_images_are_checked_by_content_and_stored_under_generated_names(db):
    job = make_job(kind="bounding_boxes")
    images = zip_of({"photos/street.png": png(), "fake.jpg": b"GIF89a but not really an image",
                     "notes.txt": b"hello"})
    result = run(job, jsonl({"image": "street.png", "gold": {"boxes": [{"label": "car", "x": 1, "y": 1, "w": 10,
                                                                          "h": 10}]}},
                            {"image": "photos/street.png"}, {"image": "fake.jpg"}, {"image": "missing.png"},
                            {"image": "street.png", "gold": {"boxes": [{"label": "car", "x": 60, "y": 1, "w": 10,
                                                                          "h": 10}]}}),
                 mode="skip_invalid", images=images)
    assert result.rows_imported == 2, result.errors_preview
    messages = {e["line"]: e["message"] for e in result.errors_preview}
    assert "fake.jpg is not an image" in messages[3]
    assert "missing.png is not in the ZIP of images" in messages[4]
    assert "outside the 64x48 image" in messages[5]
    first, second = tasks_of(job)
    assert first.payload["image"] == second.payload["image"]  # one stored copy per image
    assert first.payload["image"].startswith(f"images/job-{job.id}/") and first.payload["image"].endswith(".png")
    assert (first.payload["width"], first.payload["height"], first.payload["original_name"]) == (64, 48, "street.png")
    with get_storage().open(first.payload["image"]) as handle:
        assert handle.read() == png()


def test_failed_bounding_box_import_leaves_no_stored_images(db, app):
    job = make_job(kind="bounding_boxes")
    result = run(job, jsonl({"image": "a.png"}, {"image": "nope.png"}), images=zip_of({"a.png": png()}))
    assert result.status == "failed"
    from pathlib import Path
    assert not list((Path(app.config["UPLOAD_DIR"]) / "images" / f"job-{job.id}").glob("*"))


def test_oversize_image_and_not_a_zip_are_refused(db, app):
    job = make_job(kind="bounding_boxes")
    app.config["JOBS_IMAGE_MAX_BYTES"] = 500
    try:
        result = run(job, jsonl({"image": "big.png"}), images=zip_of({"big.png": png(300, 300)}))
    finally:
        app.config["JOBS_IMAGE_MAX_BYTES"] = 10 * 1024 * 1024
    assert "images may be at most 0 KB" in result.errors_preview[0]["message"]
    result = run(job, jsonl({"image": "a.png"}), images=b"this is not a zip")
    assert result.status == "failed" and result.message == "The images file is not a ZIP archive."
    with pytest.raises(ValidationFailed, match="ZIP of images"):
        run(job, jsonl({"image": "a.png"}))


def test_running_an_import_twice_does_nothing_the_second_time(db):
    job = make_job()
    result = run(job, jsonl({"text": "a"}))
    again = run_import(result.id)
    assert again.status == "succeeded" and len(tasks_of(job)) == 1


def test_task_images_reach_the_requester_and_eligible_trainers_only(db, client, login):
    from tests.factories import make_requester, make_trainer
    job = make_job(kind="bounding_boxes", allowed_countries=["JP"], country_reason="the photos may not leave Japan")
    result = run(job, jsonl({"image": "a.png"}), images=zip_of({"a.png": png()}))
    url = f"/jobs/{job.id}/images/{tasks_of(job)[0].payload['image']}"
    login(job.requester)
    assert client.get(url).data == png()
    job.status = "published"
    db.session.commit()
    login(make_trainer(country="JP"))
    assert client.get(url).status_code == 200
    login(make_trainer(country="GB"))
    assert client.get(url).status_code == 404
    login(make_requester())
    assert client.get(url).status_code == 404
    assert result.status == "succeeded"
