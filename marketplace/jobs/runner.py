"""Where task imports run: a thread beside the web process (make run), the scheduler, or inline (tests, CLI).

Whichever runs it, the work is importing.run_import(run_id); a run is claimed by compare-and-set, so a
thread and the scheduler never run one import twice.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from ..core.time import utcnow
from ..extensions import db
from .importing import progress_key, run_import
from .models import ImportRun
from .storage import get_storage

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 3


def start_import(run_id: int) -> None:
    """Start a queued (and committed) import as configured by JOBS_IMPORT_RUNNER."""
    how = current_app.config["JOBS_IMPORT_RUNNER"]
    if how == "inline":
        run_import(run_id)
    elif how == "thread":
        app = current_app._get_current_object()
        threading.Thread(target=_in_thread, args=(app, run_id), name=f"import-{run_id}", daemon=True).start()
    # "scheduler": run_queued_imports picks it up within a minute.


def _in_thread(app, run_id: int) -> None:
    with app.app_context():
        try:
            run_import(run_id)
        except Exception:  # the run records its own failure; this only keeps the thread from dying noisily
            log.exception("import %s thread failed", run_id)
        finally:
            db.session.remove()


def run_queued_imports(now, limit: int = 5) -> int:
    """Scheduled body: requeue imports whose runner died, then run queued ones, oldest first."""
    recovered = recover_stale_imports(now)
    ids = list(db.session.scalars(sa.select(ImportRun.id).where(ImportRun.status == "queued")
                                  .order_by(ImportRun.id).limit(limit)))
    db.session.commit()
    for run_id in ids:
        run_import(run_id)
    return len(ids) + recovered


def _last_progress(run: ImportRun) -> float | None:
    try:
        with get_storage().open(progress_key(run.id)) as handle:
            return float(json.load(handle)["updated"])
    except (OSError, ValueError, KeyError):
        return None


def recover_stale_imports(now) -> int:
    """A run still 'running' with no progress for STALE_AFTER lost its process; its transaction was rolled
    back with it, so it is safe to queue again (up to MAX_ATTEMPTS, then it fails with a message)."""
    count = 0
    for run in db.session.scalars(sa.select(ImportRun).where(ImportRun.status == "running",
                                                             ImportRun.started_at < now - STALE_AFTER)):
        last = _last_progress(run)
        if last is not None and time.time() - last < STALE_AFTER.total_seconds():
            continue
        again = run.attempts < MAX_ATTEMPTS
        changed = db.session.execute(
            sa.update(ImportRun).where(ImportRun.id == run.id, ImportRun.status == "running").values(
                status="queued" if again else "failed",
                message="" if again else "The import was interrupted three times; nothing was imported. "
                                          "Upload the file again.",
                finished_at=None if again else utcnow())).rowcount
        count += changed
    db.session.commit()
    return count
