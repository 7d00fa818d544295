"""Where imports run: a thread beside the web process with a live progress endpoint, the scheduler's body
(which also re-queues a run whose process died), and `flask jobs import`."""
import io
import json
import time
from datetime import timedelta

import sqlalchemy as sa
import time_machine

from marketplace.core.time import utcnow
from marketplace.jobs import services
from marketplace.jobs.models import ImportRun, Job
from marketplace.jobs.runner import recover_stale_imports, run_queued_imports
from tests.factories import make_job

ROWS = "".join(json.dumps({"text": f"post {i}"}) + "\n" for i in range(3000))


def test_upload_runs_in_a_thread_and_the_progress_endpoint_reports_the_end(app, client, login, db):
    job = make_job()
    login(job.requester)
    app.config["JOBS_IMPORT_RUNNER"] = "thread"
    try:
        response = client.post(f"/jobs/{job.id}/tasks/upload", content_type="multipart/form-data",
                               data={"file": (io.BytesIO(ROWS.encode()), "t.jsonl"), "mode": "all_or_nothing"})
        run_url = response.headers["Location"]
        deadline = time.monotonic() + 30
        while True:
            progress = client.get(run_url + "/progress").json
            if progress["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    finally:
        app.config["JOBS_IMPORT_RUNNER"] = "inline"
    assert progress["status"] == "succeeded" and progress["percent"] == 100 and progress["rows_imported"] == 3000
    assert "Imported 3,000 tasks." in client.get(run_url).get_data(as_text=True)


def queue(job, text=ROWS):
    run = services.queue_import(job, job.requester, stream=io.BytesIO(text.encode()), filename="t.jsonl",
                                mode="all_or_nothing")
    services.db.session.commit()
    return run


def test_scheduler_body_runs_queued_imports_once(app, db):
    job = make_job()
    run = queue(job)
    assert run_queued_imports(utcnow()) == 1
    assert run_queued_imports(utcnow()) == 0
    db.session.expire_all()
    assert db.session.get(ImportRun, run.id).status == "succeeded" and db.session.get(Job, job.id).task_count == 3000


def test_a_run_whose_process_died_is_queued_again_then_failed_after_three_tries(app, db):
    job = make_job()
    run = queue(job)
    db.session.execute(sa.update(ImportRun).where(ImportRun.id == run.id)
                       .values(status="running", started_at=utcnow(), attempts=1))
    db.session.commit()
    assert recover_stale_imports(utcnow()) == 0  # still fresh: its process may be working
    later = utcnow() + timedelta(minutes=11)
    with time_machine.travel(later):
        assert recover_stale_imports(later) == 1
    db.session.expire_all()
    assert db.session.get(ImportRun, run.id).status == "queued"
    db.session.execute(sa.update(ImportRun).where(ImportRun.id == run.id).values(status="running", attempts=3))
    db.session.commit()
    with time_machine.travel(later):
        recover_stale_imports(later)
    db.session.expire_all()
    stuck = db.session.get(ImportRun, run.id)
    assert stuck.status == "failed" and "interrupted three times" in stuck.message


def test_cli_imports_a_file_through_the_same_path(app, db, tmp_path):
    job = make_job()
    path = tmp_path / "tasks.csv"
    path.write_text("text,gold\nhello,Neither\n\"bad\",Spam\n")
    result = app.test_cli_runner().invoke(args=["jobs", "import", str(job.id), str(path), "--skip-invalid"])
    assert result.exit_code == 0, result.output
    assert "succeeded: Imported 1 task; 1 invalid row skipped" in result.output
    assert "line 3: gold.labels[0] must be one of" in result.output
    result = app.test_cli_runner().invoke(args=["jobs", "import", str(job.id), str(path)])
    assert result.exit_code == 1 and "failed" in result.output
