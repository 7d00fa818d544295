"""Worker API under /api/v1/work: my queue, claim, get an assignment, save a draft, submit, return.

The same services as the work pages, so the same rules and the same error messages; errors come back as
{"error": {"code", "message", ...}} with a 4xx status (the app's DomainError handler).
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user

from ..assignment import queue, schemas, services, states
from ..assignment.models import Assignment
from ..core.errors import NotFound, ValidationFailed
from ..core.time import utcnow
from ..extensions import db, limiter
from ..jobs.models import Job
from . import work_openapi
from .auth import api_view

bp = Blueprint("api_work", __name__, url_prefix="/api/v1/work")
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"],
              key_func=lambda: f"user:{current_user.id}" if current_user.is_authenticated else request.remote_addr)(bp)
TRAINER = ("worker",)


@bp.record_once
def _document(state):
    state.app.extensions.setdefault("openapi_paths", []).append(work_openapi.paths)

PAGE_SIZE = 50


def _body(schema: dict) -> dict:
    if request.data and not request.is_json:
        raise ValidationFailed("Send the body as JSON (Content-Type: application/json).",
                               errors={"body": "must be JSON"}, status=415, code="unsupported_media_type")
    body = request.get_json(silent=True) if request.data else {}
    if request.data and body is None:
        raise ValidationFailed("The body is not valid JSON.", errors={"body": "is not valid JSON"}, status=400,
                               code="bad_json")
    return schemas.check(schema, body)


def _out(a: Assignment, now=None) -> dict:
    return schemas.assignment_json(a, services.seconds_left(a, now))


@bp.route("/jobs")
@api_view(roles=TRAINER, scope="work")
def my_jobs():
    """Jobs I can start now (ranked) and jobs I cannot, each with its exclusion reasons."""
    q = queue.my_queue(current_user, utcnow())
    return jsonify({"available": [schemas.card_json(c) for c in q.available],
                    "unavailable": [schemas.card_json(c) for c in q.unavailable],
                    "empty_reasons": q.empty_reasons,
                    "time": {"week_seconds": q.time.week_seconds, "today_seconds": q.time.today_seconds,
                             "week_minutes_left": q.week_minutes_left}})


@bp.route("/jobs/<int:job_id>/claim", methods=["POST"])
@api_view(roles=TRAINER, scope="work", good_standing=True)
def claim(job_id):
    """Hold up to k tasks of the job (reservations already held count), claiming new ones as needed."""
    body = _body(schemas.CLAIM)
    job = db.session.get(Job, job_id)
    if job is None or job.status == "draft":
        raise NotFound("There is no such job.")
    now = utcnow()
    held = services.start_work(job, current_user, k=body["k"], accept_warning=body["accept_content_warning"],
                               now=now)
    # Built before the commit, from rows already loaded (tasks joined, the job in the identity map), so the
    # commit does not expire them into three more queries; then the write lock and the task rows are let go.
    out = {"assignments": [_out(a, now) for a in held]}
    db.session.commit()
    return jsonify(out)


@bp.route("/assignments")
@api_view(roles=TRAINER, scope="work")
def my_assignments():
    """My assignments, newest first; ?status=reserved filters, ?before=<id> pages (cursor)."""
    query = sa.select(Assignment).where(Assignment.worker_id == current_user.id)
    status = request.args.get("status")
    if status:
        if status not in states.STATUSES:
            raise ValidationFailed(f"status must be one of: {', '.join(states.STATUSES)}.", field="status")
        query = query.where(Assignment.status == status)
    before = request.args.get("before", type=int)
    if before:
        query = query.where(Assignment.id < before)
    rows = list(db.session.scalars(query.order_by(Assignment.id.desc()).limit(PAGE_SIZE + 1)))
    page = rows[:PAGE_SIZE]
    now = utcnow()
    return jsonify({"assignments": [_out(a, now) for a in page],
                    "next_cursor": page[-1].id if len(rows) > PAGE_SIZE else None})


@bp.route("/assignments/<int:assignment_id>")
@api_view(roles=TRAINER, scope="work")
def get_assignment(assignment_id):
    return jsonify({"assignment": _out(services.get_own(assignment_id, current_user))})


@bp.route("/assignments/<int:assignment_id>/draft", methods=["PUT", "POST"])
@api_view(roles=TRAINER, scope="work")
def save_draft(assignment_id):
    body = _body(schemas.DRAFT)
    a = services.save_draft(assignment_id, current_user, body["draft"])
    return jsonify({"assignment": _out(a)})


@bp.route("/assignments/<int:assignment_id>/submit", methods=["POST"])
@api_view(roles=TRAINER, scope="work")
def submit(assignment_id):
    """Submit my answer (idempotent: the same answer again returns the same result); "next": true claims
    the next task of the job in the same transaction."""
    body = _body(schemas.SUBMIT)
    now = utcnow()
    done, following, why = services.submit_and_next(assignment_id, current_user, body["answer"],
                                                    then_next=body["next"], now=now)
    out = {"assignment": _out(done, now), "next": _out(following, now) if following else None,
           "next_unavailable_reason": why}  # before the commit expires the rows (see claim)
    db.session.commit()
    return jsonify(out)


@bp.route("/assignments/<int:assignment_id>/return", methods=["POST"])
@api_view(roles=TRAINER, scope="work")
def give_back(assignment_id):
    """Return a task without penalty; the optional reason reaches the requester only in aggregate."""
    body = _body(schemas.RETURN)
    done, _, _ = services.return_and_next(assignment_id, current_user, reason=body.get("reason"),
                                          note=body.get("note", ""), then_next=False)
    return jsonify({"assignment": _out(done)})
