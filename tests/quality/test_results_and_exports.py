"""Stored agreement snapshots and aggregates, and exports streamed from the database through pages and API."""
from __future__ import annotations

import csv
import io
import json
import zipfile

import krippendorff
import numpy as np
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.quality import periodic, results
from marketplace.quality.exports import FORMULA_TRIGGERS
from marketplace.quality.models import QualitySnapshot, TaskAggregate
from marketplace.quality.pseudonyms import trainer_code
from tests.factories import answer_task, job_tasks, make_open_job, make_trainer

from .conftest import RIGHT, WRONG, label_answer

LABELS = ["Hate speech", "Offensive, not hate speech", "Neither"]


def _three_trainers_on(job, table):
    """table[t] = the labels of trainers a, b, c on task t (None: no answer)."""
    trainers = [make_trainer() for _ in range(3)]
    for task, row in zip(job_tasks(job), table):
        for trainer, label in zip(trainers, row):
            if label is not None:
                answer_task(task, trainer, label_answer(label))
    return trainers


TABLE = [(RIGHT, RIGHT, RIGHT), (WRONG, WRONG, RIGHT), (RIGHT, RIGHT, None), (WRONG, WRONG, WRONG),
         (LABELS[1], LABELS[1], RIGHT), (RIGHT, WRONG, LABELS[1])]


def test_snapshot_stores_alpha_equal_to_krippendorff_on_the_same_answers_and_aggregates_per_task():
    job = make_open_job(tasks=6, overlap=3)
    trainers = _three_trainers_on(job, TABLE)
    snap = results.snapshot(job)
    db.session.commit()
    code = {label: i for i, label in enumerate(LABELS)}
    reliability = np.array([[np.nan if row[k] is None else code[row[k]] for row in TABLE] for k in range(3)])
    assert abs(snap.alpha - krippendorff.alpha(reliability_data=reliability, level_of_measurement="nominal")) < 1e-9
    assert snap.n_answers == 17 and snap.n_tasks == 6
    assert set(snap.data["parts"]) == set(LABELS)
    assert snap.data["series"][-1][2] == 17
    agg = {a.task_id: a for a in db.session.scalars(sa.select(TaskAggregate).where(
        TaskAggregate.method == "majority"))}
    tasks = job_tasks(job)
    assert agg[tasks[1].id].value == {"answer": WRONG} and round(agg[tasks[1].id].confidence, 3) == 0.667
    assert agg[tasks[5].id].is_tie
    assert {m for (m,) in db.session.execute(sa.select(TaskAggregate.method).distinct())} == {"majority",
                                                                                              "dawid_skene"}
    assert set(snap.data["trainers"]) == {str(t.id) for t in trainers}


def test_scheduled_snapshot_runs_only_when_answers_changed():
    job = make_open_job(tasks=6, overlap=3)
    _three_trainers_on(job, TABLE[:3])
    assert periodic.refresh_snapshots(None) == 1
    db.session.commit()
    assert periodic.refresh_snapshots(None) == 0
    answer_task(job_tasks(job)[2], make_trainer(), label_answer(RIGHT))
    assert periodic.refresh_snapshots(None) == 1
    assert db.session.scalar(sa.select(sa.func.count(QualitySnapshot.id))) == 2


def test_csv_export_through_the_page_neutralises_formulas_and_reads_back(client, login):
    job = make_open_job(tasks=2, config={"labels": ["=HYPERLINK(\"x\")", "+1", "Neither"], "multiple": False})
    trainer = make_trainer()
    answer_task(job_tasks(job)[0], trainer, {"labels": ["=HYPERLINK(\"x\")"], "justification": "@SUM(A1)"})
    answer_task(job_tasks(job)[1], trainer, {"labels": ["+1"], "justification": "-2+3"})
    login(job.requester)
    response = client.get(f"/jobs/{job.id}/export?format=csv&what=answers", buffered=True)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["task_id", "task_seq", "external_id", "trainer"]
    assert len(rows) == 3
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_TRIGGERS), cell
    assert rows[1][3] == trainer_code(job.id, trainer.id) and str(trainer.id) != rows[1][3]
    assert rows[1][6] == "'=HYPERLINK(\"x\")"


