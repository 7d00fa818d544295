"""Box geometry shared by gold scoring, consensus and exports: parsing, IoU and one-to-one matching."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

# Exhaustive matching is exact but exponential in the smaller side; past this many boxes per label we fall back
# to greedy matching by descending IoU (what COCO's evaluator does), which is optimal in the common case.
EXACT_MATCH_LIMIT = 10


@dataclass(frozen=True)
class Box:
    """One labelled box in image pixels: (x, y) is the top-left corner, w and h its size (the jobs room's shape)."""

    label: str
    x: float
    y: float
    w: float
    h: float

    @property
    def x2(self) -> float:
        return self.x + self.w

    @property
    def y2(self) -> float:
        return self.y + self.h

    @property
    def area(self) -> float:
        return max(self.w, 0.0) * max(self.h, 0.0)

    def where(self) -> str:
        """Short human position, e.g. "(10,20)", for explanations a trainer reads."""
        return f"({_num(self.x)},{_num(self.y)})"


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def parse_box(data: Box | Mapping[str, Any]) -> Box:
    """A Box from a stored answer dict {label, x, y, w, h}; raises ValueError naming what is wrong."""
    if isinstance(data, Box):
        return data
    if not isinstance(data, Mapping):
        raise ValueError(f"a box must be an object with label, x, y, w, h, not {type(data).__name__}")
    missing = [k for k in ("label", "x", "y", "w", "h") if k not in data]
    if missing:
        raise ValueError(f"a box is missing {', '.join(missing)}")
    try:
        x, y, w, h = (float(data[k]) for k in ("x", "y", "w", "h"))
    except (TypeError, ValueError):
        raise ValueError("box coordinates must be numbers") from None
    if not all(np.isfinite([x, y, w, h])):
        raise ValueError("box coordinates must be finite numbers")
    if w < 0 or h < 0:
        raise ValueError("box width and height cannot be negative")
    return Box(str(data["label"]), x, y, w, h)


def parse_boxes(items: Iterable[Box | Mapping[str, Any]] | None) -> list[Box]:
    return [parse_box(b) for b in (items or [])]


def readable_boxes(items: Any) -> list[Box]:
    """The boxes of a STORED answer that can be read, skipping any that cannot (results and exports must not
    fail on one odd row: a JSON null, a string, a box without coordinates). Gold scoring uses parse_boxes and
    explains the failure instead."""
    if not isinstance(items, (list, tuple)):
        return []
    out = []
    for item in items:
        try:
            out.append(parse_box(item))
        except ValueError:
            continue
    return out


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (0 when they do not overlap or both are empty)."""
    iw = min(a.x2, b.x2) - max(a.x, b.x)
    ih = min(a.y2, b.y2) - max(a.y, b.y)
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = a.area + b.area - inter
    return inter / union if union > 0 else 0.0


def iou_matrix(a: Sequence[Box], b: Sequence[Box]) -> np.ndarray:
    """IoU of every box in `a` against every box in `b`, shape (len(a), len(b)), vectorised with numpy."""
    if not a or not b:
        return np.zeros((len(a), len(b)))
    A = np.array([[p.x, p.y, p.x2, p.y2] for p in a], dtype=float)
    B = np.array([[p.x, p.y, p.x2, p.y2] for p in b], dtype=float)
    iw = np.clip(np.minimum(A[:, None, 2], B[None, :, 2]) - np.maximum(A[:, None, 0], B[None, :, 0]), 0, None)
    ih = np.clip(np.minimum(A[:, None, 3], B[None, :, 3]) - np.maximum(A[:, None, 1], B[None, :, 1]), 0, None)
    inter = iw * ih
    area_a = (A[:, 2] - A[:, 0]) * (A[:, 3] - A[:, 1])
    area_b = (B[:, 2] - B[:, 0]) * (B[:, 3] - B[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(union > 0, inter / union, 0.0)
    return out


def match_boxes(gold: Sequence[Box], pred: Sequence[Box], threshold: float) -> list[tuple[int, int, float]]:
    """One-to-one matches (gold index, pred index, IoU) between boxes of the SAME label with IoU >= threshold.

    Maximises the number of matches, then the total IoU, so one sloppy box cannot steal the partner of a better
    one. Exact for up to EXACT_MATCH_LIMIT boxes per label (memoised search over subsets), greedy beyond.
    """
    matches: list[tuple[int, int, float]] = []
    for label in sorted({b.label for b in gold} & {b.label for b in pred}):
        gi = [i for i, b in enumerate(gold) if b.label == label]
        pi = [j for j, b in enumerate(pred) if b.label == label]
        m = iou_matrix([gold[i] for i in gi], [pred[j] for j in pi])
        ok = m >= threshold
        if min(len(gi), len(pi)) <= EXACT_MATCH_LIMIT:
            pairs = _exact_matching(m, ok)
        else:
            pairs = _greedy_matching(m, ok)
        matches.extend((gi[r], pi[c], float(m[r, c])) for r, c in pairs)
    return sorted(matches)


def _greedy_matching(m: np.ndarray, ok: np.ndarray) -> list[tuple[int, int]]:
    # Take candidate pairs from the highest IoU down; ties resolved by index so the result is deterministic.
    cands = sorted(((-m[r, c], r, c) for r, c in zip(*np.nonzero(ok))))
    used_r, used_c, out = set(), set(), []
    for _, r, c in cands:
        if r not in used_r and c not in used_c:
            used_r.add(r)
            used_c.add(c)
            out.append((int(r), int(c)))
    return out


def _exact_matching(m: np.ndarray, ok: np.ndarray) -> list[tuple[int, int]]:
    # Walk the larger side one box at a time and remember which boxes of the smaller side are taken (a bitmask);
    # the value is (matches, total IoU), compared lexicographically. At most 2^10 masks x n boxes states.
    transpose = m.shape[0] > m.shape[1]
    if transpose:
        m, ok = m.T, ok.T
    n_small, n_large = m.shape
    memo: dict[tuple[int, int], tuple[tuple[int, float], tuple[tuple[int, int], ...]]] = {}

    def best(j: int, mask: int):
        if j == n_large:
            return (0, 0.0), ()
        key = (j, mask)
        if key in memo:
            return memo[key]
        result = best(j + 1, mask)  # leave large-side box j unmatched
        for i in range(n_small):
            if ok[i, j] and not mask & (1 << i):
                (cnt, tot), pairs = best(j + 1, mask | (1 << i))
                cand = (cnt + 1, tot + float(m[i, j]))
                if cand > result[0]:
                    result = (cand, ((i, j),) + pairs)
        memo[key] = result
        return result

    pairs = best(0, 0)[1]
    return [(j, i) for i, j in pairs] if transpose else list(pairs)
