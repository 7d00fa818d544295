"""Job budgets on the jobs room's pages and API: hours bought, used and left (no routes of its own).

Importing job_funding registers its subscribers to the jobs room's events when the app is built.
"""
from __future__ import annotations

from flask import Blueprint

from . import job_funding

bp = Blueprint("payments_jobs", __name__)


@bp.app_context_processor
def job_budget_helper():
    return {"job_budget": job_funding.budget_summary}


@bp.record_once
def register_budget_for_api(state) -> None:
    state.app.extensions["job_budget"] = lambda job: job_funding.budget_summary(job).as_dict()
