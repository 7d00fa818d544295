"""Each task kind: its configuration, task rows and answers are checked with errors a requester can act on."""
import pytest

from marketplace.core.errors import ValidationFailed
from marketplace.jobs import kinds
from marketplace.jobs.kinds import KINDS, task_validator, validate_answer, validate_config

BOX_TASK = {"image": "images/job-1/a.png", "width": 200, "height": 150}


def payload_for(kind):
    return BOX_TASK if kind == "bounding_boxes" else KINDS[kind].example_task


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_accepts_its_own_examples(kind):
    config = validate_config(kind, KINDS[kind].example_config)
    assert task_validator(kind)(dict(KINDS[kind].example_task)) is None
    assert validate_answer(kind, config, payload_for(kind), KINDS[kind].example_answer)


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_has_json_schemas_for_config_task_and_answer(kind):
    for schema in (kinds.config_schema(kind), kinds.task_schema(kind), kinds.answer_schema(kind),
                   kinds.answer_schema(kind, KINDS[kind].example_config)):
        assert schema["type"] == "object" and "properties" in schema


def test_unknown_kind_is_refused_by_name():
    with pytest.raises(ValidationFailed, match="Unknown task kind 'sentiment'"):
        validate_config("sentiment", {})


def test_config_defaults_are_filled_in():
    config = validate_config("classification", {"labels": ["yes", "no"]})
    assert config == {"labels": ["yes", "no"], "multiple": False, "justification_required": False,
                      "justification_min_chars": 20}


@pytest.mark.parametrize("kind, config, field, words", [
    ("classification", {"labels": ["only one"]}, "config.labels", "at least 2"),
    ("classification", {"labels": ["a", "a"]}, "config.labels", "must not repeat"),
    ("classification", {"labels": ["a", "  "]}, "config.labels", "blank"),
    ("classification", {}, "config.labels", "is required"),
    ("classification", {"labels": ["a", "b"], "colour": "red"}, "config", "unknown field: colour"),
    ("bounding_boxes", {"labels": ["car"], "min_boxes": 5, "max_boxes": 2}, "config.min_boxes", "more than the maximum"),
    ("writing", {"min_chars": 900, "max_chars": 100}, "config.min_chars", "more than the maximum"),
    ("writing", {"min_chars": "many"}, "config.min_chars", "whole number"),
    ("pairwise_preference", {"reason_min_chars": -1}, "config.reason_min_chars", "at least 0"),
    ("rating", {"rubric": []}, "config.rubric", "at least 1"),
    ("rating", {"rubric": [{"name": "Tone", "scale_max": 5}, {"name": "tone", "scale_max": 3}]}, "config.rubric",
     "twice"),
    ("rating", {"rubric": [{"name": "Tone", "scale_max": 1}]}, "config.rubric[0].scale_max", "at least 2"),
    ("code_review", {"language": "cobol"}, "config.language", "must be one of"),
])
def test_bad_configuration_names_the_field_and_the_problem(kind, config, field, words):
    with pytest.raises(ValidationFailed) as caught:
        validate_config(kind, config)
    assert words in caught.value.errors[field]


@pytest.mark.parametrize("kind, row, expected", [
    ("classification", {"txt": "hello"}, "text: is required"),
    ("classification", {"text": ""}, "text: must not be empty"),
    ("classification", {"text": 42}, "text: must be text"),
    ("classification", {"text": "x", "colour": "red"}, "row: has unknown field: colour"),
    ("classification", {"text": "x", "metadata": "not an object"}, "metadata: must be an object"),
    ("bounding_boxes", {"note": "no image"}, "image: is required"),
    ("writing", {"prompt": "x" * 50_001}, "prompt: must be at most 50000 characters"),
    ("pairwise_preference", {"prompt": "p", "response_a": "a"}, "response_b: is required"),
    ("rating", {"prompt": "p"}, "response: is required"),
    ("code_review", {"problem": "p", "code": ["not", "text"]}, "code: must be text"),
])
def test_bad_task_rows_get_one_readable_sentence(kind, row, expected):
    assert task_validator(kind)(row) == expected


