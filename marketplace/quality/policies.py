"""Who may see and do what with a job's quality data (pure predicates over the user and the job)."""
from __future__ import annotations


def can_view_results(user, job) -> bool:
    """A job's results belong to its requester; admins read them (disputes, appeals). Trainers never do."""
    return user.is_authenticated and (user.is_admin or (user.is_requester and job.requester_id == user.id))


def can_manage_quality(user, job) -> bool:
    """Gold answers, contests, settings and the review screen: the job's requester only."""
    return user.is_authenticated and user.is_requester and job.requester_id == user.id


def can_decide_disputes(user, job) -> bool:
    return user.is_authenticated and (user.is_admin or (user.is_requester and job.requester_id == user.id))
