"""Assignment states and the moves between them (pure: no database, no Flask).

reserved -> submitted -> approved | rejected;  reserved -> expired | returned.
A task's slot is held by reserved, submitted and approved assignments; expired, returned and rejected ones
give it back, so another trainer can answer the task.
"""
from __future__ import annotations

RESERVED, SUBMITTED, APPROVED, REJECTED, EXPIRED, RETURNED = (
    "reserved", "submitted", "approved", "rejected", "expired", "returned")
STATUSES = (RESERVED, SUBMITTED, APPROVED, REJECTED, EXPIRED, RETURNED)
HOLDING = (RESERVED, SUBMITTED, APPROVED)          # count towards Task.holders
ANSWERED = (SUBMITTED, APPROVED)                   # count towards Task.answers_done
FINAL = (APPROVED, REJECTED, EXPIRED, RETURNED)

# Why a trainer gives a task back (no penalty). The requester sees these in aggregate, never per person.
RETURN_REASONS = ("unclear", "broken", "harmful", "upsetting", "no_time", "other")
RETURN_REASON_LABELS = {
    "unclear": "The instructions do not cover this task",
    "broken": "Something is wrong with the task (missing, garbled or wrong)",
    "harmful": "The task is harmful (illegal, abusive or dangerous content)",
    "upsetting": "I would rather not work on this content",
    "no_time": "I have to stop now",
    "other": "Another reason",
}
# Returns that flag a problem with the task itself: the requester is told at once (which task, the trainer's
# words, never who), so they can fix or withdraw it. Still no penalty for the trainer.
FLAG_REASONS = ("broken", "harmful")

LABELS = {RESERVED: "in progress", SUBMITTED: "submitted, awaiting review", APPROVED: "approved",
          REJECTED: "rejected", EXPIRED: "expired (time ran out)", RETURNED: "returned"}

# What a person reads when an action does not fit the assignment's state.
SUBMIT_REFUSALS = {
    SUBMITTED: "This task was already submitted with a different answer; a submitted answer cannot change.",
    APPROVED: "This answer was already approved; it cannot change.",
    REJECTED: "This answer was already reviewed; it cannot change.",
    EXPIRED: "Your reservation of this task expired, so the task went back to the queue and the answer was "
             "not saved. Start again to get a new task.",
    RETURNED: "You returned this task, so it can no longer be submitted. Start again to get a new task.",
}
RETURN_REFUSALS = {
    SUBMITTED: "This task is already submitted; there is nothing to return.",
    APPROVED: "This task is already submitted and approved; there is nothing to return.",
    REJECTED: "This task was already reviewed; there is nothing to return.",
    EXPIRED: "Your reservation already expired; the task is back in the queue.",
    RETURNED: "You already returned this task.",
}
REVIEW_REFUSALS = {
    RESERVED: "This task is still being worked on; review it once it is submitted.",
    APPROVED: "This answer was already approved.",
    REJECTED: "This answer was already rejected.",
    EXPIRED: "This reservation expired without an answer; there is nothing to review.",
    RETURNED: "This task was returned without an answer; there is nothing to review.",
}


def label(status: str) -> str:
    return LABELS.get(status, status)
