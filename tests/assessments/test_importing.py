"""Importing assessment files: every problem named by place, all or nothing, re-import keeps old attempts."""
import io
import json

import pytest
import sqlalchemy as sa

from marketplace.assessments import bank, importing, services
from marketplace.assessments.models import Assessment, AssessmentItem, Qualification
from marketplace.core.errors import ValidationFailed
from marketplace.extensions import db
from tests.assessments.helpers import take
from tests.factories import assessment_spec, make_admin, make_trainer


def problems(spec) -> list[str]:
    with pytest.raises(importing.ImportProblems) as exc:
        importing.validate(spec)
    return exc.value.problems


@pytest.mark.parametrize("path", bank.bundled_files(), ids=lambda p: p.name)
def test_bundled_content_files_are_valid(path):
    parsed = importing.validate(importing.parse_json(path.read_bytes()))
    assert len(parsed.items) >= parsed.assessment["items_per_attempt"]


def test_bundled_content_meets_the_brief():
    files = {p.stem: importing.validate(importing.parse_json(p.read_bytes())) for p in bank.bundled_files()}
    hate = files["hate_speech_en"]
    labels = {tuple(o["key"] for o in i.options) for i in hate.items}
    assert len(hate.items) >= 40 and labels == {("hate", "offensive", "neither")}
    assert {i.answer[0] for i in hate.items} == {"hate", "offensive", "neither"}
    assert any(i.rationale_required for i in hate.items) and hate.assessment["requires_review"]
    assert hate.assessment["content_warning"]
    assert len(files["malay_reading"].items) >= 15 and files["malay_reading"].qualification["kind"] == "language"
    python = files["python_code_review"]
    assert len(python.items) >= 15 and python.qualification["kind"] == "expertise"
    assert all(i.explanation for f in files.values() for i in f.items)


@pytest.mark.parametrize("mutate, expected", [
    (lambda s: s.update(format=2), "file: 'format' must be 1"),
    (lambda s: s["qualification"].update(kind="skill"), "qualification: 'kind' must be one of"),
    (lambda s: s["qualification"].update(key="Has Spaces"), "qualification: 'key' must be"),
    (lambda s: s["assessment"].update(pass_mark_percent=120), "'pass_mark_percent' must be a whole number from 1 to 100"),
    (lambda s: s["assessment"].update(max_attempts=True), "'max_attempts' must be a whole number"),
    (lambda s: s["assessment"].update(items_per_attempt=50), "'items_per_attempt' is 50 but the bank has only 6"),
    (lambda s: s["assessment"].update(requires_review="yes"), "'requires_review' must be true or false"),
    (lambda s: s["items"][2].update(answer=["z"]), "item 3 (test-skill-003): answer 'z' is not one of the options"),
    (lambda s: s["items"][2].update(answer=["a", "b"]), "item 3 (test-skill-003): a single_choice item has exactly one"),
    (lambda s: s["items"][1].update(key="test-skill-001"), "item 2 (test-skill-001): the key is used by an earlier"),
    (lambda s: s["items"][0].update(anwser=["a"]), "item 1 (test-skill-001): unknown field 'anwser'"),
    (lambda s: s["items"][0].update(explanation=""), "item 1 (test-skill-001): 'explanation' is missing"),
    (lambda s: s["items"][0].update(options=[{"key": "a", "text": "Only"}]), "needs 'options'"),
    (lambda s: s["items"][0].update(kind="essay"), "item 1 (test-skill-001): 'kind' must be one of"),
    (lambda s: s["items"][0].update(rationale="required"), "needs a written answer, but the assessment has"),
    (lambda s: s.update(items=[]), "items: must be a non-empty list"),
])
def test_malformed_files_are_refused_with_the_place_of_each_problem(mutate, expected):
    spec = assessment_spec()
    mutate(spec)
    found = problems(spec)
    assert any(expected in p for p in found), found


def test_every_problem_is_reported_at_once():
    spec = assessment_spec()
    spec["items"][0]["answer"] = ["z"]
    spec["items"][4]["kind"] = "essay"
    spec["assessment"]["time_limit_minutes"] = 0
    assert len(problems(spec)) == 3


@pytest.mark.parametrize("raw, expected", [
    (b"{not json", "not valid JSON: Expecting property name enclosed in double quotes at line 1, column 2"),
    (b"\xff\xfe", "not UTF-8"),
    (b"[]", "one JSON object"),
])
def test_unreadable_files_are_refused(raw, expected):
    with pytest.raises(importing.ImportProblems) as exc:
        importing.validate(importing.parse_json(raw))
    assert expected in exc.value.problems[0]


