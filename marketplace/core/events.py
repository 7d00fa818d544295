"""In-transaction domain events: a room announces a fact; rooms above it react (dependency inversion).

A lower room (pay, assessments, moderation ...) must not import the rooms above it (payments, quality ...),
yet some facts it owns have effects up there: a timesheet approved moves escrow to the trainer's payable
balance; an appeal overturned restores a qualification. The lower room calls `emit("timesheet.approved",
timesheet=ts, actor=admin)`; the upper room declares `@subscribe("timesheet.approved")` in its
`subscribers.py` (imported by create_app). Subscribers run synchronously, in the caller's transaction, in
registration order: if one raises, the whole change rolls back, so the fact and its effects stay atomic.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any, Callable

log = logging.getLogger(__name__)
_subscribers: dict[str, list[Callable[..., Any]]] = defaultdict(list)


def subscribe(name: str) -> Callable:
    """Register the decorated function for the event `name` (idempotent per function)."""
    def decorator(fn: Callable) -> Callable:
        if fn not in _subscribers[name]:
            _subscribers[name].append(fn)
        return fn
    return decorator


def emit(name: str, **payload: Any) -> list[Any]:
    """Run every subscriber of `name` with `payload`; returns their results. Exceptions propagate."""
    results = []
    for fn in list(_subscribers.get(name, ())):
        results.append(fn(**payload))
    return results


def subscribers(name: str) -> list[Callable]:
    return list(_subscribers.get(name, ()))
