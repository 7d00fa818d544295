"""Paths of this room's pages, for notices and e-mails written outside a request (scheduled jobs).

tests/moderation/test_links.py checks each one against the URL map, so they cannot drift from views.py.
"""
from __future__ import annotations

CONDUCT = "/conduct"
MY_APPEALS = "/appeals"
ADMIN_APPEALS = "/admin/appeals"


def conduct_version(number: int) -> str:
    return f"/conduct/v{number}"


def sanction(sanction_id: int) -> str:
    return f"/sanctions/{sanction_id}"


def block(block_id: int) -> str:
    return f"/blocks/{block_id}"


def appeal(appeal_id: int) -> str:
    return f"/appeals/{appeal_id}"


def file_appeal(kind: str, subject_id: int) -> str:
    return f"/appeals/new/{kind}/{subject_id}"


def admin_appeal(appeal_id: int) -> str:
    return f"/admin/appeals/{appeal_id}"


def admin_person(user_id: int) -> str:
    return f"/admin/people/{user_id}"