def test_a_bad_file_changes_nothing(db):
    spec = assessment_spec()
    spec["items"][5]["answer"] = ["z"]
    with pytest.raises(ValidationFailed) as exc:
        bank.import_bytes(json.dumps(spec))
    assert "Nothing was changed" in exc.value.message and len(exc.value.errors) == 1
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Qualification.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(AssessmentItem.id))) == 0


def test_reimporting_updates_the_bank_and_leaves_past_attempts_explainable(db):
    spec = assessment_spec(items=3, per_attempt=3, pass_mark=100)
    bank.import_bytes(json.dumps(spec))
    db.session.commit()
    assessment = services.assessment_by_key("test-skill-v1")
    attempt = take(assessment, make_trainer())
    before = [(i.question, i.answer, i.explanation) for i in attempt.items]
    spec["items"][0]["explanation"] = "A clearer explanation."
    spec["items"][1]["answer"] = ["b"]
    del spec["items"][2]
    spec["items"].append({"key": "test-skill-new", "kind": "single_choice", "question": "New?",
                          "options": [{"key": "a", "text": "A"}, {"key": "b", "text": "B"}], "answer": ["b"],
                          "explanation": "Because."})
    spec["assessment"]["items_per_attempt"] = 3
    summary = bank.import_bytes(json.dumps(spec))
    db.session.commit()
    assert (summary.items_added, summary.items_changed, summary.items_retired) == \
        (["test-skill-new"], ["test-skill-001", "test-skill-002"], ["test-skill-003"])
    assert db.session.get(Assessment, assessment.id).bank_version == 2
    retired = db.session.scalar(sa.select(AssessmentItem).where(AssessmentItem.key == "test-skill-003"))
    assert retired.is_active is False  # kept for the attempts that drew it, never drawn again
    db.session.refresh(attempt)
    assert [(i.question, i.answer, i.explanation) for i in attempt.items] == before
    assert attempt.status == "passed" and attempt.correct_items == 3  # a re-import never re-grades


def test_reimporting_the_same_file_changes_nothing(db):
    spec = assessment_spec()
    bank.import_bytes(json.dumps(spec))
    summary = bank.import_bytes(json.dumps(spec))
    assert not summary.changed and "already up to date" in summary.describe()


def test_a_new_assessment_key_for_a_qualification_replaces_the_old_test(db):
    spec = assessment_spec()
    bank.import_bytes(json.dumps(spec))
    spec["assessment"]["key"] = "test-skill-v2"
    summary = bank.import_bytes(json.dumps(spec))
    db.session.commit()
    assert summary.retired_assessments == ["test-skill-v1"]
    assert services.assessment_for_qualification("test-skill").key == "test-skill-v2"


def test_cli_import_reports_success_and_problems(app, db, tmp_path):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(assessment_spec()))
    broken = assessment_spec()
    broken["items"][0]["answer"] = ["z"]
    bad.write_text(json.dumps(broken))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["assessments", "import", str(bad)])
    assert result.exit_code == 1 and "item 1 (test-skill-001): answer 'z'" in result.output
    dry = runner.invoke(args=["assessments", "import", "--dry-run", str(good)])
    assert dry.exit_code == 0 and "valid. Would do: Created test-skill-v1 with 6 items." in dry.output
    assert services.assessment_by_key("test-skill-v1") is None
    result = runner.invoke(args=["assessments", "import", str(good)])
    assert result.exit_code == 0 and "Created test-skill-v1 with 6 items." in result.output
    db.session.expire_all()
    assert services.assessment_by_key("test-skill-v1") is not None


def test_admin_upload_page_lists_problems_and_imports_a_good_file(db, client, login):
    login(make_admin())
    broken = assessment_spec()
    broken["items"][3]["answer"] = ["z"]
    response = client.post("/admin/assessments/import",
                           data={"file": (io.BytesIO(json.dumps(broken).encode()), "bank.json")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was changed" in page and "item 4 (test-skill-004): answer" in page
    assert services.assessment_by_key("test-skill-v1") is None
    response = client.post("/admin/assessments/import",
                           data={"file": (io.BytesIO(json.dumps(assessment_spec()).encode()), "bank.json")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert services.assessment_by_key("test-skill-v1").items_per_attempt == 4


def test_upload_without_a_file_is_refused(db, client, login):
    login(make_admin())
    response = client.post("/admin/assessments/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose a file to upload." in response.get_data(as_text=True)
