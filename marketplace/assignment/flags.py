"""Flagging a task as broken or harmful: the return service gives the task back without penalty, and this tells
the requester at once which task and why (the trainer's words, never the trainer's name)."""
from __future__ import annotations

from datetime import datetime

from ..core import audit, notices
from . import states

NOTE_MIN_CHARS = 10

WHAT = {"broken": "broken (missing, garbled or wrong)", "harmful": "harmful (illegal, abusive or dangerous)"}


def check_note(reason: str | None, note: str) -> str | None:
    """A flag needs the trainer's words: the requester cannot fix what nobody described (None when fine)."""
    if reason in states.FLAG_REASONS and len(note.strip()) < NOTE_MIN_CHARS:
        return f"Say what is wrong with the task (at least {NOTE_MIN_CHARS} characters): the requester reads it."
    return None


def tell_requester(assignment, reason: str, note: str, *, actor, now: datetime) -> None:
    """Notify the job's requester of a flagged task and keep an audit row (the flag may lead them to withdraw
    the task or fix the job). The notice names the task, never the trainer."""
    job, task = assignment.job, assignment.task
    body = (f"A trainer flagged task #{task.seq}{f' ({task.external_id})' if task.external_id else ''} of "
            f"\"{job.title}\" as {WHAT[reason]}.\n\nTheir words: {note or '(none given)'}\n\n"
            "The task went back to the queue and the trainer was not penalised. Look at the task and fix or "
            "replace it if the trainer is right; other trainers may meet the same problem.")
    notices.notify(job.requester, f"Task #{task.seq} flagged as {reason}: {job.title}"[:200], body,
                   link=f"/jobs/{job.id}/progress/tasks/{task.id}", category="jobs")
    audit.record("task.flagged", actor=actor, subject=task, reason=note,
                 data={"job_id": job.id, "assignment_id": assignment.id, "flag": reason, "at": now.isoformat()})
