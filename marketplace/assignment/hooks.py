"""Functions the rooms above plug into the work engine: named in a setting ("module:function"), or registered.

They sit above this room (pay measures time, quality places gold tasks and lets peer reviewers decide), so
they cannot be imported here.
"""
from __future__ import annotations

import importlib
from typing import Callable

from flask import current_app

_cache: dict[str, object] = {}


def resolve(setting: str):
    """The function named by the setting, or None when it is empty."""
    path = current_app.config.get(setting) or ""
    if not path:
        return None
    if path not in _cache:
        module, _, name = path.partition(":")
        _cache[path] = getattr(importlib.import_module(module), name)
    return _cache[path]


def gold_preference(job_id: int, worker_id: int, position: int) -> bool | None:
    """Should this trainer's slot `position` (0-based, on this job) be a gold task? GOLD_MIX_PROVIDER names
    fn(job_id, worker_id, position) -> bool (the quality room's stable, unpredictable per-slot decision);
    None without one: tasks come in the job's order, gold or not."""
    provider = resolve("GOLD_MIX_PROVIDER")
    return None if provider is None else bool(provider(job_id, worker_id, position))


# Peer review: the quality room registers fn(user, assignment) -> True when `user` holds a live peer review of
# exactly this answer, so the review service lets that reviewer approve or reject it (from quality/subscribers.py).
_review_permissions: list[Callable[[object, object], bool]] = []


def add_review_permission(fn: Callable[[object, object], bool]) -> None:
    if fn not in _review_permissions:
        _review_permissions.append(fn)


def may_review_as_peer(user, assignment) -> bool:
    return any(fn(user, assignment) for fn in _review_permissions)
