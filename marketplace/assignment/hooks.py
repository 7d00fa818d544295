"""Seams where rooms above the work engine plug in rules it must apply without importing them.

The quality room sits above this one, yet decides two things the work engine acts on: whether the next
claim should prefer a known-answer (gold) task, and which trainers may review an answer besides the job's
requester (peer reviewers). It registers one function for each from its `subscribers.py` (imported by
create_app); until it does, the claim takes tasks in the job's order and only requesters and admins review.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

# fn(job, worker, now) -> True (prefer a gold task now), False (prefer an ordinary one) or None (job order)
ClaimPreference = Callable[[object, object, datetime], "bool | None"]
# fn(user, assignment) -> True when `user` may approve or reject this answer as a peer reviewer
ReviewPermission = Callable[[object, object], bool]

_claim_preference: list[ClaimPreference] = []
_review_permissions: list[ReviewPermission] = []


def set_claim_preference(fn: ClaimPreference) -> None:
    """Install THE claim preference (one at a time: two rooms ordering the queue would fight)."""
    _claim_preference[:] = [fn]


def claim_preference(job, worker, now: datetime) -> bool | None:
    return _claim_preference[0](job, worker, now) if _claim_preference else None


def add_review_permission(fn: ReviewPermission) -> None:
    if fn not in _review_permissions:
        _review_permissions.append(fn)


def may_review_as_peer(user, assignment) -> bool:
    return any(fn(user, assignment) for fn in _review_permissions)
