"""Answer schemas per task kind, and validate_answer() used by the work engine (pure).

An answer is checked twice: its shape against a JSON Schema built from the job's configuration (labels,
scales), then the rules that need the task itself (a box inside the image, a bug line inside the code).
"""
from __future__ import annotations

import json
from functools import lru_cache

from ..core.errors import ValidationFailed
from ..core.schema import fast_validator, schema_errors
from .kinds import RESPONSE_LETTERS, STRENGTHS, _object, _text, get_kind, with_defaults

_COUNT = {"type": "integer", "minimum": 0}
# How the text of a writing answer came about, measured by the work page: the requester sees it with the
# answer, the trainer sees it while writing. Pasting is allowed; it is recorded, not refused.
INPUT_STATS = _object({"typed_chars": {**_COUNT, "description": "Characters typed (or dictated) into the editor."},
                       "pasted_chars": {**_COUNT, "description": "Characters pasted into the editor."},
                       "pastes": {**_COUNT, "description": "How many times text was pasted."}},
                      ["typed_chars", "pasted_chars", "pastes"],
                      "Measured in the browser while the trainer wrote (typed vs pasted).")
# The result of the code-review "Run tests" button, attached by the server at submission (never by the client).
TEST_RUN = {"type": "object", "description": "The last sandboxed test run before submission (set by the server)."}


def _labels(config: dict | None) -> dict:
    schema = {"type": "string", "minLength": 1, "maxLength": 100}
    if config:
        schema = {"type": "string", "enum": list(config["labels"])}
    return schema


def answer_schema(kind: str, config: dict | None = None) -> dict:
    """JSON Schema of an answer; with a configuration it also pins labels, scales and lengths."""
    spec = get_kind(kind)
    config = with_defaults(spec.config, config) if config else None
    if kind == "classification":
        labels = {"type": "array", "minItems": 1, "uniqueItems": True, "items": _labels(config)}
        if config and not config["multiple"]:
            labels["maxItems"] = 1
        return _object({"labels": labels, "justification": _text(5000, min_length=0)}, ["labels"])
    if kind == "bounding_boxes":
        number = {"type": "number", "minimum": 0}
        box = _object({"label": _labels(config), "x": number, "y": number,
                       "w": {"type": "number", "minimum": 1},
                       "h": {"type": "number", "minimum": 1}}, ["label", "x", "y", "w", "h"],
                      "A box in image pixels: top-left corner (x, y), width w and height h.")
        boxes = {"type": "array", "items": box, "maxItems": config["max_boxes"] if config else 500}
        if config and config["min_boxes"]:
            boxes["minItems"] = config["min_boxes"]
        return _object({"boxes": boxes}, ["boxes"])
    if kind == "writing":
        text = _text(config["max_chars"] if config else 100_000, 1)
        return _object({"text": text, "input_stats": INPUT_STATS}, ["text"])
    if kind == "pairwise_preference":
        choices = ["a", "b", "tie"] if (config is None or config["allow_tie"]) else ["a", "b"]
        strength = {"type": "string", "enum": list(STRENGTHS), "description": "How much better: slightly, "
                    "clearly or much."}
        letters = {"type": "array", "items": {"type": "string", "enum": list(RESPONSE_LETTERS)},
                   "minItems": 2, "maxItems": len(RESPONSE_LETTERS), "uniqueItems": True}
        return _object({"preferred": {"type": "string", "enum": choices}, "strength": strength,
                        "reason": _text(5000, min_length=0),
                        "order": {**letters, "description": "The order the responses were shown in, first "
                                                            "(left) to last, e.g. [\"b\", \"a\"]."},
                        "ranking": {**letters, "description": "Every response, best first (tasks with "
                                                              "more_responses only)."}}, ["preferred"])
    if kind == "rating":
        if config:
            scores = _object({s["name"]: {"type": "integer", "minimum": 1, "maximum": s["scale_max"]}
                              for s in config["rubric"]}, [s["name"] for s in config["rubric"]])
            scale_comments = _object({s["name"]: _text(5000, min_length=0) for s in config["rubric"]}, [])
        else:
            scores = {"type": "object", "description": "Scale name -> score from 1 to the scale's maximum."}
            scale_comments = {"type": "object", "description": "Scale name -> comment on that scale."}
        return _object({"scores": scores, "scale_comments": scale_comments,
                        "comments": _text(5000, min_length=0)}, ["scores"])
    if kind == "code_review":
        bug = _object({"line": {"type": "integer", "minimum": 1}, "description": _text(2000)},
                      ["line", "description"])
        quality = {"type": "integer", "minimum": 1, "maximum": config["quality_scale_max"] if config else 10}
        return _object({"verdict": {"type": "string", "enum": ["correct", "incorrect"]},
                        "bugs": {"type": "array", "items": bug, "maxItems": 100},
                        "quality": quality, "comments": _text(5000, min_length=0), "test_run": TEST_RUN},
                       ["verdict", "quality"])
    raise AssertionError(kind)  # get_kind() already refused unknown kinds