def test_jsonl_export_of_aggregates_after_a_snapshot(client, login):
    job = make_open_job(tasks=6, overlap=3)
    _three_trainers_on(job, TABLE)
    results.snapshot(job)
    login(job.requester)
    lines = client.get(f"/jobs/{job.id}/export?format=jsonl&what=aggregates",
                       buffered=True).get_data(as_text=True).splitlines()
    records = [json.loads(line) for line in lines]
    assert {r["method"] for r in records} == {"majority", "dawid_skene"}
    assert all(0 <= r["confidence"] <= 1 for r in records) and len(records) == 12


def _boxes_job():
    job = make_open_job(tasks=2, overlap=2, kind="bounding_boxes", config={"labels": ["cat", "person"]})
    for i, task in enumerate(job_tasks(job)):
        task.payload = {"image": f"images/job-{job.id}/img{i}.png", "width": 640 + i, "height": 480 + i,
                        "original_name": f"photo-{i}.png"}
    db.session.commit()
    a, b = make_trainer(), make_trainer()
    box = {"label": "cat", "x": 10, "y": 20, "w": 100, "h": 80}
    for task in job_tasks(job):
        answer_task(task, a, {"boxes": [box]})
        answer_task(task, b, {"boxes": [dict(box, x=14)]})
    return job


def test_coco_export_is_valid_json_with_the_image_sizes(client, login):
    job = _boxes_job()
    login(job.requester)
    coco = json.loads(client.get(f"/jobs/{job.id}/export?format=coco&what=answers",
                                 buffered=True).get_data(as_text=True))
    assert [(i["width"], i["height"]) for i in coco["images"]] == [(640, 480), (641, 481)]
    assert [c["name"] for c in coco["categories"]] == ["cat", "person"]
    assert len(coco["annotations"]) == 4 and coco["annotations"][0]["bbox"] == [10.0, 20.0, 100.0, 80.0]
    assert coco["annotations"][0]["attributes"]["trainer"].startswith("T-")


def test_yolo_export_streams_consensus_labels_per_image(client, login):
    job = _boxes_job()
    login(job.requester)
    data = client.get(f"/jobs/{job.id}/export?format=yolo&what=aggregates", buffered=True).get_data()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.read("classes.txt").decode() == "cat\nperson\n"
        line = zf.read("labels/photo-0.txt").decode().split()
    assert line[0] == "0" and abs(float(line[1]) - (12 + 50) / 640) < 1e-4


def test_a_wrong_format_is_a_clear_error_in_the_api_and_a_flash_on_the_page(client, login):
    job = make_open_job(tasks=1)
    login(job.requester)
    api = client.get(f"/api/v1/jobs/{job.id}/export?format=xlsx")
    assert api.status_code == 422 and "format" in api.get_json()["error"]["message"]
    page = client.get(f"/jobs/{job.id}/export?format=coco")
    assert page.status_code == 302


def test_api_export_and_summary_for_the_jobs_requester(client, login):
    job = make_open_job(tasks=6, overlap=3)
    _three_trainers_on(job, TABLE)
    login(job.requester)
    body = client.get(f"/api/v1/jobs/{job.id}/export?format=jsonl", buffered=True).get_data(as_text=True)
    assert len(body.splitlines()) == 17
    summary = client.get(f"/api/v1/jobs/{job.id}/results").get_json()
    assert summary["agreement"]["n_answers"] == 17 and len(summary["trainers"]) == 3
    assert all(t["code"].startswith("T-") for t in summary["trainers"])
    assert "email" not in json.dumps(summary)


def test_api_export_with_a_token_needs_the_read_scope_and_the_jobs_owner(client):
    from marketplace.accounts import tokens
    from tests.factories import make_requester
    job = make_open_job(tasks=6, overlap=3)
    _three_trainers_on(job, TABLE)
    _, readonly = tokens.create_token(job.requester, name="results script", scopes=["jobs:read"])
    _, write_only = tokens.create_token(job.requester, name="uploader", scopes=["jobs:write"])
    _, stranger = tokens.create_token(make_requester(), name="other", scopes=["jobs:read"])
    db.session.commit()
    url = f"/api/v1/jobs/{job.id}/export?format=csv"
    ok = client.get(url, headers={"Authorization": f"Bearer {readonly}"}, buffered=True)
    assert ok.status_code == 200 and len(ok.get_data(as_text=True).splitlines()) == 18
    assert client.get(url, headers={"Authorization": f"Bearer {write_only}"}).status_code == 403
    assert client.get(url, headers={"Authorization": f"Bearer {stranger}"}).status_code == 404
    assert client.get(url).status_code == 401


