"""Task import: validate a streamed file row by row and insert valid rows in batches, in ONE transaction.

`run_import(run_id)` is the single entry point for the web thread, the scheduler and `flask jobs import`.
All-or-nothing mode keeps nothing when any row is invalid; skip-invalid mode keeps the valid rows and
writes every refused row (line, field, message) to a downloadable CSV error report.
"""
from __future__ import annotations

import csv
import json
import logging
import tempfile
import time
import zipfile
from dataclasses import dataclass, field

import orjson
import sqlalchemy as sa

from ..core import audit, notices
from ..core.time import utcnow
from ..extensions import db
from . import kinds
from .images import BadImage, check_image
from .import_readers import FileProblem, RowError, read_csv, read_jsonl
from .models import ImportRun, Job, Task
from .storage import get_storage, new_key

log = logging.getLogger(__name__)
PREVIEW_ERRORS = 20
ALL_OR_NOTHING_ERROR_CAP = 1000  # an all-or-nothing import stops reading after this many: nothing is kept anyway
PROGRESS_EVERY_SECONDS = 0.5


@dataclass
class Settings:
    max_tasks: int
    max_row_bytes: int
    batch_rows: int
    image_max_bytes: int
    image_max_pixels: int

    @classmethod
    def from_config(cls, config) -> "Settings":
        return cls(config["JOBS_MAX_TASKS_PER_JOB"], config["JOBS_IMPORT_MAX_ROW_BYTES"],
                   config["JOBS_IMPORT_BATCH_ROWS"], config["JOBS_IMAGE_MAX_BYTES"], config["JOBS_IMAGE_MAX_PIXELS"])


@dataclass
class Outcome:
    rows_seen: int = 0
    imported: int = 0
    invalid: int = 0
    bytes_read: int = 0
    preview: list = field(default_factory=list)
    stored_images: list = field(default_factory=list)
    problem: str | None = None  # a file-level problem: nothing is kept
    report_key: str | None = None


def progress_key(run_id: int) -> str:
    return f"imports/run-{run_id}/progress.json"


def read_progress(run: ImportRun) -> dict:
    """Live counters of a running import (written by the runner outside its transaction), or the final ones."""
    final = {"bytes_read": run.bytes_read, "rows_seen": run.rows_seen, "rows_imported": run.rows_imported,
             "rows_invalid": run.rows_invalid}
    if run.status != "running":
        return final
    try:
        with get_storage().open(progress_key(run.id)) as handle:
            return {**final, **json.load(handle)}
    except (OSError, ValueError):
        return final


class _Images:
    """Images of a bounding-box import: read from the ZIP by name, checked by content, stored once each."""

    def __init__(self, zip_file: zipfile.ZipFile, job_id: int, settings: Settings, outcome: Outcome):
        self.zip, self.job_id, self.settings, self.outcome = zip_file, job_id, settings, outcome
        self.by_name: dict[str, zipfile.ZipInfo] = {}
        basenames: dict[str, list[zipfile.ZipInfo]] = {}
        for info in zip_file.infolist():
            if info.is_dir() or info.filename.startswith("__MACOSX/"):
                continue
            self.by_name[info.filename] = info
            basenames.setdefault(info.filename.rsplit("/", 1)[-1], []).append(info)
        for name, infos in basenames.items():  # "cat.png" finds "photos/cat.png" when the name is unique
            if len(infos) == 1:
                self.by_name.setdefault(name, infos[0])
        self.stored: dict[str, tuple[str, int, int] | str] = {}

    def resolve(self, name: str) -> tuple[str, int, int]:
        """(storage key, width, height) for an image named in a row; raises BadImage with the reason."""
        info = self.by_name.get(name)
        if info is None:
            raise BadImage("is not in the ZIP of images")
        found = self.stored.get(info.filename)  # "cat.png" and "photos/cat.png" are one stored copy
        if isinstance(found, str):
            raise BadImage(found)
        if found:
            return found
        try:
            if info.file_size > self.settings.image_max_bytes:
                raise BadImage(f"is {info.file_size // 1024} KB; images may be at most "
                               f"{self.settings.image_max_bytes // 1024} KB")
            with self.zip.open(info) as handle:
                data = handle.read(self.settings.image_max_bytes + 1)
            checked = check_image(data, max_bytes=self.settings.image_max_bytes,
                                  max_pixels=self.settings.image_max_pixels)
        except BadImage as exc:
            self.stored[info.filename] = str(exc)
            raise
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:  # damaged or encrypted entry
            self.stored[info.filename] = f"cannot be read from the ZIP ({exc})"
            raise BadImage(self.stored[info.filename]) from None
        key = new_key(f"images/job-{self.job_id}", checked.suffix)
        get_storage().save_bytes(key, data)
        self.outcome.stored_images.append(key)
        self.stored[info.filename] = (key, checked.width, checked.height)
        return self.stored[info.filename]


