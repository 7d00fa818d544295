"""`flask demo seed` posts realistic jobs of every kind with their tasks, funds and publishes them, idempotently."""
import json

import sqlalchemy as sa

from marketplace.demo.jobs import DATA
from marketplace.jobs.kinds import KINDS
from marketplace.jobs.models import Job, Task
from marketplace.payments import services as money


def test_demo_seed_posts_a_funded_job_of_every_kind_and_can_run_twice(app, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    db.session.expire_all()
    # The jobs room's own demo jobs (other rooms' demo steps add jobs of their own, e.g. the quality room's).
    titles = [spec["job"]["title"] for spec in json.loads(DATA.read_text(encoding="utf-8")).values()]
    jobs = list(db.session.scalars(sa.select(Job).where(Job.title.in_(titles)).order_by(Job.id)))
    assert sorted(job.kind for job in jobs) == sorted(KINDS)
    for job in jobs:
        assert job.status == "published", job.title
        tasks = db.session.scalar(sa.select(sa.func.count(Task.id)).where(Task.job_id == job.id))
        assert tasks == job.task_count >= 4
        assert money.escrow_balance(job.id) == job.budget_cents
    by_kind = {job.kind: job for job in jobs}
    assert by_kind["classification"].content_warning and "hate-speech-en" in by_kind["classification"].required_qualifications
    assert by_kind["pairwise_preference"].allowed_countries == ["JP"]
    assert by_kind["code_review"].required_qualifications == ["python-code-review"]
    image_task = db.session.scalar(sa.select(Task).where(Task.job_id == by_kind["bounding_boxes"].id).limit(1))
    assert image_task.payload["width"] == 512 and image_task.payload["image"].startswith("images/job-")
