"""Pure validation of assessment files (format 1): every problem is reported by place, none is fixed silently."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from .kinds import ITEM_KINDS, QUALIFICATION_KINDS

FORMAT_VERSION = 1
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
MAX_ITEMS = 1000
MAX_TEXT = 20_000

QUALIFICATION_FIELDS = {"key", "name", "kind", "description", "validity_days"}
ASSESSMENT_FIELDS = {"key", "title", "description", "content_warning", "items_per_attempt", "pass_mark_percent",
                     "time_limit_minutes", "max_attempts", "cooldown_hours", "requires_review"}
ITEM_FIELDS = {"key", "kind", "prompt", "question", "options", "answer", "explanation", "rationale", "tags"}


class ImportProblems(Exception):
    """The file cannot be imported; `problems` lists every reason, each naming where it is."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class ParsedItem:
    key: str
    kind: str
    prompt: str
    question: str
    options: list[dict]
    answer: list[str]
    explanation: str
    rationale_required: bool
    tags: list[str]

    @property
    def content_hash(self) -> str:
        return content_hash(self.kind, self.prompt, self.question, self.options)


@dataclass
class ParsedFile:
    qualification: dict[str, Any]
    assessment: dict[str, Any]
    items: list[ParsedItem] = field(default_factory=list)