class _Reporter:
    """Writes refused rows to a CSV error report (streamed to a temporary file) and keeps a short preview."""

    def __init__(self, outcome: Outcome):
        self.outcome = outcome
        self.file = tempfile.TemporaryFile("w+", newline="", encoding="utf-8")
        self.writer = csv.writer(self.file)
        self.writer.writerow(["line", "field", "message"])

    def add(self, error: RowError) -> None:
        self.outcome.invalid += 1
        self.writer.writerow([error.line, error.field, error.message])
        if len(self.outcome.preview) < PREVIEW_ERRORS:
            self.outcome.preview.append({"line": error.line, "field": error.field, "message": error.message})

    def save(self, run_id: int) -> str | None:
        if not self.outcome.invalid:
            self.file.close()
            return None
        key = f"imports/run-{run_id}/errors.csv"
        self.file.seek(0)
        get_storage().save_stream(key, _EncodedReader(self.file))
        self.file.close()
        return key


class _EncodedReader:
    def __init__(self, text_file):
        self.text_file = text_file

    def read(self, size: int = -1) -> bytes:
        return self.text_file.read(size if size > 0 else -1).encode("utf-8")


def prepare_row(kind: str, config: dict, row: dict, line: int, validate_row, images: _Images | None,
                check_gold=None):
    """A valid row as (payload, gold, metadata, external_id), or a RowError saying what is wrong."""
    problem = validate_row(row)
    if problem:
        name, _, message = problem.partition(": ")
        return RowError(line, name, message)
    gold = row.pop("gold", None)
    meta = row.pop("metadata", None)
    external_id = row.pop("external_id", None)
    if meta is not None:
        for name, value in meta.items():
            if value is not None and not isinstance(value, (str, int, float, bool)):
                return RowError(line, f"metadata.{name}", "must be text, a number or true/false")
    payload = row
    if kind == "bounding_boxes":
        if images is None:
            return RowError(line, "image", "needs the ZIP of images uploaded with this file")
        try:
            key, width, height = images.resolve(row["image"])
        except BadImage as exc:
            return RowError(line, "image", f"{row['image']} {exc}")
        payload = {"image": key, "width": width, "height": height, "original_name": row["image"],
                   **({"note": row["note"]} if "note" in row else {})}
    if gold is not None:
        problems = (check_gold or kinds.answer_checker(kind, config))(payload, gold, True)
        if problems:
            name, sentence = next(iter(problems.items()))
            return RowError(line, "gold" if name == "answer" else f"gold.{name}", sentence)
    return payload, gold, meta, external_id


def execute(run: ImportRun, job: Job, settings: Settings, outcome: Outcome) -> Outcome:
    """Read, validate and insert the run's rows on the session's connection (the caller commits or rolls back)."""
    storage = get_storage()
    connection = db.session.connection()
    first_seq = (connection.scalar(sa.select(sa.func.max(Task.seq)).where(Task.job_id == job.id)) or 0) + 1
    # Plain locals in the loop below: it runs once per row, up to a million times.
    kind, config, job_id, run_id = job.kind, job.config, job.id, run.id
    room, batch_rows = settings.max_tasks - job.task_count, settings.batch_rows
    all_or_nothing = run.mode == "all_or_nothing"
    validate_row = kinds.task_validator(kind)
    check_gold = kinds.answer_checker(kind, config)
    insert, encode, is_open, created = _bulk_insert(connection, utcnow())
    reporter = _Reporter(outcome)
    keep_rows = True
    batch: list[tuple] = []
    zip_file = None
    last_progress = time.monotonic()
    imported = 0
    try:
        if kind == "bounding_boxes" and run.images_key:
            try:
                zip_file = zipfile.ZipFile(storage.open(run.images_key))
            except zipfile.BadZipFile:
                outcome.problem = "The images file is not a ZIP archive."
                return outcome
        images = _Images(zip_file, job_id, settings, outcome) if zip_file else None
        with storage.open(run.file_key) as stream:
            rows = (read_jsonl(stream, settings.max_row_bytes) if run.file_format == "jsonl"
                    else read_csv(stream, kind, settings.max_row_bytes))
            for line, row in rows:
                outcome.rows_seen += 1
                prepared = row if isinstance(row, RowError) else prepare_row(
                    kind, config, row, line, validate_row, images, check_gold)
                if isinstance(prepared, RowError):
                    reporter.add(prepared)
                    if all_or_nothing:
                        keep_rows = False
                        if outcome.invalid >= ALL_OR_NOTHING_ERROR_CAP:
                            outcome.problem = (f"Stopped reading after {ALL_OR_NOTHING_ERROR_CAP:,} invalid rows; "
                                               "nothing was imported. Fix them and upload again.")
                            break
                    continue
                if imported >= room:
                    outcome.problem = (f"A job holds at most {settings.max_tasks:,} tasks; this file would go past "
                                       f"that at line {line}. Nothing was imported.")
                    break
                if keep_rows:
                    payload, gold, meta, external_id = prepared
                    batch.append((job_id, first_seq + imported, encode(payload),
                                  None if gold is None else encode(gold), None if meta is None else encode(meta),
                                  external_id, run_id, is_open, 0, created))
                    if len(batch) >= batch_rows:
                        connection.exec_driver_sql(insert, batch)
                        batch = []
                imported += 1
                if not imported % batch_rows and time.monotonic() - last_progress > PROGRESS_EVERY_SECONDS:
                    outcome.imported, outcome.bytes_read = imported, stream.tell()
                    _write_progress(run_id, outcome)
                    last_progress = time.monotonic()
            outcome.bytes_read = run.total_bytes
        if batch and keep_rows and not outcome.problem:
            connection.exec_driver_sql(insert, batch)
    except FileProblem as exc:
        outcome.problem = str(exc)
    finally:
        outcome.imported = imported
        if zip_file is not None:
            zip_file.close()
        outcome.report_key = reporter.save(run_id)
    if not keep_rows:
        outcome.problem = outcome.problem or (
            f"{outcome.invalid:,} of {outcome.rows_seen:,} rows are invalid, so nothing was imported "
            "(all-or-nothing). Download the error report, fix those lines and upload again.")
    return outcome


