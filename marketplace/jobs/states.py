"""Job states and the moves between them (pure: no database, no Flask).

draft -> published -> paused -> published ... -> closed. A closed job never opens again.
"""
from __future__ import annotations

from ..core.errors import Conflict

DRAFT, PUBLISHED, PAUSED, CLOSED = "draft", "published", "paused", "closed"
STATUSES = (DRAFT, PUBLISHED, PAUSED, CLOSED)

# Why a job is paused: its requester chose to, or its escrow cannot pay for another hour of work.
PAUSED_BY_REQUESTER, PAUSED_FOR_BUDGET = "requester", "budget"
PAUSE_REASONS = (PAUSED_BY_REQUESTER, PAUSED_FOR_BUDGET)

ACTIONS = ("publish", "pause", "resume", "close")

TRANSITIONS: dict[tuple[str, str], str] = {
    (DRAFT, "publish"): PUBLISHED,
    (PUBLISHED, "pause"): PAUSED,
    (PAUSED, "resume"): PUBLISHED,
    (DRAFT, "close"): CLOSED,
    (PUBLISHED, "close"): CLOSED,
    (PAUSED, "close"): CLOSED,
}

# What a person reads when they ask for a move that does not exist from the job's state.
REFUSALS: dict[tuple[str, str], str] = {
    (PUBLISHED, "publish"): "This job is already published.",
    (PAUSED, "publish"): "This job is paused; resume it instead of publishing it again.",
    (CLOSED, "publish"): "A closed job cannot be published again. Create a new job for more work.",
    (DRAFT, "pause"): "Only a published job can be paused; this one is still a draft.",
    (PAUSED, "pause"): "This job is already paused.",
    (CLOSED, "pause"): "This job is closed; there is nothing to pause.",
    (DRAFT, "resume"): "This job is a draft; publish it to open it to trainers.",
    (PUBLISHED, "resume"): "This job is already running.",
    (CLOSED, "resume"): "A closed job cannot be reopened. Create a new job for more work.",
    (CLOSED, "close"): "This job is already closed.",
}


class IllegalTransition(Conflict):
    code = "illegal_transition"


def next_status(current: str, action: str) -> str:
    """The state after `action`, or IllegalTransition with a message saying what to do instead."""
    if current not in STATUSES:
        raise IllegalTransition(f"Unknown job state {current!r}.")
    if action not in ACTIONS:
        raise IllegalTransition(f"Unknown action {action!r}; use one of: {', '.join(ACTIONS)}.")
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        raise IllegalTransition(REFUSALS[(current, action)]) from None


def allowed_actions(current: str) -> list[str]:
    """Actions a job in `current` state accepts, in a stable order (for buttons and the API)."""
    return [action for action in ACTIONS if (current, action) in TRANSITIONS]


def is_open_to_trainers(status: str) -> bool:
    return status == PUBLISHED


def is_editable(status: str) -> bool:
    """Closed jobs are a record; every other state can still be edited (within the edit rules)."""
    return status != CLOSED


# Fields that decide what a task and an answer are; they cannot change once trainers may have answered.
FROZEN_AFTER_PUBLISH = ("kind", "config", "answers_per_task")


def check_edit(status: str, changes: dict, *, current_rate_cents: int) -> None:
    """Refuse edits that would change the rules under trainers' feet.

    Once a job has been published its kind, task configuration and overlap stay fixed (answers already given
    were made under them), and its hourly rate may rise but never fall.
    """
    if status == CLOSED:
        raise IllegalTransition("A closed job cannot be edited.")
    if status == DRAFT:
        return
    for name in FROZEN_AFTER_PUBLISH:
        if name in changes:
            label = {"kind": "task kind", "config": "task configuration",
                     "answers_per_task": "answers per task"}[name]
            raise IllegalTransition(f"The {label} of a published job cannot change: trainers may already have "
                                    f"answered under it. Close this job and create a new one instead.")
    rate = changes.get("hourly_rate_cents")
    if rate is not None and rate < current_rate_cents:
        raise IllegalTransition("The hourly rate of a published job can go up but never down.")
