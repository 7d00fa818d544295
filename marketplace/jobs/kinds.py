"""Task kinds: per-kind configuration, task and answer schemas, and their checks (pure: no database, no Flask).

Public API used by the jobs room, the work engine and the API:
  validate_config(kind, config) -> config          (defaults filled in; raises ValidationFailed)
  task_validator(kind) -> fn(row) -> error | None  (fast, for imports)
  validate_answer(kind, config, task_payload, answer, gold=False) -> answer
  config_schema(kind), task_schema(kind), answer_schema(kind, config=None)  (JSON Schema dicts, for OpenAPI)
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

from ..core.errors import ValidationFailed
from ..core.schema import fast_validator, schema_errors
from ..core.taxonomy import PROGRAMMING_LANGUAGES

TEXT_MAX = 50_000
CODE_MAX = 100_000


def _text(max_length: int = TEXT_MAX, min_length: int = 1, description: str = "") -> dict:
    schema = {"type": "string", "minLength": min_length, "maxLength": max_length}
    if description:
        schema["description"] = description
    return schema


def _object(properties: dict, required: list[str], description: str = "") -> dict:
    schema = {"type": "object", "properties": properties, "required": required, "additionalProperties": False}
    if description:
        schema["description"] = description
    return schema


# Responses of a pairwise task are named by letter: a, b, then c, d, ... when a task asks for a ranking.
MAX_RANKED = 10
RESPONSE_LETTERS = tuple("abcdefghij"[:MAX_RANKED])

LABELS = {"type": "array", "minItems": 1, "maxItems": 50, "uniqueItems": True,
          "items": _text(100), "description": "The labels a trainer chooses from, in the order shown."}


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    description: str
    config: dict                      # JSON Schema of the configuration, with defaults
    task: dict                        # JSON Schema of one task as stored (and as imported, unless import_task)
    example_config: dict
    example_task: dict
    example_answer: dict
    import_task: dict | None = None   # bounding boxes import a file name, stored as an image key and size
    text_fields: tuple[str, ...] = field(default=())  # task fields shown as text in lists and previews


KINDS: dict[str, Kind] = {}


def _register(kind: Kind) -> None:
    KINDS[kind.name] = kind


_register(Kind(
    "classification", "Classification",
    "Read a text and choose one label (or several) from a set, optionally saying why.",
    _object({"labels": {**LABELS, "minItems": 2},
             "multiple": {"type": "boolean", "default": False,
                          "description": "Trainers may choose several labels."},
             "justification_required": {"type": "boolean", "default": False,
                                        "description": "Trainers must write why they chose the label."},
             "justification_min_chars": {"type": "integer", "minimum": 1, "maximum": 2000, "default": 20}},
            ["labels"]),
    _object({"text": _text(description="The text to classify."),
             "context": _text(min_length=0, description="Optional context shown above the text.")}, ["text"]),
    {"labels": ["Hate speech", "Offensive, not hate speech", "Neither"], "justification_required": True},
    {"text": "Example post to judge."},
    {"labels": ["Neither"], "justification": "No group is attacked and nothing is abusive."},
    text_fields=("text",),
))

_register(Kind(
    "bounding_boxes", "Bounding boxes",
    "Draw a box around every object of the listed kinds in an image.",
    _object({"labels": LABELS,
             "min_boxes": {"type": "integer", "minimum": 0, "maximum": 500, "default": 0,
                           "description": "0 lets a trainer say the image holds nothing to box."},
             "max_boxes": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}},
            ["labels"]),
    _object({"image": _text(300, description="Storage key of the image (set by the import)."),
             "width": {"type": "integer", "minimum": 1}, "height": {"type": "integer", "minimum": 1},
             "original_name": _text(300, min_length=0), "note": _text(min_length=0)},
            ["image", "width", "height"]),
    {"labels": ["person", "car", "bicycle", "traffic light"]},
    {"image": "street-001.jpg"},
    {"boxes": [{"label": "person", "x": 10, "y": 20, "w": 40, "h": 90}]},
    import_task=_object({"image": _text(300, description="File name of the image inside the uploaded ZIP."),
                         "note": _text(min_length=0, description="Optional note shown with the image.")},
                        ["image"]),
    text_fields=("original_name",),
))

_register(Kind(
    "writing", "Writing (demonstrations)",
    "Answer a prompt the way an expert would: a demonstration for training a model.",
    _object({"min_chars": {"type": "integer", "minimum": 1, "maximum": 100_000, "default": 200},
             "max_chars": {"type": "integer", "minimum": 1, "maximum": 100_000, "default": 10_000}}, []),
    _object({"prompt": _text(description="What the trainer answers."),
             "context": _text(min_length=0, description="Optional material the answer may use.")}, ["prompt"]),
    {"min_chars": 300, "max_chars": 6000},
    {"prompt": "Explain why ice floats on water."},
    {"text": "Ice floats because ... " + "x" * 300},
    text_fields=("prompt",),
))

_register(Kind(
    "pairwise_preference", "Pairwise preference",
    "Compare two responses to one prompt: which is better, by how much, and why.",
    _object({"allow_tie": {"type": "boolean", "default": False},
             "reason_min_chars": {"type": "integer", "minimum": 0, "maximum": 5000, "default": 30}}, []),
    _object({"prompt": _text(), "response_a": _text(), "response_b": _text(),
             "more_responses": {"type": "array", "minItems": 1, "maxItems": MAX_RANKED - 2, "items": _text(),
                                "description": "Optional responses C, D, ...: the trainer then ranks them all "
                                               "(best first) instead of only comparing A and B."}},
            ["prompt", "response_a", "response_b"]),
    {"allow_tie": True},
    {"prompt": "What is the capital of Australia?", "response_a": "Canberra.", "response_b": "Sydney."},
    {"preferred": "a", "strength": "much", "reason": "A is correct; Sydney is not the capital."},
    text_fields=("prompt",),
))

_register(Kind(
    "rating", "Rubric rating",
    "Score a response to a prompt on named scales (for example helpfulness 1-5), with comments.",
    _object({"rubric": {"type": "array", "minItems": 1, "maxItems": 20, "items": _object(
                {"name": _text(60), "description": _text(1000, min_length=0),
                 "scale_max": {"type": "integer", "minimum": 2, "maximum": 10},
                 "comment_required": {"type": "boolean", "default": False,
                                      "description": "Trainers must write a comment on this scale."}},
                ["name", "scale_max"])},
             "comments_required": {"type": "boolean", "default": False}}, ["rubric"]),
    _object({"prompt": _text(), "response": _text()}, ["prompt", "response"]),
    {"rubric": [{"name": "Helpfulness", "scale_max": 5}, {"name": "Accuracy", "scale_max": 5}]},
    {"prompt": "Summarise the water cycle.", "response": "Water evaporates, condenses and falls as rain."},
    {"scores": {"Helpfulness": 4, "Accuracy": 5}, "comments": "Short but correct."},
    text_fields=("prompt",),
))

_register(Kind(
    "code_review", "Code review",
    "Review AI-written code against its problem statement: verdict, bugs by line, and a quality score.",
    _object({"language": {"type": "string", "enum": list(PROGRAMMING_LANGUAGES), "default": "python"},
             "quality_scale_max": {"type": "integer", "minimum": 2, "maximum": 10, "default": 5},
             "require_bug_lines": {"type": "boolean", "default": True,
                                   "description": "An 'incorrect' verdict must point at least one bug."}}, []),
    _object({"problem": _text(), "code": _text(CODE_MAX), "tests": _text(CODE_MAX, min_length=0)},
            ["problem", "code"]),
    {"language": "python", "quality_scale_max": 5},
    {"problem": "Return the sum of a list.", "code": "def total(xs):\n    return sum(xs[1:])\n"},
    {"verdict": "incorrect", "bugs": [{"line": 2, "description": "Skips the first element."}], "quality": 2},
    text_fields=("problem",),
))

# How much better the preferred response is (the quality room scores gold answers with the same words).
STRENGTHS = ("slightly", "clearly", "much")

KIND_CHOICES = [(name, kind.label) for name, kind in KINDS.items()]
RESERVED_ROW_FIELDS = ("gold", "metadata", "external_id")
METADATA_SCHEMA = {"type": "object", "maxProperties": 50,
                   "description": "Your own fields (strings, numbers, booleans), returned with results."}


def get_kind(kind: str) -> Kind:
    try:
        return KINDS[kind]
    except KeyError:
        raise ValidationFailed(f"Unknown task kind {kind!r}; choose one of: {', '.join(KINDS)}.",
                               errors={"kind": "is not a task kind"}, field="kind") from None


def config_schema(kind: str) -> dict:
    return get_kind(kind).config


def task_schema(kind: str) -> dict:
    return get_kind(kind).task


def import_row_schema(kind: str) -> dict:
    """One row of an import file: the kind's task fields plus optional gold, metadata and external_id."""
    spec = get_kind(kind)
    base = copy.deepcopy(spec.import_task or spec.task)
    base["properties"].update({"gold": {"type": "object", "description": "The correct answer, for quality checks."},
                               "metadata": METADATA_SCHEMA,
                               "external_id": _text(200, description="Your id for this task.")})
    return base


