"""JSON Schema helpers: readable error messages for people, and compiled validators for hot paths.

The same schema dicts validate requests, task rows and answers, and are published in the OpenAPI document.
Schemas stay inside the subset OpenAPI 3.0 understands (no type lists, no `const`).
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Callable

import fastjsonschema
import jsonschema

TYPE_WORDS = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
              "object": "an object", "array": "a list", "null": "empty"}


def _path(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _message(error: jsonschema.ValidationError, root: str) -> tuple[str, str]:
    """(field path, sentence) for one error, worded for a person rather than a validator."""
    path = _path(error.absolute_path)
    kind, value = error.validator, error.validator_value
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "a field"
        return (_path([*error.absolute_path, missing]), "is required")
    if kind == "additionalProperties":
        extras = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return (path or root, f"has unknown field{'s' if len(extras) > 1 else ''}: {', '.join(extras)}")
    sentences = {
        "type": lambda: f"must be {TYPE_WORDS.get(value, value)}",
        "enum": lambda: "must be one of: " + ", ".join(str(v) for v in value),
        "minLength": lambda: "must not be empty" if value == 1 else f"must be at least {value} characters",
        "maxLength": lambda: f"must be at most {value} characters",
        "minimum": lambda: f"must be at least {value}",
        "maximum": lambda: f"must be at most {value}",
        "minItems": lambda: f"needs at least {value} item{'s' if value != 1 else ''}",
        "maxItems": lambda: f"allows at most {value} item{'s' if value != 1 else ''}",
        "uniqueItems": lambda: "must not repeat an item",
        "pattern": lambda: error.schema.get("description") or "has the wrong format",
        "maxProperties": lambda: f"allows at most {value} entries",
        "minProperties": lambda: f"needs at least {value} entr{'ies' if value != 1 else 'y'}",
    }
    return (path or root, sentences.get(kind, lambda: error.message)())


def schema_errors(schema: dict, data: Any, root: str = "body") -> dict[str, str]:
    """Every problem with `data` against `schema`: {"field.path": "sentence"}; empty when valid.

    `root` names the whole document in messages about it (unknown fields at the top level)."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    errors: dict[str, str] = {}
    # Missing fields first, then shallow problems before deep ones: the most useful sentence leads.
    ordered = sorted(validator.iter_errors(data),
                     key=lambda e: (e.validator != "required", len(e.absolute_path), str(e.absolute_path)))
    for error in ordered:
        if error.validator in ("anyOf", "oneOf") and error.context:
            error = min(error.context, key=lambda e: len(list(e.absolute_path)))
        field, sentence = _message(error, root)
        errors.setdefault(field, sentence)
    return errors


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(json.loads(schema_json))


@lru_cache(maxsize=256)
def _compiled(schema_json: str) -> Callable[[Any], Any]:
    return fastjsonschema.compile(json.loads(schema_json))


def fast_validator(schema: dict, root: str = "row") -> Callable[[Any], str | None]:
    """A compiled check for hot loops (task import): returns None when valid, else "field: sentence".

    fastjsonschema stops at the first problem, which is enough for a per-row error report; the full
    list comes from schema_errors() when it is wanted.
    """
    check = _compiled(json.dumps(schema, sort_keys=True))

    def validate(data: Any) -> str | None:
        try:
            check(data)
        except fastjsonschema.JsonSchemaValueException:
            errors = schema_errors(schema, data, root)
            if not errors:  # the two libraries disagree only on exotic input; say something useful
                return "body: does not match the schema"
            field, sentence = next(iter(errors.items()))
            return f"{field}: {sentence}"
        return None

    return validate
