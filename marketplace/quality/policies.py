"""Who may see and do what with a job's quality data (pure predicates over the user and the job): the one
place these rules live; services and views of the room ask here."""
from __future__ import annotations


def _owner(user, job) -> bool:
    return user.is_authenticated and user.is_requester and job.requester_id == user.id


def can_view_results(user, job) -> bool:
    """A job's results belong to its requester; admins read them (disputes, appeals). Trainers never do."""
    return _owner(user, job) or (user.is_authenticated and user.is_admin)


def can_manage_quality(user, job) -> bool:
    """Gold answers (contests, corrections), settings and the review screen: the job's requester only."""
    return _owner(user, job)


def can_decide_disputes(user, job) -> bool:
    """Disputed peer reviews and removals by the quality rule: the job's requester, or an admin."""
    return _owner(user, job) or (user.is_authenticated and user.is_admin)
