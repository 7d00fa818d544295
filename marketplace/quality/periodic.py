"""Scheduled bodies of the quality room (each takes `now`, is idempotent and returns a count)."""
from __future__ import annotations

from flask import current_app

from . import peer, results


def refresh_snapshots(now) -> int:
    """Re-compute agreement and aggregation of jobs with new answers since their last snapshot."""
    return results.refresh_due(now, current_app.config.get("QUALITY_SNAPSHOT_JOBS_PER_RUN", 20))


def close_settled_reviews(now) -> int:
    """Take answers decided another way (e.g. auto-approved) out of the peer review queue."""
    return peer.close_settled_items(now)