def content_hash(kind: str, prompt: str, question: str, options: list[dict]) -> str:
    """Identify what a trainer sees of an item; the gold answer and explanation are deliberately left out."""
    payload = json.dumps([kind, prompt, question, [[o["key"], o["text"]] for o in options]], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def parse_json(raw: bytes | str) -> Any:
    """Decode a file's bytes as JSON, with the line and column of the first error."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise ImportProblems([f"The file is not UTF-8 text (byte {exc.start} cannot be read)."]) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportProblems([f"The file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."]) \
            from exc


class _Checker:
    def __init__(self):
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def text(self, where, data, name, *, required=True, max_len=MAX_TEXT) -> str:
        value = data.get(name)
        if value is None or value == "":
            if required:
                self.add(where, f"'{name}' is missing; it must be text.")
            return ""
        if not isinstance(value, str):
            self.add(where, f"'{name}' must be text, not {type(value).__name__}.")
            return ""
        if len(value) > max_len:
            self.add(where, f"'{name}' is {len(value)} characters long; the most allowed is {max_len}.")
        return value

    def key(self, where, data, name="key") -> str:
        value = data.get(name)
        if not isinstance(value, str) or not KEY_PATTERN.match(value):
            self.add(where, f"'{name}' must be 1 to 80 lower-case letters, digits, dots, dashes or underscores "
                            f"(got {value!r}).")
            return ""
        return value

    def integer(self, where, data, name, low, high, *, nullable=False) -> int | None:
        value = data.get(name)
        if value is None and nullable:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            self.add(where, f"'{name}' must be a whole number from {low} to {high} (got {value!r}).")
            return None
        return value

    def unknown(self, where, data, allowed) -> None:
        extra = sorted(set(data) - allowed)
        if extra:
            self.add(where, f"unknown field{'s' if len(extra) > 1 else ''} {', '.join(repr(e) for e in extra)} "
                            f"(allowed: {', '.join(sorted(allowed))}).")


def validate(data: Any) -> ParsedFile:
    """Check a decoded file and return it parsed; raise ImportProblems listing every problem found."""
    check = _Checker()
    if not isinstance(data, dict):
        raise ImportProblems(["The file must hold one JSON object with 'format', 'qualification', "
                              "'assessment' and 'items'."])
    if data.get("format") != FORMAT_VERSION:
        check.add("file", f"'format' must be {FORMAT_VERSION} (got {data.get('format')!r}).")
    check.unknown("file", data, {"format", "qualification", "assessment", "items"})
    qualification = _qualification(check, data.get("qualification"))
    assessment = _assessment(check, data.get("assessment"))
    items = _items(check, data.get("items"))
    if items and assessment.get("items_per_attempt") and assessment["items_per_attempt"] > len(items):
        check.add("assessment", f"'items_per_attempt' is {assessment['items_per_attempt']} but the bank has only "
                                f"{len(items)} items.")
    if assessment.get("requires_review") is False:
        for number, item in enumerate(items, 1):
            if item.kind == "free_text" or item.rationale_required:
                check.add(_where(number, item.key), "needs a written answer, but the assessment has "
                                                    "'requires_review': false, so nobody would mark it.")
    if check.problems:
        raise ImportProblems(check.problems)
    return ParsedFile(qualification=qualification, assessment=assessment, items=items)


def _qualification(check: _Checker, data) -> dict:
    where = "qualification"
    if not isinstance(data, dict):
        check.add(where, "must be an object with key, name, kind, description and validity_days.")
        return {}
    check.unknown(where, data, QUALIFICATION_FIELDS)
    kind = data.get("kind")
    if kind not in QUALIFICATION_KINDS:
        check.add(where, f"'kind' must be one of {', '.join(QUALIFICATION_KINDS)} (got {kind!r}).")
    return {"key": check.key(where, data), "name": check.text(where, data, "name", max_len=200), "kind": kind,
            "description": check.text(where, data, "description", required=False),
            "validity_days": check.integer(where, data, "validity_days", 1, 3650, nullable=True)}


def _assessment(check: _Checker, data) -> dict:
    where = "assessment"
    if not isinstance(data, dict):
        check.add(where, "must be an object with the assessment's key, title and rules.")
        return {}
    check.unknown(where, data, ASSESSMENT_FIELDS)
    requires_review = data.get("requires_review")
    if not isinstance(requires_review, bool):
        check.add(where, f"'requires_review' must be true or false (got {requires_review!r}).")
        requires_review = None
    return {
        "key": check.key(where, data), "title": check.text(where, data, "title", max_len=200),
        "description": check.text(where, data, "description", required=False),
        "content_warning": check.text(where, data, "content_warning", required=False, max_len=2000),
        "items_per_attempt": check.integer(where, data, "items_per_attempt", 1, 200),
        "pass_mark_percent": check.integer(where, data, "pass_mark_percent", 1, 100),
        "time_limit_minutes": check.integer(where, data, "time_limit_minutes", 1, 600),
        "max_attempts": check.integer(where, data, "max_attempts", 1, 20),
        "cooldown_hours": check.integer(where, data, "cooldown_hours", 0, 24 * 365),
        "requires_review": requires_review,
    }


def _where(number: int, key: str | None) -> str:
    return f"item {number}" + (f" ({key})" if key else "")


def _items(check: _Checker, data) -> list[ParsedItem]:
    if not isinstance(data, list) or not data:
        check.add("items", "must be a non-empty list of items.")
        return []
    if len(data) > MAX_ITEMS:
        check.add("items", f"at most {MAX_ITEMS} items per file (got {len(data)}).")
        return []
    parsed, seen = [], set()
    for number, raw in enumerate(data, 1):
        if not isinstance(raw, dict):
            check.add(_where(number, None), "must be an object.")
            continue
        item = _item(check, number, raw)
        if item.key and item.key in seen:
            check.add(_where(number, item.key), "the key is used by an earlier item; keys must be unique.")
        seen.add(item.key)
        parsed.append(item)
    return parsed


def _item(check: _Checker, number: int, raw: dict) -> ParsedItem:
    key = raw.get("key") if isinstance(raw.get("key"), str) else None
    where = _where(number, key)
    check.unknown(where, raw, ITEM_FIELDS)
    key = check.key(where, raw)
    kind = raw.get("kind")
    if kind not in ITEM_KINDS:
        check.add(where, f"'kind' must be one of {', '.join(ITEM_KINDS)} (got {kind!r}).")
    prompt = check.text(where, raw, "prompt", required=False)
    question = check.text(where, raw, "question")
    explanation = check.text(where, raw, "explanation")
    rationale = raw.get("rationale")
    if rationale not in (None, "required", "none"):
        check.add(where, f"'rationale' must be \"required\" or left out (got {rationale!r}).")
    rationale_required = rationale == "required"
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        check.add(where, "'tags' must be a list of text labels.")
        tags = []
    options: list[dict] = []
    answer: list[str] = []
    if kind == "free_text":
        if raw.get("options") or raw.get("answer"):
            check.add(where, "a free_text item has no 'options' or 'answer'; the explanation guides the reviewer.")
        if rationale_required:
            check.add(where, "a free_text item is itself a written answer; leave 'rationale' out.")
    elif kind in ("single_choice", "multiple_choice"):
        options = _options(check, where, raw.get("options"))
        answer = _answer(check, where, kind, raw.get("answer"), [o["key"] for o in options])
    return ParsedItem(key=key, kind=kind or "", prompt=prompt, question=question, options=options, answer=answer,
                      explanation=explanation, rationale_required=rationale_required, tags=list(tags))


def _options(check: _Checker, where: str, raw) -> list[dict]:
    if not isinstance(raw, list) or len(raw) < 2:
        check.add(where, "a choice item needs 'options': a list of at least two {\"key\", \"text\"} objects.")
        return []
    options, keys = [], set()
    for index, option in enumerate(raw, 1):
        if not isinstance(option, dict) or set(option) != {"key", "text"}:
            check.add(where, f"option {index} must be an object with exactly 'key' and 'text'.")
            continue
        okey, text = option["key"], option["text"]
        if not isinstance(okey, str) or not KEY_PATTERN.match(okey):
            check.add(where, f"option {index} has an invalid key {okey!r}.")
            continue
        if not isinstance(text, str) or not text.strip():
            check.add(where, f"option {index} ({okey}) has no text.")
            continue
        if okey in keys:
            check.add(where, f"option key {okey!r} is used twice.")
            continue
        keys.add(okey)
        options.append({"key": okey, "text": text})
    return options


def _answer(check: _Checker, where: str, kind: str, raw, option_keys: list[str]) -> list[str]:
    if not isinstance(raw, list) or not raw or not all(isinstance(a, str) for a in raw):
        check.add(where, "'answer' must be a non-empty list of option keys (the gold answer).")
        return []
    unknown = [a for a in raw if a not in option_keys]
    if unknown and option_keys:
        check.add(where, f"answer {unknown[0]!r} is not one of the options ({', '.join(option_keys)}).")
    if len(set(raw)) != len(raw):
        check.add(where, "'answer' names an option twice.")
    if kind == "single_choice" and len(raw) != 1:
        check.add(where, f"a single_choice item has exactly one gold option (got {len(raw)}).")
    return list(raw)
