"""Reading the work page's form into a kind's answer (or a draft), for every kind but classification (forms.py).

The page posts plain form fields, so it works without JavaScript (except the image boxes' drawing, which also
has number fields): repeated fields for boxes and bugs, one radio group per rubric scale. Parsing only builds
the answer's shape; the kind's schema in jobs/answers.py decides whether it is valid (services.submit).
"""
from __future__ import annotations

import hashlib
import random

from ..core.errors import ValidationFailed
from ..jobs.answers import response_letters

MAX_ROWS = 500  # boxes or bugs read from one form; the schema's own maximum gives the sentence


def response_order(task_id: int, worker_id: int, payload: dict) -> list[str]:
    """The order a pairwise task's responses are shown to one trainer: shuffled, but the same on every reload
    (seeded by task and trainer), so position bias averages out across trainers and a draft stays in place."""
    letters = response_letters(payload)
    seed = int.from_bytes(hashlib.sha256(f"pairwise:{task_id}:{worker_id}".encode()).digest()[:8], "big")
    random.Random(seed).shuffle(letters)
    return letters


def _text(form, name: str, limit: int = 100_000) -> str:
    # Browsers send line breaks as CRLF; the page counts characters with LF, so the server does too.
    return (form.get(name) or "").replace("\r\n", "\n")[:limit]


def _number(raw: str):
    """A number typed or computed in the page: whole numbers stay ints (pixels), others keep two decimals."""
    value = float(raw)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(raw)
    return int(value) if value.is_integer() else round(value, 2)


def _int_or_none(raw: str | None):
    try:
        return int(raw) if raw not in (None, "") else None
    except ValueError:
        return None


def _rows(form, *names: str) -> list[tuple[str, ...]]:
    columns = [form.getlist(name)[:MAX_ROWS] for name in names]
    width = max((len(c) for c in columns), default=0)
    return [tuple((c[i] if i < len(c) else "").strip() for c in columns) for i in range(width)]


# --- bounding boxes ---------------------------------------------------------------------------------------------

def _boxes(form, strict: bool) -> list[dict]:
    boxes, errors = [], {}
    for i, (label, *coords) in enumerate(_rows(form, "box_label", "box_x", "box_y", "box_w", "box_h")):
        if not label and not any(coords):
            continue  # an empty row of the no-JavaScript form
        box = {"label": label}
        for key, raw in zip(("x", "y", "w", "h"), coords):
            try:
                box[key] = _number(raw)
            except ValueError:
                errors.setdefault(f"boxes[{len(boxes)}].{key}", "must be a number")
                box[key] = raw
        boxes.append(box)
    if strict and errors:
        raise ValidationFailed(f"Answer: {next(iter(errors))} {next(iter(errors.values()))}.", errors=errors)
    return boxes


def _bounding_boxes(config: dict, form, assignment) -> dict:
    boxes = _boxes(form, strict=True)
    if not boxes and not config.get("min_boxes") and not form.get("nothing_to_box"):
        raise ValidationFailed("Draw a box around each object, or tick 'Nothing to box in this image'.",
                               errors={"boxes": "are empty: draw a box, or tick 'Nothing to box in this image'"})
    return {"boxes": boxes}


# --- writing ----------------------------------------------------------------------------------------------------

def _input_stats(form) -> dict | None:
    stats = {key: _int_or_none(form.get(key)) for key in ("typed_chars", "pasted_chars", "pastes")}
    if any(value is None or value < 0 for value in stats.values()):
        return None  # not measured (no JavaScript): the answer says nothing rather than something wrong
    return stats


def _writing(config: dict, form, assignment) -> dict:
    answer: dict = {"text": _text(form, "text")}
    stats = _input_stats(form)
    if stats is not None:
        answer["input_stats"] = stats
    return answer


# --- pairwise preference ----------------------------------------------------------------------------------------

def _pairwise(config: dict, form, assignment) -> dict:
    payload = assignment.task.payload if assignment is not None else {}
    ranking = [letter for letter in form.getlist("ranking") if letter][:20]
    preferred = form.get("preferred") or ""
    if ranking and len(response_letters(payload)) > 2 and not preferred:
        # A ranking page has no A/B buttons: the better of a and b is read from the ranking.
        preferred = min(("a", "b"), key=lambda x: ranking.index(x) if x in ranking else len(ranking))
    answer: dict = {"preferred": preferred, "reason": _text(form, "reason", 5000).strip()}
    strength = form.get("strength") or ""
    if strength and preferred != "tie":
        answer["strength"] = strength
    if len(response_letters(payload)) > 2:
        answer["ranking"] = ranking
    if assignment is not None:
        # The order this trainer was shown, computed here rather than taken from the page.
        answer["order"] = response_order(assignment.task_id, assignment.worker_id, payload)
    return answer


