"""Gold scoring per task kind: compare a trainer's answer with the gold answer and explain the result in words.

Answer shapes (as stored by the jobs room, issue 5):
- classification:       {"label": "hateful"} or {"labels": ["spam", "ad"]} (multi-label)
- bounding_boxes:       {"boxes": [{"label": "car", "x": 10, "y": 20, "w": 50, "h": 30}, ...]} in image pixels
- pairwise_preference:  {"preferred": "A" | "B" | "tie", "strength": "slightly" | "clearly" | "much"}
                        (in the task's A/B order: the work page must undo its per-trainer display shuffle)
- rating:               {"scores": {"helpfulness": 5, "honesty": 7}}
- code_review:          {"verdict": "correct" | "incorrect", "bugs": [...], "quality": 3}
- writing:              {"text": "..."} - never scored automatically

score_gold() returns None when a kind (writing, or a code review gold without a verdict) needs a person to judge.
A malformed TRAINER answer fails with an explanation (never an exception); a malformed GOLD answer raises
GoldFormatError, because that is the requester's data to fix, not the trainer's fault.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from .boxes import Box, iou_matrix, match_boxes, parse_boxes

KINDS = ("classification", "bounding_boxes", "pairwise_preference", "rating", "code_review", "writing")
STRENGTHS = ("slightly", "clearly", "much")
NEEDS_HUMAN_REVIEW = "This kind of answer is not scored automatically: it needs human review."


class GoldFormatError(ValueError):
    """The gold answer itself is malformed (the requester must correct it)."""


@dataclass(frozen=True)
class ScoringRules:
    """Per-job knobs; defaults are the usual ones. Rating tolerance may be one number or one per scale."""

    iou_threshold: float = 0.5           # a box matches when IoU >= this (PASCAL VOC's classic 0.5)
    extra_box_tolerance: int = 0         # how many unmatched extra boxes still pass
    rating_tolerance: float | Mapping[str, float] = 1
    check_strength: bool = False         # pairwise: also compare strength
    strength_tolerance: int = 0          # pairwise: steps of strength allowed off (slightly->clearly is 1)

    def __post_init__(self):
        if not 0 < self.iou_threshold <= 1:
            raise ValueError("iou_threshold must be in (0, 1]")
        if self.extra_box_tolerance < 0 or self.strength_tolerance < 0:
            raise ValueError("tolerances cannot be negative")

    def tolerance_for(self, scale: str) -> float:
        if isinstance(self.rating_tolerance, Mapping):
            return float(self.rating_tolerance.get(scale, 0))
        return float(self.rating_tolerance)


@dataclass(frozen=True)
class GoldResult:
    """passed: the item counts as correct; score: partial credit 0..1; explanation: what the trainer reads."""

    passed: bool
    score: float
    explanation: str
    details: tuple = field(default=(), compare=False)  # per-part facts (boxes, scales) for a detailed view


def score_gold(kind: str, answer: Mapping[str, Any] | None, gold: Mapping[str, Any],
               rules: ScoringRules | None = None) -> GoldResult | None:
    """Score one answer against its gold answer; None means "needs human review" (not auto-scored)."""
    rules = rules or ScoringRules()
    if kind not in SCORERS and kind != "writing":
        raise ValueError(f"unknown task kind {kind!r}; expected one of {', '.join(KINDS)}")
    if not isinstance(gold, Mapping):
        raise GoldFormatError("the gold answer must be an object")
    if kind == "writing":
        return None
    if not isinstance(answer, Mapping):
        return GoldResult(False, 0.0, "No answer was recorded for this item.")
    return SCORERS[kind](answer, gold, rules)


def needs_human_review(kind: str, gold: Mapping[str, Any]) -> bool:
    """True when score_gold would return None, so the room can queue the item for a person instead."""
    return kind == "writing" or (kind == "code_review" and "verdict" not in gold)


# -- classification -----------------------------------------------------------------------------------------------

def _labels(data: Mapping[str, Any], who: str) -> frozenset[str] | None:
    if "labels" in data:
        labels = data["labels"]
        if isinstance(labels, str) or not isinstance(labels, (list, tuple, set, frozenset)):
            return None if who == "answer" else _bad_gold("'labels' must be a list")
        return frozenset(str(v) for v in labels)
    if "label" in data and data["label"] is not None:
        return frozenset([str(data["label"])])
    return None if who == "answer" else _bad_gold("needs 'label' or 'labels'")


def _bad_gold(msg: str):
    raise GoldFormatError(f"gold answer {msg}")


def _quote_all(labels: Iterable[str]) -> str:
    items = [f"'{v}'" for v in sorted(labels)]
    if not items:
        return "no label"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def score_classification(answer, gold, rules) -> GoldResult:
    expected = _labels(gold, "gold")
    given = _labels(answer, "answer")
    if given is None:
        return GoldResult(False, 0.0, f"No label was chosen; the expected answer is {_quote_all(expected)}.")
    if given == expected:
        return GoldResult(True, 1.0, f"Correct: {_quote_all(expected)}.")
    multi = len(expected) > 1 or len(given) > 1 or "labels" in gold
    if not multi:
        return GoldResult(False, 0.0,
                          f"You chose {_quote_all(given)}; the expected label is {_quote_all(expected)}.")
    # Multi-label: the item passes only on the exact set; partial credit is the Jaccard overlap of the two sets.
    union = expected | given
    score = len(expected & given) / len(union) if union else 1.0
    parts = []
    if expected - given:
        parts.append(f"missed {_quote_all(expected - given)}")
    if given - expected:
        parts.append(f"added {_quote_all(given - expected)}")
    return GoldResult(False, score, f"{len(expected & given)} of {len(expected)} expected labels chosen; "
                                    f"{'; '.join(parts)}.")


# -- bounding boxes -----------------------------------------------------------------------------------------------

def score_boxes(answer, gold, rules) -> GoldResult:
    try:
        expected = parse_boxes(gold.get("boxes"))
    except ValueError as exc:
        raise GoldFormatError(f"gold answer: {exc}") from None
    try:
        drawn = parse_boxes(answer.get("boxes"))
    except ValueError as exc:
        return GoldResult(False, 0.0, f"The answer's boxes could not be read: {exc}.")
    t = rules.iou_threshold
    if not expected and not drawn:
        return GoldResult(True, 1.0, "Correct: no boxes were expected and none were drawn.")
    matches = match_boxes(expected, drawn, t)
    matched_gold = {g for g, _, _ in matches}
    n_extra = len(drawn) - len(matches)
    score = len(matches) / max(len(expected), len(drawn))
    passed = len(matched_gold) == len(expected) and n_extra <= rules.extra_box_tolerance

    # Explain each miss only against boxes not already matched to another expected box.
    matched_drawn = {p for _, p, _ in matches}
    free = [d for j, d in enumerate(drawn) if j not in matched_drawn]
    notes = [_why_unmatched(expected[g], free, t) for g in range(len(expected)) if g not in matched_gold]
    if n_extra:
        notes.append(f"{n_extra} box{'es' if n_extra > 1 else ''} drawn where none was expected"
                     + (f" (up to {rules.extra_box_tolerance} allowed)" if rules.extra_box_tolerance else ""))
    head = f"{len(matches)} of {len(expected)} box{'es' if len(expected) != 1 else ''} matched"
    text = head + ("; " + "; ".join(notes) if notes else "") + "."
    if passed:
        text = "Correct: " + text
    details = tuple({"gold": g, "answer": p, "iou": round(v, 4)} for g, p, v in matches)
    return GoldResult(passed, score, text, details)


def _why_unmatched(box: Box, drawn: list[Box], t: float) -> str:
    # Tell the trainer the nearest miss: a same-label box that overlapped too little, or a box in the right
    # place with the wrong label, or nothing near it at all.
    same = [d for d in drawn if d.label == box.label]
    if same:
        best = float(iou_matrix([box], same).max())
        if best > 0:
            return (f"the '{box.label}' box at {box.where()} overlapped the expected one by {best:.0%}, "
                    f"below {t:.0%}")
    others = [d for d in drawn if d.label != box.label]
    if others:
        m = iou_matrix([box], others)[0]
        k = int(m.argmax())
        if m[k] >= t:
            return f"the box at {box.where()} is labelled '{others[k].label}' instead of '{box.label}'"
    return f"the expected '{box.label}' box at {box.where()} is missing"


# -- pairwise preference ------------------------------------------------------------------------------------------

def _side(data: Mapping[str, Any]) -> str | None:
    v = data.get("preferred")
    return str(v).upper() if v is not None and str(v).upper() in ("A", "B", "TIE") else None


def _side_words(side: str) -> str:
    return "a tie" if side == "TIE" else f"response {side}"


def score_preference(answer, gold, rules) -> GoldResult:
    expected = _side(gold)
    if expected is None:
        raise GoldFormatError("gold answer needs 'preferred' of A, B or tie")
    given = _side(answer)
    if given is None:
        return GoldResult(False, 0.0, f"No preference was chosen; the expected answer is {_side_words(expected)}.")
    if given != expected:
        return GoldResult(False, 0.0, f"You preferred {_side_words(given)}; the expected answer is "
                                      f"{_side_words(expected)}.")
    if not rules.check_strength or expected == "TIE" or gold.get("strength") not in STRENGTHS:
        return GoldResult(True, 1.0, f"Correct: {_side_words(expected)}.")
    want = STRENGTHS.index(gold["strength"])
    got = STRENGTHS.index(answer["strength"]) if answer.get("strength") in STRENGTHS else None
    if got is None:
        return GoldResult(False, 0.5, f"Correct side ({_side_words(expected)}) but no strength was given; "
                                      f"expected '{gold['strength']}'.")
    off = abs(want - got)
    # Partial credit: the side is worth half, the strength the other half, losing a quarter per step off.
    score = 1.0 - 0.25 * off
    passed = off <= rules.strength_tolerance
    if off == 0:
        return GoldResult(True, 1.0, f"Correct: {_side_words(expected)}, '{gold['strength']}' better.")
    return GoldResult(passed, score, f"Correct side ({_side_words(expected)}); you said '{answer['strength']}' "
                                     f"better, the expected strength is '{gold['strength']}'.")


# -- rating -------------------------------------------------------------------------------------------------------

def score_rating(answer, gold, rules) -> GoldResult:
    expected = gold.get("scores")
    if not isinstance(expected, Mapping) or not expected:
        raise GoldFormatError("gold answer needs 'scores' with at least one scale")
    given = answer.get("scores") if isinstance(answer.get("scores"), Mapping) else {}
    ok, notes, details = 0, [], []
    # Only the scales the gold answer names are compared: a requester may gold just the scales that matter.
    for scale in expected:
        want, tol = _number(expected[scale]), rules.tolerance_for(scale)
        if want is None:
            raise GoldFormatError(f"gold score for '{scale}' is not a number")
        got = _number(given.get(scale))
        within = got is not None and abs(got - want) <= tol
        ok += within
        details.append({"scale": scale, "expected": want, "answer": got, "tolerance": tol, "within": within})
        if got is None:
            notes.append(f"'{scale}' was not rated (expected {_fmt(want)})")
        elif not within:
            notes.append(f"'{scale}' rated {_fmt(got)}, expected {_fmt(want)} ± {_fmt(tol)}")
    n = len(expected)
    if ok == n:
        return GoldResult(True, 1.0, f"Correct: all {n} scale{'s' if n > 1 else ''} within tolerance.",
                          tuple(details))
    return GoldResult(False, ok / n, f"{ok} of {n} scales within tolerance; {'; '.join(notes)}.", tuple(details))


def _number(v) -> float | None:
    if isinstance(v, bool):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


# -- code review --------------------------------------------------------------------------------------------------

def score_code_review(answer, gold, rules) -> GoldResult | None:
    # The verdict is the objective part; bug descriptions and quality scores need a person to judge.
    if "verdict" not in gold:
        return None
    expected = str(gold["verdict"]).lower()
    if expected not in ("correct", "incorrect"):
        raise GoldFormatError("gold verdict must be 'correct' or 'incorrect'")
    given = str(answer.get("verdict") or "").lower()
    if not given:
        return GoldResult(False, 0.0, f"No verdict was given; the expected verdict is '{expected}'.")
    if given == expected:
        return GoldResult(True, 1.0, f"Correct: the code is {expected}.")
    return GoldResult(False, 0.0, f"You judged the code '{given}'; the expected verdict is '{expected}'.")


SCORERS = {
    "classification": score_classification,
    "bounding_boxes": score_boxes,
    "pairwise_preference": score_preference,
    "rating": score_rating,
    "code_review": score_code_review,
}


# -- summaries ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Accuracy:
    """A trainer's gold record: always shown with the number of items behind it, never a bare percentage."""

    n_items: int
    n_passed: int
    mean_score: float | None

    @property
    def accuracy(self) -> float | None:
        return self.n_passed / self.n_items if self.n_items else None

    def text(self) -> str:
        if not self.n_items:
            return "No gold items scored yet."
        return f"{self.accuracy:.0%} ({self.n_passed} of {self.n_items} gold items correct)"


def summarise(results: Iterable[GoldResult | None]) -> Accuracy:
    """Accuracy over scored items; None results (awaiting human review) are left out, not counted as wrong."""
    scored = [r for r in results if r is not None]
    n = len(scored)
    return Accuracy(n, sum(r.passed for r in scored), sum(r.score for r in scored) / n if n else None)


@dataclass(frozen=True)
class Rescore:
    """One trainer's item after the gold answer was corrected: the new result and whether it changed."""

    trainer: Any
    before: bool | None
    after: GoldResult | None

    @property
    def changed(self) -> bool:
        return (self.after.passed if self.after else None) != self.before


def rescore_after_correction(kind: str, answers: Iterable[tuple[Any, Mapping[str, Any] | None, bool | None]],
                             corrected_gold: Mapping[str, Any], rules: ScoringRules | None = None) -> list[Rescore]:
    """Re-score every (trainer, answer, passed before) on a gold item whose answer the requester corrected.

    The room stores the new results and tells each trainer whose result `changed`; the others keep theirs.
    """
    return [Rescore(trainer, before, score_gold(kind, answer, corrected_gold, rules))
            for trainer, answer, before in answers]
