"""OpenAPI paths of the worker API (/api/v1/work), built from the same schemas that check its requests."""
from __future__ import annotations

from ..assignment import schemas, states
from .openapi import _json, _ref, _responses

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NULLABLE_STRING = {"type": "string", "nullable": True}
EXCLUSION = {"type": "object", "properties": {"code": STRING, "message": STRING, "remedy": STRING,
                                              "blocking": {"type": "boolean"}}}
WORK_JOB = {"type": "object", "properties": {
    "id": INTEGER, "title": STRING, "summary": STRING, "kind": STRING, "status": STRING,
    "hourly_rate_cents": INTEGER, "est_minutes_per_task": INTEGER,
    "weekly_limit_minutes": {"type": "integer", "nullable": True}, "reservation_minutes": INTEGER,
    "content_warning": NULLABLE_STRING, "priority": INTEGER,
    "config": {"type": "object"}, "answer_schema": {"type": "object"}}}
CARD = {"type": "object", "properties": {
    "job": WORK_JOB, "minutes_left_this_week": {"type": "integer", "nullable": True}, "held": INTEGER,
    "needs_content_warning_acceptance": {"type": "boolean"}, "exclusions": {"type": "array", "items": EXCLUSION}}}
ASSIGNMENT = {"type": "object", "properties": {
    "id": INTEGER, "status": {"type": "string", "enum": list(states.STATUSES)}, "job": WORK_JOB,
    "task": {"type": "object", "properties": {"id": INTEGER, "seq": INTEGER, "payload": {"type": "object"}}},
    "reserved_at": STRING, "expires_at": STRING, "seconds_left": INTEGER,
    "draft": {"type": "object", "nullable": True}, "draft_saved_at": NULLABLE_STRING,
    "answer": {"type": "object", "nullable": True}, "submitted_at": NULLABLE_STRING,
    "review": {"type": "object", "nullable": True,
               "properties": {"reviewed_at": STRING, "reason": NULLABLE_STRING}}}}
ONE = {"type": "object", "properties": {"assignment": ASSIGNMENT}}
ASSIGNMENT_ID = {"name": "assignment_id", "in": "path", "required": True,
                 "schema": {"type": "integer", "minimum": 1}}
JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}


def _body(schema: dict) -> dict:
    return {"required": True, "content": _json(schema)}


def paths() -> dict:
    tags = ["work"]
    return {
        "/api/v1/work/jobs": {"get": {
            "summary": "Jobs I can start now (ranked) and jobs I cannot, each with the rules that exclude me",
            "tags": tags, "responses": _responses("200", {"type": "object", "properties": {
                "available": {"type": "array", "items": CARD}, "unavailable": {"type": "array", "items": CARD},
                "empty_reasons": {"type": "array", "items": STRING}, "time": {"type": "object"}}}, "My queue")}},
        "/api/v1/work/jobs/{job_id}/claim": {"post": {
            "summary": "Hold up to k tasks of a job (reservations already held count towards k)",
            "tags": tags, "parameters": [JOB_ID], "requestBody": _body(schemas.CLAIM),
            "responses": _responses("200", {"type": "object", "properties": {
                "assignments": {"type": "array", "items": ASSIGNMENT}}}, "The tasks I hold", 404, 409, 422)}},
        "/api/v1/work/assignments": {"get": {
            "summary": "My assignments, newest first", "tags": tags,
            "parameters": [{"name": "status", "in": "query", "required": False,
                            "schema": {"type": "string", "enum": list(states.STATUSES)}},
                           {"name": "before", "in": "query", "required": False,
                            "schema": {"type": "integer", "minimum": 1}}],
            "responses": _responses("200", {"type": "object", "properties": {
                "assignments": {"type": "array", "items": ASSIGNMENT},
                "next_cursor": {"type": "integer", "nullable": True}}}, "A page of assignments", 422)}},
        "/api/v1/work/assignments/{assignment_id}": {"get": {
            "summary": "One of my assignments (never anyone else's answers)", "tags": tags,
            "parameters": [ASSIGNMENT_ID], "responses": _responses("200", ONE, "The assignment", 404)}},
        "/api/v1/work/assignments/{assignment_id}/draft": {"put": {
            "summary": "Save work in progress (not checked)", "tags": tags, "parameters": [ASSIGNMENT_ID],
            "requestBody": _body(schemas.DRAFT),
            "responses": _responses("200", ONE, "Saved", 404, 409, 413, 422)}},
        "/api/v1/work/assignments/{assignment_id}/submit": {"post": {
            "summary": "Submit my answer (idempotent); next=true claims the next task too", "tags": tags,
            "parameters": [ASSIGNMENT_ID], "requestBody": _body(schemas.SUBMIT),
            "responses": _responses("200", {"type": "object", "properties": {
                "assignment": ASSIGNMENT, "next": {**ASSIGNMENT, "nullable": True},
                "next_unavailable_reason": NULLABLE_STRING}}, "Submitted", 404, 409, 413, 422)}},
        "/api/v1/work/assignments/{assignment_id}/return": {"post": {
            "summary": "Return a task without penalty", "tags": tags, "parameters": [ASSIGNMENT_ID],
            "requestBody": {"required": False, "content": _json(schemas.RETURN)},
            "responses": _responses("200", ONE, "Returned", 404, 409, 422)}},
    }


__all__ = ["paths", "_ref"]