def validate_answer(kind: str, config: dict, task_payload: dict, answer, *, gold: bool = False) -> dict:
    """Check an answer (or a gold answer, which need not carry the written reasons) for one task.

    Returns the answer unchanged when valid; raises ValidationFailed with {field: sentence} errors.
    """
    errors = answer_checker(kind, config)(task_payload, answer, gold)
    if errors:
        field, sentence = next(iter(errors.items()))
        raise ValidationFailed(f"Answer: {field} {sentence}.", errors=errors)
    return answer


def answer_checker(kind: str, config: dict | None):
    """A reusable check for many answers of one job: fn(task_payload, answer, gold) -> {field: sentence}.

    The schema is built and compiled once (task import checks gold answers row after row with it).
    """
    return _checker(kind, json.dumps(config or {}, sort_keys=True))


@lru_cache(maxsize=512)
def _checker(kind: str, config_json: str):
    config = with_defaults(get_kind(kind).config, json.loads(config_json))
    schema = answer_schema(kind, config)
    fast = fast_validator(schema)

    def check(task_payload, answer, gold: bool = False) -> dict[str, str]:
        if not isinstance(answer, dict):
            return {"answer": "must be an object"}
        if fast(answer):
            return schema_errors(schema, answer, root="answer")
        return _answer_rules(kind, config, task_payload or {}, answer, gold)

    return check


def _written(min_chars: int, text: str | None) -> str | None:
    length = len((text or "").strip())
    if length < min_chars:
        return f"must be at least {min_chars} characters (it has {length})"
    return None


def _answer_rules(kind: str, config: dict, payload: dict, answer: dict, gold: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    if kind == "classification" and config["justification_required"] and not gold:
        problem = _written(config["justification_min_chars"], answer.get("justification"))
        if problem:
            errors["justification"] = problem
    elif kind == "bounding_boxes":
        width, height = payload.get("width"), payload.get("height")
        for i, box in enumerate(answer["boxes"]):
            if width and height and (box["x"] + box["w"] > width or box["y"] + box["h"] > height):
                errors[f"boxes[{i}]"] = f"lies outside the {width}x{height} image"
                break
    elif kind == "writing":
        problem = _written(config["min_chars"], answer["text"])
        if problem:
            errors["text"] = problem
    elif kind == "pairwise_preference":
        if answer["preferred"] != "tie" and "strength" not in answer:
            errors["strength"] = "is required unless the responses are tied"
        errors.update(_ranking_rules(payload, answer, gold))
        if not gold:
            problem = _written(config["reason_min_chars"], answer.get("reason"))
            if problem:
                errors["reason"] = problem
    elif kind == "rating":
        if config["comments_required"] and not gold and not (answer.get("comments") or "").strip():
            errors["comments"] = "are required for this job"
        for scale in config["rubric"]:
            comment = (answer.get("scale_comments") or {}).get(scale["name"]) or ""
            if scale.get("comment_required") and not gold and not comment.strip():
                errors[f"scale_comments.{scale['name']}"] = "is required for this scale"
    elif kind == "code_review":
        bugs = answer.get("bugs") or []
        lines = (payload.get("code") or "").count("\n") + 1
        if answer["verdict"] == "correct" and bugs:
            errors["bugs"] = "must be empty when the verdict is 'correct'"
        elif answer["verdict"] == "incorrect" and config["require_bug_lines"] and not bugs and not gold:
            errors["bugs"] = "must point at least one bug when the verdict is 'incorrect'"
        for i, bug in enumerate(bugs):
            if payload.get("code") and bug["line"] > lines:
                errors[f"bugs[{i}].line"] = f"is past the end of the code ({lines} lines)"
                break
    return errors


def response_letters(payload: dict) -> list[str]:
    """The letters of a pairwise task's responses: a, b, and c, d, ... for its more_responses."""
    return list(RESPONSE_LETTERS[:2 + len(payload.get("more_responses") or [])])


def _ranking_rules(payload: dict, answer: dict, gold: bool) -> dict[str, str]:
    """A task with more_responses is ranked: every response once, and the preference agrees with the ranking."""
    errors: dict[str, str] = {}
    letters = response_letters(payload)
    order, ranking = answer.get("order"), answer.get("ranking")
    if order is not None and sorted(order) != letters:
        errors["order"] = f"must list each of the responses {', '.join(letters)} once"
    if len(letters) == 2:
        if ranking is not None and sorted(ranking) != letters:
            errors["ranking"] = "must list each of the responses a, b once"
        return errors
    if ranking is None:
        if not gold:
            errors["ranking"] = "is required: rank every response, best first"
        return errors
    if sorted(ranking) != letters:
        errors["ranking"] = f"must list each of the responses {', '.join(letters)} once"
    elif answer["preferred"] == "tie":
        errors["preferred"] = "cannot be a tie when the responses are ranked"
    elif answer["preferred"] != min("a", "b", key=ranking.index):
        errors["preferred"] = "must agree with the ranking (the better of a and b)"
    return errors
