"""JSON shapes of the worker API: request schemas (checked before any service runs, and ready for the OpenAPI
document) and the serialisers of jobs, queue cards and assignments. Blind by construction: an assignment
carries its own trainer's answer and draft, never another trainer's answer and never the task's gold."""
from __future__ import annotations

from ..core.errors import ValidationFailed
from ..core.schema import fast_validator, schema_errors
from ..jobs.kinds import answer_schema
from . import states

CLAIM = {"type": "object", "additionalProperties": False, "properties": {
    "k": {"type": "integer", "minimum": 1, "maximum": 100, "default": 1,
          "description": "How many tasks to hold at once (reservations already held on the job count)."},
    "accept_content_warning": {"type": "boolean", "default": False,
                               "description": "Say yes to the job's content warning (needed once per warning)."}}}
DRAFT = {"type": "object", "additionalProperties": False, "required": ["draft"],
         "properties": {"draft": {"type": "object", "description": "Work in progress; not checked."}}}
SUBMIT = {"type": "object", "additionalProperties": False, "required": ["answer"], "properties": {
    "answer": {"type": "object", "description": "The answer, in the job kind's answer schema."},
    "next": {"type": "boolean", "default": False, "description": "Claim the next task of the job as well."}}}
RETURN = {"type": "object", "additionalProperties": False, "properties": {
    "reason": {"type": "string", "enum": list(states.RETURN_REASONS),
               "description": "Optional; requesters see reasons only as totals."},
    "note": {"type": "string", "maxLength": 1000}}}


_compiled: dict[int, object] = {}


def _fast(schema: dict):
    """fast_validator for one of this module's request schemas (constants), compiled once per process."""
    found = _compiled.get(id(schema))
    if found is None or found[0] is not schema:
        found = _compiled[id(schema)] = (schema, fast_validator(schema, root="body"))
    return found[1]


def check(schema: dict, body) -> dict:
    """The request body, checked against `schema`, with defaults filled in; ValidationFailed otherwise."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ValidationFailed("Send a JSON object.", errors={"body": "must be a JSON object"})
    # The compiled check first (every API call); the full, worded list only when it fails.
    errors = schema_errors(schema, body) if _fast(schema)(body) else {}
    if errors:
        field, sentence = next(iter(errors.items()))
        raise ValidationFailed(f"{field} {sentence}.", errors=errors, field=field)
    return {**{k: v["default"] for k, v in schema["properties"].items() if "default" in v}, **body}


def iso(value):
    return value.isoformat() if value else None


def job_json(job, *, with_config: bool = False) -> dict:
    out = {"id": job.id, "title": job.title, "summary": job.summary, "kind": job.kind, "status": job.status,
           "hourly_rate_cents": job.hourly_rate_cents, "est_minutes_per_task": job.est_minutes_per_task,
           "weekly_limit_minutes": job.weekly_limit_minutes, "reservation_minutes": job.reservation_minutes,
           "content_warning": job.content_warning or None, "priority": job.priority}
    if with_config:
        out["config"] = job.config
        out["answer_schema"] = answer_schema(job.kind, job.config)
    return out


def exclusion_json(e) -> dict:
    return {"code": e.code, "message": e.message, "remedy": e.remedy, "blocking": e.blocking}


def card_json(card) -> dict:
    return {"job": job_json(card.job), "minutes_left_this_week": card.minutes_left, "held": card.held,
            "needs_content_warning_acceptance": card.warning is not None,
            "exclusions": [exclusion_json(e) for e in card.exclusions]}


def assignment_json(a, seconds_left: int) -> dict:
    """One of the trainer's own assignments: the task's payload and their own work, nothing else."""
    return {"id": a.id, "status": a.status, "job": job_json(a.job, with_config=True),
            "task": {"id": a.task_id, "seq": a.task.seq, "payload": a.task.payload},
            "reserved_at": iso(a.reserved_at), "expires_at": iso(a.expires_at),
            "seconds_left": seconds_left if a.status == states.RESERVED else 0,
            "draft": a.draft, "draft_saved_at": iso(a.draft_saved_at),
            "answer": a.answer, "submitted_at": iso(a.submitted_at),
            "review": ({"reviewed_at": iso(a.reviewed_at), "reason": a.review_reason or None}
                       if a.reviewed_at else None)}