COLUMNS = ("job_id", "seq", "payload", "gold", "meta", "external_id", "import_run_id", "is_open", "answers_done",
           "created_at")


def _bulk_insert(connection, now):
    """The INSERT for task rows as driver-level SQL, with JSON encoded by the engine's own serializer and the
    constant columns converted once by their column types: rows then go to the driver's executemany without
    SQLAlchemy's per-row parameter processing (which cost more than the insert itself)."""
    dialect = connection.dialect
    columns = Task.__table__.c

    def convert(column, value):
        processor = column.type.bind_processor(dialect)
        return processor(value) if processor else value

    marks = ", ".join(["?" if dialect.paramstyle == "qmark" else "%s"] * len(COLUMNS))
    sql = f"INSERT INTO tasks ({', '.join(COLUMNS)}) VALUES ({marks})"
    # orjson writes the same JSON (UTF-8 text as is) several times faster than json.dumps; a million rows notice.
    def encode(value) -> str:
        return orjson.dumps(value).decode("utf-8")
    return sql, encode, convert(columns.is_open, True), convert(columns.created_at, now)


def _write_progress(run_id: int, outcome: Outcome) -> None:
    data = {"bytes_read": outcome.bytes_read, "rows_seen": outcome.rows_seen,
            "rows_imported": outcome.imported, "rows_invalid": outcome.invalid, "updated": time.time()}
    try:
        get_storage().save_bytes(progress_key(run_id), json.dumps(data).encode())
    except OSError:  # progress is a nicety; the import itself must not fail for it
        log.warning("import %s: could not write progress", run_id)


def run_import(run_id: int, settings: Settings | None = None) -> ImportRun:
    """Claim a queued import and run it to the end. Safe to call twice: only one caller claims the run."""
    from flask import current_app

    settings = settings or Settings.from_config(current_app.config)
    claimed = db.session.execute(
        sa.update(ImportRun).where(ImportRun.id == run_id, ImportRun.status == "queued")
        .values(status="running", started_at=utcnow(), attempts=ImportRun.attempts + 1)
    ).rowcount
    db.session.commit()
    run = db.session.get(ImportRun, run_id)
    if not claimed:
        return run
    job = db.session.get(Job, run.job_id)
    outcome = Outcome()
    try:
        execute(run, job, settings, outcome)
    except Exception:
        log.exception("import %s failed unexpectedly", run_id)
        db.session.rollback()
        outcome.problem = ("The import stopped because of an error on our side; nothing was imported. "
                           "It has been logged. Please try again.")
    if outcome.problem:
        db.session.rollback()
        for key in outcome.stored_images:
            get_storage().delete(key)
        _finish(run, outcome, "failed", outcome.problem)
    else:
        db.session.execute(sa.update(Job).where(Job.id == job.id)
                           .values(task_count=Job.task_count + outcome.imported, updated_at=utcnow()))
        skipped = (f"; {_count(outcome.invalid, 'invalid row')} skipped (see the error report)"
                   if outcome.invalid else "")
        _finish(run, outcome, "succeeded", f"Imported {_count(outcome.imported, 'task')}{skipped}.")
    audit.record(f"jobs.import_{run.status}", actor=run.requester_id, subject=run, reason=run.message,
                 data={"job_id": run.job_id, "imported": run.rows_imported, "invalid": run.rows_invalid})
    requester = job.requester
    notices.notify(requester, f"Task import {run.status}: {job.title}"[:200], run.message,
                   link=f"/jobs/{job.id}/imports/{run.id}", category="jobs", email=False)
    db.session.commit()
    get_storage().delete(progress_key(run_id))
    return run


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _finish(run: ImportRun, outcome: Outcome, status: str, message: str) -> None:
    run.status = status
    run.message = message
    run.rows_seen = outcome.rows_seen
    run.rows_imported = outcome.imported if status == "succeeded" else 0
    run.rows_invalid = outcome.invalid
    run.bytes_read = run.total_bytes
    run.errors_preview = outcome.preview
    run.error_report_key = outcome.report_key
    run.finished_at = utcnow()
