"""Who may do what with a job (pure predicates over the user and the job)."""
from __future__ import annotations


def can_edit_job(user, job) -> bool:
    """Only the requester who posted a job changes it (admins read; they do not edit others' jobs)."""
    return user.is_authenticated and user.is_requester and job.requester_id == user.id


def can_view_job(user, job) -> bool:
    return user.is_authenticated and (job.requester_id == user.id or user.is_admin)


def can_view_as_trainer(user, job) -> bool:
    """Trainers see published and paused jobs (with why they can or cannot take them), never drafts."""
    return user.is_authenticated and (can_view_job(user, job) or (user.is_worker and job.is_live))