def task_input_fields(kind: str) -> tuple[list[str], list[str]]:
    """(required, optional) task fields of an import row, for CSV headers and help text."""
    schema = get_kind(kind).import_task or get_kind(kind).task
    required = list(schema["required"])
    return required, [name for name in schema["properties"] if name not in required]


def with_defaults(schema: dict, data: dict) -> dict:
    filled = dict(data)
    for name, prop in schema.get("properties", {}).items():
        if name not in filled and "default" in prop:
            filled[name] = copy.deepcopy(prop["default"])
    return filled


def validate_config(kind: str, config: dict | None) -> dict:
    """Check a kind's configuration; returns it with defaults filled in, or raises ValidationFailed."""
    spec = get_kind(kind)
    if not isinstance(config, dict):
        raise ValidationFailed("The task configuration must be an object.", errors={"config": "must be an object"})
    errors = {("config." + k).removesuffix(".config"): v
              for k, v in schema_errors(spec.config, config, root="config").items()}
    if not errors:
        config = with_defaults(spec.config, config)
        errors = {f"config.{k}": v for k, v in _config_rules(kind, config).items()}
    if errors:
        first = next(iter(errors.items()))
        raise ValidationFailed(f"Task configuration: {first[0].removeprefix('config.')} {first[1]}.", errors=errors)
    return config