# --- rubric rating ----------------------------------------------------------------------------------------------

def _rating(config: dict, form, assignment) -> dict:
    scores, comments = {}, {}
    for i, scale in enumerate(config.get("rubric") or []):
        raw = form.get(f"score-{i}")
        score = _int_or_none(raw)
        if raw and score is None:
            raise ValidationFailed(f"Answer: scores.{scale['name']} must be a whole number.",
                                   errors={f"scores.{scale['name']}": "must be a whole number"})
        if score is not None:
            scores[scale["name"]] = score
        comment = _text(form, f"scale-comment-{i}", 5000).strip()
        if comment:
            comments[scale["name"]] = comment
    answer: dict = {"scores": scores}
    if comments:
        answer["scale_comments"] = comments
    overall = _text(form, "comments", 5000).strip()
    if overall:
        answer["comments"] = overall
    return answer


# --- code review ------------------------------------------------------------------------------------------------

def _bugs(form) -> tuple[list[dict], dict]:
    bugs, errors = [], {}
    for line, description in _rows(form, "bug_line", "bug_description"):
        if not line and not description:
            continue
        number = _int_or_none(line)
        if number is None:
            errors.setdefault(f"bugs[{len(bugs)}].line", "must be a line number")
        bugs.append({"line": number if number is not None else line, "description": description})
    return bugs, errors


def _code_review(config: dict, form, assignment) -> dict:
    bugs, errors = _bugs(form)
    if errors:
        raise ValidationFailed(f"Answer: {next(iter(errors))} {next(iter(errors.values()))}.", errors=errors)
    answer: dict = {"verdict": form.get("verdict") or "", "bugs": bugs}
    quality = _int_or_none(form.get("quality"))
    if quality is not None:
        answer["quality"] = quality
    comments = _text(form, "comments", 5000).strip()
    if comments:
        answer["comments"] = comments
    return answer


ANSWER_READERS = {"bounding_boxes": _bounding_boxes, "writing": _writing, "pairwise_preference": _pairwise,
                  "rating": _rating, "code_review": _code_review}


def answer_from_form(kind: str, config: dict, form, assignment=None) -> dict:
    """The answer a work page posted, in the kind's answer shape (services.submit validates it)."""
    reader = ANSWER_READERS.get(kind)
    if reader is None:
        raise ValidationFailed("Tasks of this kind are answered through the API.", code="kind_not_in_browser")
    return reader(config or {}, form, assignment)


def draft_from_form(kind: str, form) -> dict:
    """What the work page autosaves: the fields as typed, unchecked (a draft may be half done)."""
    if kind == "bounding_boxes":
        return {"boxes": _boxes(form, strict=False), "nothing_to_box": bool(form.get("nothing_to_box"))}
    if kind == "writing":
        draft: dict = {"text": _text(form, "text")}
        stats = _input_stats(form)
        if stats is not None:
            draft["input_stats"] = stats
        return draft
    if kind == "pairwise_preference":
        return {"preferred": form.get("preferred", "")[:10], "strength": form.get("strength", "")[:10],
                "reason": _text(form, "reason", 5000), "ranking": form.getlist("ranking")[:20]}
    if kind == "rating":
        scores = {k.removeprefix("score-"): v[:3] for k, v in form.items() if k.startswith("score-")}
        comments = {k.removeprefix("scale-comment-"): v[:5000] for k, v in form.items()
                    if k.startswith("scale-comment-")}
        return {"score_fields": scores, "comment_fields": comments, "comments": _text(form, "comments", 5000)}
    if kind == "code_review":
        bugs = [{"line": line, "description": description}
                for line, description in _rows(form, "bug_line", "bug_description") if line or description]
        return {"verdict": form.get("verdict", "")[:20], "bugs": bugs, "quality": form.get("quality", "")[:3],
                "comments": _text(form, "comments", 5000)}
    return {}
