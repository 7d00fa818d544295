"""Scheduled bodies of the jobs room (each takes `now`, is idempotent and returns a count)."""
from __future__ import annotations

from .runner import run_queued_imports


def run_imports(now) -> int:
    """Run queued task imports and requeue ones whose process died."""
    return run_queued_imports(now)