def _config_rules(kind: str, config: dict) -> dict[str, str]:
    """Rules that span several fields of a configuration."""
    errors: dict[str, str] = {}
    labels = config.get("labels")
    if labels is not None and any(not label.strip() for label in labels):
        errors["labels"] = "must not contain blank labels"
    if kind == "writing" and config["min_chars"] > config["max_chars"]:
        errors["min_chars"] = "must not be more than the maximum length"
    if kind == "bounding_boxes" and config["min_boxes"] > config["max_boxes"]:
        errors["min_boxes"] = "must not be more than the maximum number of boxes"
    if kind == "rating":
        names = [scale["name"].strip().lower() for scale in config["rubric"]]
        if len(set(names)) != len(names):
            errors["rubric"] = "must not name a scale twice"
    return errors


def task_validator(kind: str):
    """A fast check for one import row (already parsed): returns None or "field: sentence"."""
    return fast_validator(import_row_schema(kind))


from .answers import answer_checker, answer_schema, validate_answer  # noqa: E402  (answers build on the kinds above)

__all__ = ["KINDS", "KIND_CHOICES", "Kind", "answer_checker", "answer_schema", "config_schema", "get_kind", "import_row_schema",
           "task_input_fields", "task_schema", "task_validator", "validate_answer", "validate_config"]