def test_box_results_export_the_consensus_box_in_coco_jsonl_and_yolo_computed_by_hand(client, login):
    """Three trainers box the same cat; the consensus is the per-edge median, and every aggregate export
    carries that one box (not three), with its support."""
    job = make_open_job(tasks=1, overlap=3, kind="bounding_boxes", config={"labels": ["cat", "person"]})
    task = job_tasks(job)[0]
    task.payload = {"image": "images/a.png", "width": 200, "height": 100, "original_name": "cat.png"}
    db.session.commit()
    # left 10/12/20, top 10/14/16, right 60/62/70, bottom 50/54/56 -> medians 12, 14, 62, 54
    for x, y, w, h in ((10, 10, 50, 40), (12, 14, 50, 40), (20, 16, 50, 40)):
        answer_task(task, make_trainer(), {"boxes": [{"label": "cat", "x": x, "y": y, "w": w, "h": h}]})
    login(job.requester)
    coco = json.loads(client.get(f"/jobs/{job.id}/export?format=coco&what=aggregates",
                                 buffered=True).get_data(as_text=True))
    assert coco["images"] == [{"id": task.id, "file_name": "cat.png", "width": 200, "height": 100}]
    [ann] = coco["annotations"]
    assert ann["bbox"] == [12, 14, 50, 40] and ann["area"] == 2000 and ann["category_id"] == 1
    # IoU with the consensus: 48x36 = 1728 / (4000 - 1728); identical; 42x38 = 1596 / (4000 - 1596)
    mean_iou = round((1728 / 2272 + 1 + 1596 / 2404) / 3, 4)
    assert ann["attributes"] == {"support": 3, "confidence": 1.0, "mean_iou": mean_iou}
    raw = json.loads(client.get(f"/jobs/{job.id}/export?format=coco&what=answers",
                                buffered=True).get_data(as_text=True))
    assert len(raw["annotations"]) == 3
    [record] = [json.loads(line) for line in client.get(f"/jobs/{job.id}/export?format=jsonl&what=aggregates",
                                                        buffered=True).get_data(as_text=True).splitlines()]
    assert record["method"] == "consensus_boxes" and record["confidence"] == 1.0
    assert record["answer"] == [{"label": "cat", "x": 12, "y": 14, "w": 50, "h": 40, "support": 3,
                                 "confidence": 1.0, "mean_iou": mean_iou}]
    with zipfile.ZipFile(io.BytesIO(client.get(f"/jobs/{job.id}/export?format=yolo&what=aggregates",
                                               buffered=True).get_data())) as zf:
        # centre (12 + 25, 14 + 20) = (37, 34) on a 200 x 100 image; size 50/200, 40/100
        assert zf.read("labels/cat.txt").decode() == "0 0.185000 0.340000 0.250000 0.400000\n"
    # the stored snapshot holds the same consensus (the results page and the scheduled export agree)
    results.snapshot(job)
    stored = db.session.scalar(sa.select(TaskAggregate).where(TaskAggregate.job_id == job.id))
    assert stored.method == "consensus_boxes" and stored.value["answer"] == record["answer"]
    page = client.get(f"/jobs/{job.id}/results").get_data(as_text=True)
    assert f"{mean_iou:.2f}</span> mean IoU of 3 boxes with their consensus box" in page