def answer_error(kind, answer, config=None, payload=None, gold=False):
    config = validate_config(kind, config or KINDS[kind].example_config)
    with pytest.raises(ValidationFailed) as caught:
        validate_answer(kind, config, payload or payload_for(kind), answer, gold=gold)
    return caught.value.errors


def test_classification_answer_must_use_the_jobs_labels_and_justify_when_required():
    assert "must be one of" in answer_error("classification", {"labels": ["Spam"], "justification": "x" * 30})["labels[0]"]
    assert "at least 20 characters" in answer_error("classification", {"labels": ["Neither"], "justification": "ok"})[
        "justification"]
    assert "at most 1" in answer_error("classification", {"labels": ["Neither", "Hate speech"],
                                                          "justification": "x" * 30})["labels"]


def test_classification_gold_needs_no_justification_and_multiple_labels_may_be_allowed():
    config = validate_config("classification", {"labels": ["a", "b", "c"], "multiple": True,
                                                "justification_required": True})
    assert validate_answer("classification", config, {"text": "t"}, {"labels": ["a", "c"]}, gold=True)


def test_bounding_box_must_lie_inside_the_image_and_use_a_known_label():
    outside = {"boxes": [{"label": "person", "x": 150, "y": 10, "w": 80, "h": 20}]}
    assert "outside the 200x150 image" in answer_error("bounding_boxes", outside)["boxes[0]"]
    unknown = {"boxes": [{"label": "dragon", "x": 1, "y": 1, "w": 5, "h": 5}]}
    assert "must be one of" in answer_error("bounding_boxes", unknown)["boxes[0].label"]
    assert "needs at least 1" in answer_error("bounding_boxes", {"boxes": []},
                                              config={"labels": ["cat"], "min_boxes": 1})["boxes"]


def test_writing_answer_respects_minimum_and_maximum_length():
    assert "at least 300 characters (it has 5)" in answer_error("writing", {"text": "short"})["text"]
    assert "at most 6000" in answer_error("writing", {"text": "x" * 6001})["text"]


def test_pairwise_answer_needs_a_known_choice_a_strength_in_range_and_a_reason():
    assert "must be one of: a, b" in answer_error("pairwise_preference", {"preferred": "tie", "reason": "x" * 40},
                                                  config={"allow_tie": False})["preferred"]
    assert "must be one of: slightly, clearly, much" in answer_error(
        "pairwise_preference", {"preferred": "a", "strength": 4, "reason": "x" * 40})["strength"]
    assert "at least 30 characters" in answer_error("pairwise_preference", {"preferred": "a", "strength": "clearly",
                                                                            "reason": "A"})["reason"]
    assert "required unless" in answer_error("pairwise_preference", {"preferred": "b", "reason": "x" * 40})["strength"]


def test_rating_answer_scores_every_scale_within_its_range():
    assert "is required" in answer_error("rating", {"scores": {"Helpfulness": 3}})["scores.Accuracy"]
    assert "at most 5" in answer_error("rating", {"scores": {"Helpfulness": 6, "Accuracy": 1}})["scores.Helpfulness"]
    assert "are required" in answer_error("rating", {"scores": {"Helpfulness": 2, "Accuracy": 1}},
                                          config={"rubric": [{"name": "Helpfulness", "scale_max": 5},
                                                             {"name": "Accuracy", "scale_max": 5}],
                                                  "comments_required": True})["comments"]


def test_code_review_answer_points_bugs_inside_the_code_and_matches_its_verdict():
    assert "past the end of the code (3 lines)" in answer_error(
        "code_review", {"verdict": "incorrect", "quality": 2, "bugs": [{"line": 9, "description": "x"}]})["bugs[0].line"]
    assert "at least one bug" in answer_error("code_review", {"verdict": "incorrect", "quality": 2, "bugs": []})["bugs"]
    assert "empty when the verdict is 'correct'" in answer_error(
        "code_review", {"verdict": "correct", "quality": 5, "bugs": [{"line": 1, "description": "x"}]})["bugs"]
    assert "at most 5" in answer_error("code_review", {"verdict": "correct", "quality": 7})["quality"]


def test_answer_that_is_not_an_object_is_refused():
    with pytest.raises(ValidationFailed, match="must be an object"):
        validate_answer("writing", {}, {"prompt": "p"}, ["text"])
