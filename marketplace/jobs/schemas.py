"""JSON Schemas of a job as requesters write it (API bodies and the web wizard use the same ones)."""
from __future__ import annotations

from ..core.taxonomy import EXPERTISE_AREAS, PROFICIENCY_LEVELS
from .kinds import KINDS
from .models import REVIEW_POLICIES

LANGUAGE_REQUIREMENT = {
    "type": "object", "additionalProperties": False, "required": ["code", "min_proficiency"],
    "properties": {"code": {"type": "string", "pattern": "^[a-z]{2}$", "description": "ISO 639-1 code, e.g. ja"},
                   "min_proficiency": {"type": "string", "enum": PROFICIENCY_LEVELS}},
}

JOB_FIELDS: dict[str, dict] = {
    "title": {"type": "string", "minLength": 3, "maxLength": 200},
    "summary": {"type": "string", "maxLength": 500, "description": "One or two sentences trainers see in lists."},
    "instructions": {"type": "string", "maxLength": 50_000, "description": "Markdown; images and examples allowed."},
    "kind": {"type": "string", "enum": list(KINDS)},
    "config": {"type": "object", "description": "The kind's configuration; see the TaskKind schemas.",
               "anyOf": [{"$ref": f"#/components/schemas/Config_{name}"} for name in KINDS]},
    "required_languages": {"type": "array", "maxItems": 10, "items": LANGUAGE_REQUIREMENT},
    "required_expertise": {"type": "array", "maxItems": 10, "uniqueItems": True,
                           "items": {"type": "string", "enum": list(EXPERTISE_AREAS)}},
    "required_qualifications": {"type": "array", "maxItems": 20, "uniqueItems": True,
                                "items": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,79}$",
                                          "description": "A qualification key, e.g. hate-speech-en"}},
    "allowed_countries": {"type": "array", "maxItems": 250, "uniqueItems": True,
                          "items": {"type": "string", "pattern": "^[A-Z]{2}$",
                                    "description": "ISO 3166-1 alpha-2 code, e.g. JP"}},
    "country_reason": {"type": "string", "maxLength": 1000,
                       "description": "Why the job is limited to these countries; trainers elsewhere read it."},
    "content_warning": {"type": "string", "maxLength": 2000,
                        "description": "What distressing content the tasks hold; trainers accept it first."},
    "hourly_rate_cents": {"type": "integer", "minimum": 1, "maximum": 100_000},
    "est_minutes_per_task": {"type": "integer", "minimum": 1, "maximum": 600},
    "weekly_limit_minutes": {"type": "integer", "minimum": 0, "maximum": 10_080,
                             "description": "Hours one trainer may work on this job per week, in minutes; 0: none."},
    "budget_cents": {"type": "integer", "minimum": 0, "maximum": 10_000_000_00},
    "answers_per_task": {"type": "integer", "minimum": 1, "maximum": 10},
    "review_policy": {"type": "string", "enum": list(REVIEW_POLICIES)},
    "review_window_hours": {"type": "integer", "minimum": 1, "maximum": 720},
    "reservation_minutes": {"type": "integer", "minimum": 5, "maximum": 480},
}

JOB_CREATE = {"type": "object", "additionalProperties": False, "properties": JOB_FIELDS,
              "required": ["title", "kind", "hourly_rate_cents"]}
JOB_UPDATE = {"type": "object", "additionalProperties": False, "properties": JOB_FIELDS}


def standalone(schema: dict) -> dict:
    """The schema for validation outside the OpenAPI document (config references resolved to 'object')."""
    properties = dict(schema["properties"])
    properties["config"] = {"type": "object"}
    return {**schema, "properties": properties}
