"""Stored answers that are JSON null or an odd shape (older rows, another writer) never crash what the quality
room reads: the results page, the review screen, the gold pages, aggregation and every export format."""
from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
import sqlalchemy as sa

from marketplace.assignment.models import Assignment
from marketplace.extensions import db
from marketplace.quality import results
from marketplace.quality.models import GoldScore
from tests.factories import answer_task, job_tasks, make_open_job, make_trainer

from .conftest import RIGHT, label_answer

ODD = [None, [], "text", 3, {"labels": None}, {"labels": "Neither"}, {"labels": [None, {"x": 1}]}, {"boxes": None},
       {"boxes": "x"}, {"boxes": [{"label": "cat"}]}, {"boxes": [{"label": "dog", "x": 1, "y": 1, "w": 5, "h": 5}]},
       {"scores": "high"}]


def _overwrite_answer(assignment_id: int, value) -> None:
    """Store `value` as the answer's JSON text directly (JSON null for None), as an older writer might have."""
    text = json.dumps(value)
    bound = sa.cast(sa.literal(text), sa.JSON) if db.engine.dialect.name == "postgresql" else sa.literal(text)
    db.session.execute(sa.update(Assignment.__table__).where(Assignment.__table__.c.id == assignment_id)
                       .values(answer=bound))
    db.session.commit()


def _download(client, url: str, fmt: str) -> None:
    response = client.get(url, buffered=True)
    assert response.status_code == 200, url
    body = response.get_data()
    if fmt == "jsonl":
        assert all(json.loads(line) is not None for line in body.decode().splitlines())
    elif fmt == "csv":
        assert list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    elif fmt == "coco":
        json.loads(body)
    else:
        assert zipfile.ZipFile(io.BytesIO(body)).testzip() is None


@pytest.mark.parametrize("kind", ["classification", "bounding_boxes"])
@pytest.mark.parametrize("odd", ODD, ids=[json.dumps(o) for o in ODD])
def test_odd_stored_answers_never_crash_results_review_gold_pages_or_exports(client, login, kind, odd):
    if kind == "bounding_boxes":
        job = make_open_job(tasks=2, overlap=3, kind=kind, config={"labels": ["cat", "person"]})
        for task in job_tasks(job):
            task.payload = {"image": "x.png", "width": 100, "height": 80, "original_name": f"t{task.seq}.png"}
        good = {"boxes": [{"label": "cat", "x": 10, "y": 10, "w": 20, "h": 20}]}
    else:
        job = make_open_job(tasks=2, overlap=3)
        good = label_answer(RIGHT)
    task = job_tasks(job)[0]
    task.gold = good
    db.session.commit()
    for _ in range(2):
        answer_task(task, make_trainer(), good)
    odd_trainer = make_trainer()
    odd_row = answer_task(task, odd_trainer, good)
    _overwrite_answer(odd_row.id, odd)
    db.session.expire_all()
    assert db.session.get(Assignment, odd_row.id).answer == odd  # JSON null reads back as None

    # Aggregation leaves the unreadable part out: the two good answers still decide the task.
    snap = results.snapshot(job)
    db.session.commit()
    assert snap.n_tasks == 1
    login(job.requester)
    for url in (f"/jobs/{job.id}/results", f"/jobs/{job.id}/review", f"/jobs/{job.id}/gold/{task.id}"):
        assert client.get(url).status_code == 200, url
    for fmt in ("jsonl", "csv") + (("coco", "yolo") if kind == "bounding_boxes" else ()):
        for what in ("answers", "aggregates"):
            _download(client, f"/jobs/{job.id}/export?format={fmt}&what={what}", fmt)
    assert client.get(f"/api/v1/jobs/{job.id}/results").status_code == 200

    score_id = db.session.scalar(sa.select(GoldScore.id).where(GoldScore.assignment_id == odd_row.id))
    login(odd_trainer)
    assert client.get("/quality").status_code == 200
    assert client.get(f"/quality/items/{score_id}").status_code == 200


def test_a_json_null_answer_is_exported_as_null_and_left_out_of_the_aggregate(client, login):
    job = make_open_job(tasks=1, overlap=3)
    task = job_tasks(job)[0]
    for label in (RIGHT, RIGHT):
        answer_task(task, make_trainer(), label_answer(label))
    odd = answer_task(task, make_trainer(), label_answer("Hate speech"))
    _overwrite_answer(odd.id, None)
    login(job.requester)
    answers = [json.loads(line) for line in client.get(f"/jobs/{job.id}/export?format=jsonl&what=answers",
                                                       buffered=True).get_data(as_text=True).splitlines()]
    assert sorted(str(a["answer"] and a["answer"]["labels"]) for a in answers) == ["None", "['Neither']",
                                                                                   "['Neither']"]
    aggregates = [json.loads(line) for line in client.get(f"/jobs/{job.id}/export?format=jsonl&what=aggregates",
                                                          buffered=True).get_data(as_text=True).splitlines()]
    [majority] = [a for a in aggregates if a["method"] == "majority"]
    # Two readable answers, both "Neither": the null is not a vote (confidence 1, not 2/3).
    assert (majority["method"], majority["answer"], majority["n_answers"], majority["confidence"]) == (
        "majority", RIGHT, 2, 1.0)
