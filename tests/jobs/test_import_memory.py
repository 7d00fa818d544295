"""A large task file streams through the import in bounded memory: peak memory does not grow with the file."""
import json
import tracemalloc

import pytest

from marketplace.jobs import services
from marketplace.jobs.importing import run_import
from marketplace.jobs.models import Job
from tests.factories import make_job


def write_file(path, rows):
    with open(path, "w") as out:
        for i in range(rows):
            out.write(json.dumps({"text": f"Post number {i}: " + "lorem ipsum dolor sit amet " * 4,
                                  "external_id": f"post-{i:07d}", "metadata": {"batch": i // 1000}}) + "\n")
    return path


def peak_import_bytes(db, tmp_path, rows):
    job = make_job()
    path = write_file(tmp_path / f"tasks-{rows}.jsonl", rows)
    with open(path, "rb") as stream:
        run = services.queue_import(job, job.requester, stream=stream, filename=path.name, mode="all_or_nothing")
    db.session.commit()
    tracemalloc.start()
    try:
        result = run_import(run.id)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.status == "succeeded" and result.rows_imported == rows
    assert db.session.get(Job, job.id).task_count == rows
    return peak, path.stat().st_size


def check_bounded(db, tmp_path, rows):
    small_peak, _ = peak_import_bytes(db, tmp_path, 5_000)
    big_peak, size = peak_import_bytes(db, tmp_path, rows)
    # Ten times (or more) the rows may not cost ten times the memory: the file is never held whole.
    assert big_peak < size / 2, (big_peak, size)
    assert big_peak < small_peak * 1.5 + 2_000_000, (small_peak, big_peak)


def test_fifty_thousand_rows_import_in_bounded_memory(db, tmp_path):
    check_bounded(db, tmp_path, 50_000)


@pytest.mark.slow
def test_half_a_million_rows_import_in_bounded_memory(db, tmp_path):
    check_bounded(db, tmp_path, 500_000)