def test_a_big_jobs_aggregates_export_reads_the_stored_snapshot_not_the_live_answers(client, login, app,
                                                                                     monkeypatch):
    monkeypatch.setitem(app.config, "QUALITY_ON_DEMAND_MAX_ANSWERS", 5)  # 17 answers: a "big" job here
    job = make_open_job(tasks=6, overlap=3)
    _three_trainers_on(job, TABLE)
    login(job.requester)
    url = f"/jobs/{job.id}/export?format=jsonl&what=aggregates"
    assert client.get(url, buffered=True).get_data(as_text=True) == ""   # nothing stored yet
    results.snapshot(job)
    db.session.commit()
    records = [json.loads(line) for line in client.get(url, buffered=True).get_data(as_text=True).splitlines()]
    assert len(records) == 12 and {r["method"] for r in records} == {"majority", "dawid_skene"}
    page = client.get(f"/jobs/{job.id}/results").get_data(as_text=True)
    assert "last stored computation" in page and "refreshed every 10 minutes" in page


def test_results_page_lists_the_least_certain_aggregated_answers_live_and_from_the_stored_snapshot(
        client, login, app, monkeypatch):
    job = make_open_job(tasks=6, overlap=3)
    _three_trainers_on(job, TABLE)
    login(job.requester)
    live = client.get(f"/jobs/{job.id}/results").get_data(as_text=True)
    assert "Least certain aggregated answers (majority)" in live
    assert live.count("Task 6</td>") == 1 and "Task 1</td>" not in live  # task 1 was unanimous
    monkeypatch.setitem(app.config, "QUALITY_ON_DEMAND_MAX_ANSWERS", 5)
    results.snapshot(job)
    db.session.commit()
    stored = client.get(f"/jobs/{job.id}/results").get_data(as_text=True)
    assert "Least certain aggregated answers (majority)" in stored and "Task 6</td>" in stored


def test_results_page_shows_a_consensus_box_the_trainers_did_not_all_draw(client, login):
    job = make_open_job(tasks=1, overlap=3, kind="bounding_boxes", config={"labels": ["cat", "person"]})
    task = job_tasks(job)[0]
    task.payload = {"image": "images/a.png", "width": 200, "height": 100, "original_name": "cat.png"}
    db.session.commit()
    for boxes in ([{"label": "cat", "x": 10, "y": 10, "w": 50, "h": 40}],
                  [{"label": "cat", "x": 12, "y": 10, "w": 50, "h": 40}], []):
        answer_task(task, make_trainer(), {"boxes": boxes})
    login(job.requester)
    page = client.get(f"/jobs/{job.id}/results").get_data(as_text=True)
    # medians of two boxes: x 11, the rest equal; two of three trainers drew it -> 67%
    assert "Least certain aggregated answers (consensus boxes)" in page
    assert "at (11, 10), 50×40" in page and "drawn by 2" in page and "67%" in page


def test_the_results_api_is_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    export = doc["paths"]["/api/v1/jobs/{job_id}/export"]["get"]
    params = {p["name"]: p for p in export["parameters"]}
    assert params["format"]["schema"]["enum"] == ["jsonl", "csv", "coco", "yolo"]
    assert params["what"]["schema"]["enum"] == ["answers", "aggregates"]
    assert set(export["responses"]["200"]["content"]) == {"application/x-ndjson", "text/csv", "application/json",
                                                          "application/zip"}
    assert "get" in doc["paths"]["/api/v1/jobs/{job_id}/results"]


def test_api_coco_export_of_consensus_boxes_with_a_token(client):
    from marketplace.accounts import tokens
    job = make_open_job(tasks=1, overlap=2, kind="bounding_boxes", config={"labels": ["cat"]})
    task = job_tasks(job)[0]
    task.payload = {"image": "images/a.png", "width": 64, "height": 48, "original_name": "a.png"}
    db.session.commit()
    for x in (4, 6):
        answer_task(task, make_trainer(), {"boxes": [{"label": "cat", "x": x, "y": 4, "w": 20, "h": 20}]})
    _, token = tokens.create_token(job.requester, name="script", scopes=["jobs:read"])
    db.session.commit()
    response = client.get(f"/api/v1/jobs/{job.id}/export?format=coco&what=aggregates",
                          headers={"Authorization": f"Bearer {token}"}, buffered=True)
    assert response.status_code == 200 and response.mimetype == "application/json"
    coco = json.loads(response.get_data(as_text=True))
    assert coco["images"][0]["width"] == 64 and coco["images"][0]["height"] == 48
    assert [a["bbox"] for a in coco["annotations"]] == [[5, 4, 20, 20]]  # the median of x 4 and 6
