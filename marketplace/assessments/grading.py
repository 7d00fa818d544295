"""Pure grading rules: drawing items, grading answers, scores, pass marks, lateness and paid time. No db, no flask."""
from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# A save or submission this many seconds after the deadline still counts as on time: it covers the trip
# from the browser (the page submits by itself when the clock runs out).
GRACE_SECONDS = 10
ANSWER_MAX_CHARS = 3000  # a rationale or free-text answer; a page of text is plenty for a review comment

ACCEPTABLE = "acceptable"
NOT_ACCEPTABLE = "not_acceptable"


@dataclass(frozen=True)
class GradableItem:
    """What grading needs to know about one item of an attempt."""

    kind: str  # single_choice | multiple_choice | free_text
    answer: tuple[str, ...]  # gold option keys (empty for free text)
    selected: tuple[str, ...]
    rationale_required: bool = False
    rationale_mark: str | None = None  # None until a reviewer marks it

    @property
    def needs_writing(self) -> bool:
        return self.kind == "free_text" or self.rationale_required


@dataclass(frozen=True)
class Score:
    scored: int  # every item in the attempt counts
    correct: int
    awaiting_review: int  # written answers not yet marked

    @property
    def percent(self) -> int:
        """Whole percent, rounded down (a score is never shown higher than it is)."""
        return (100 * self.correct) // self.scored if self.scored else 0


def from_item(item) -> GradableItem:
    """Read any object with an item's fields (an attempt's copy of an item) as a GradableItem."""
    return GradableItem(kind=item.kind, answer=tuple(item.answer or ()), selected=tuple(item.selected or ()),
                        rationale_required=item.rationale_required, rationale_mark=item.rationale_mark)


def choice_is_correct(kind: str, answer: Iterable[str], selected: Iterable[str]) -> bool:
    """A choice item is right when exactly the gold options are chosen: no partial credit, none missing.

    A single-choice answer with more than one option selected is wrong even if one of them is gold.
    """
    selected = tuple(selected)
    if kind == "single_choice" and len(selected) != 1:
        return False
    return bool(selected) and set(selected) == set(answer)


def item_credit(item: GradableItem) -> bool | None:
    """Whether an item earns its point: True, False, or None while a written answer awaits review.

    - choice item: the right options;
    - choice item with a required rationale: the right options AND a rationale marked acceptable
      (a right label without sound reasons may be a guess);
    - free-text item: marked acceptable by a reviewer.
    """
    if item.kind == "free_text":
        return None if item.rationale_mark is None else item.rationale_mark == ACCEPTABLE
    choice = choice_is_correct(item.kind, item.answer, item.selected)
    if not item.rationale_required:
        return choice
    if not choice:
        return False  # a wrong label fails the item whatever the rationale says
    return None if item.rationale_mark is None else item.rationale_mark == ACCEPTABLE


def score(items: Sequence[GradableItem]) -> Score:
    credits = [item_credit(i) for i in items]
    return Score(scored=len(items), correct=sum(1 for c in credits if c),
                 awaiting_review=sum(1 for c in credits if c is None))


def passes(correct: int, scored: int, pass_mark_percent: int) -> bool:
    """At least the pass mark, compared in integers (12 of 15 is exactly 80%, and passes an 80% mark)."""
    return scored > 0 and correct * 100 >= pass_mark_percent * scored


def outcome_after_submit(items: Sequence[GradableItem], requires_review: bool, pass_mark_percent: int) -> str:
    """'pending_review' when a person must read written answers; otherwise 'passed' or 'failed' at once."""
    if requires_review and any(i.needs_writing for i in items):
        return "pending_review"
    result = score(items)
    # Without review, a written answer cannot earn its point (importing refuses such banks anyway).
    return "passed" if passes(result.correct, result.scored, pass_mark_percent) else "failed"


def review_outcome(items: Sequence[GradableItem], pass_mark_percent: int) -> tuple[Score, bool]:
    """The score once every written answer is marked, and whether it reaches the pass mark."""
    result = score(items)
    if result.awaiting_review:
        raise ValueError("every written answer must be marked before deciding")
    return result, passes(result.correct, result.scored, pass_mark_percent)


def draw(candidates: Sequence[tuple[int, bool]], n: int, rng: random.Random) -> list[int]:
    """Draw `n` item ids at random from (id, needs_writing) pairs, and shuffle their order.

    Items that need a written answer are drawn in proportion to their share of the bank, and at least one
    when the bank has any, so every attempt of a reviewed test asks for some writing and no attempt is
    all writing by bad luck.
    """
    if n > len(candidates):
        raise ValueError(f"cannot draw {n} items from a bank of {len(candidates)}")
    written = [c for c, w in candidates if w]
    other = [c for c, w in candidates if not w]
    k = round(n * len(written) / len(candidates)) if candidates else 0
    if written:
        k = max(k, 1)
    k = min(k, len(written), n)
    k = max(k, n - len(other))  # not enough choice items: fill with written ones
    chosen = rng.sample(written, k) + rng.sample(other, n - k)
    rng.shuffle(chosen)
    return chosen


def deadline(started_at: datetime, time_limit_seconds: int) -> datetime:
    return started_at + timedelta(seconds=time_limit_seconds)


def accepts_answers_at(deadline_at: datetime, now: datetime) -> bool:
    """Answers are saved until the deadline (plus the grace for the trip from the browser)."""
    return now <= deadline_at + timedelta(seconds=GRACE_SECONDS)


def is_late(deadline_at: datetime, submitted_at: datetime) -> bool:
    return not accepts_answers_at(deadline_at, submitted_at)


def paid_seconds(started_at: datetime, submitted_at: datetime, time_limit_seconds: int) -> int:
    """Paid test time: whole seconds from start to submit, never negative, capped at the time limit."""
    elapsed = int((submitted_at - started_at).total_seconds())
    return max(0, min(elapsed, time_limit_seconds))


def check_selection(kind: str, option_keys: Sequence[str], selected: Sequence[str]) -> str | None:
    """Why a selection cannot be saved (unknown option, two picks for a single choice), or None when fine."""
    if kind == "free_text":
        return "This item takes a written answer, not a choice." if selected else None
    unknown = [s for s in selected if s not in option_keys]
    if unknown:
        return f"'{unknown[0]}' is not one of this item's options ({', '.join(option_keys)})."
    if len(set(selected)) != len(selected):
        return "An option was chosen twice."
    if kind == "single_choice" and len(selected) > 1:
        return "Choose one option only."
    return None


def check_written(text: str) -> str | None:
    if len(text) > ANSWER_MAX_CHARS:
        return (f"Written answers may be at most {ANSWER_MAX_CHARS} characters; this one has {len(text)}. "
                "Shorten it and save again.")
    return None
