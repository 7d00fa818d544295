"""The OpenAPI 3.0 document, built from the very schema dicts that validate requests, task rows and answers."""
from __future__ import annotations

import copy

from ..accounts.tokens import SCOPES
from ..jobs.kinds import KINDS, answer_schema, config_schema, import_row_schema, task_schema
from ..jobs.models import IMPORT_MODES, IMPORT_STATUSES
from ..jobs.schemas import JOB_CREATE, JOB_FIELDS, JOB_UPDATE
from ..jobs.states import ACTIONS, PAUSE_REASONS, STATUSES

ADD_BUDGET = {"type": "object", "additionalProperties": False, "required": ["amount_cents"],
              "properties": {"amount_cents": {"type": "integer", "minimum": 1, "maximum": 1_000_000_000}}}

STRING, INTEGER, BOOLEAN = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
DATETIME = {"type": "string", "format": "date-time", "nullable": True}
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": STRING, "message": STRING, "field": STRING,
                   "details": {"type": "object", "description": "field -> problem, when there are several"}}}}}

JOB_OUT = {"type": "object", "properties": {
    **copy.deepcopy(JOB_FIELDS), "id": INTEGER,
    "status": {"type": "string", "enum": list(STATUSES)},
    "paused_reason": {"type": "string", "enum": list(PAUSE_REASONS), "nullable": True},
    "task_count": INTEGER, "tasks_done": INTEGER,
    "allowed_actions": {"type": "array", "items": {"type": "string", "enum": list(ACTIONS)}},
    "created_at": DATETIME, "updated_at": DATETIME, "published_at": DATETIME, "closed_at": DATETIME,
    "links": {"type": "object", "additionalProperties": STRING}}}
TASK_OUT = {"type": "object", "properties": {
    "id": INTEGER, "seq": INTEGER, "external_id": {"type": "string", "nullable": True},
    "payload": {"type": "object", "description": "The kind's task fields (see Task_<kind>)."},
    "gold": {"type": "object", "nullable": True}, "metadata": {"type": "object", "nullable": True},
    "is_open": BOOLEAN, "answers_done": INTEGER, "created_at": DATETIME}}
IMPORT_OUT = {"type": "object", "properties": {
    "id": INTEGER, "job_id": INTEGER, "status": {"type": "string", "enum": list(IMPORT_STATUSES)},
    "mode": {"type": "string", "enum": list(IMPORT_MODES)}, "file_format": {"type": "string", "enum": ["jsonl", "csv"]},
    "original_name": STRING, "total_bytes": INTEGER, "bytes_read": INTEGER, "rows_seen": INTEGER,
    "rows_imported": INTEGER, "rows_invalid": INTEGER, "percent": INTEGER, "message": STRING,
    "errors": {"type": "array", "items": {"type": "object", "properties": {"line": INTEGER, "field": STRING,
                                                                             "message": STRING}}},
    "error_report_url": {"type": "string", "nullable": True},
    "created_at": DATETIME, "started_at": DATETIME, "finished_at": DATETIME,
    "links": {"type": "object", "additionalProperties": STRING}}}
BUDGET = {"type": "object", "nullable": True, "properties": {
    "funded_cents": INTEGER, "escrow_cents": INTEGER, "spent_cents": INTEGER, "per_hour_cents": INTEGER,
    "hours_bought": {"type": "number"}, "hours_used": {"type": "number"}, "hours_left": {"type": "number"}}}
PROGRESS = {"type": "object", "properties": {"job_id": INTEGER, "status": STRING, "task_count": INTEGER,
                                            "tasks_done": INTEGER, "answers_per_task": INTEGER, "budget": BUDGET}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _responses(ok_status: str, ok_schema: dict | None, description: str, *errors: int) -> dict:
    responses = {ok_status: {"description": description, **({"content": _json(ok_schema)} if ok_schema else {})}}
    words = {400: "Bad request (or CSRF failed for a session)", 401: "No valid token or session",
             403: "Wrong role, missing scope, or suspended", 404: "No such job (or not yours)",
             409: "Conflict with the job's state", 413: "Upload too large", 415: "Unsupported Content-Type",
             422: "Invalid input: every problem is listed"}
    for status in (401, 403, *errors):
        responses[str(status)] = {"description": words[status], "content": _json(_ref("Error"))}
    return responses


JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
RUN_ID = {"name": "run_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
CURSOR = [{"name": "cursor", "in": "query", "required": False, "schema": STRING},
          {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1,
                                                                         "maximum": 100, "default": 50}}]
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False,
               "schema": {"type": "string", "maxLength": 200},
               "description": "Retry-safe creation: the first response is stored and replayed for this key."}


def _page(item: str) -> dict:
    return {"type": "object", "properties": {"data": {"type": "array", "items": _ref(item)},
                                             "next_cursor": {"type": "string", "nullable": True}}}


def _paths(extra_paths: dict) -> dict:
    job_action = lambda summary: {"post": {  # noqa: E731
        "summary": summary, "tags": ["jobs"], "parameters": [JOB_ID],
        "responses": _responses("200", _ref("Job"), "The job after the change", 404, 409, 422)}}
    paths = {
        "/api/v1/jobs": {
            "get": {"summary": "List your jobs", "tags": ["jobs"], "parameters": CURSOR,
                    "responses": _responses("200", _page("Job"), "A page of jobs", 422)},
            "post": {"summary": "Create a draft job", "tags": ["jobs"], "parameters": [IDEMPOTENCY],
                     "requestBody": {"required": True, "content": _json(_ref("JobCreate"))},
                     "responses": _responses("201", _ref("Job"), "The new draft", 422)}},
        "/api/v1/jobs/{job_id}": {
            "get": {"summary": "Read a job", "tags": ["jobs"], "parameters": [JOB_ID],
                    "responses": _responses("200", _ref("Job"), "The job", 404)},
            "patch": {"summary": "Change a job", "tags": ["jobs"], "parameters": [JOB_ID],
                      "requestBody": {"required": True, "content": _json(_ref("JobUpdate"))},
                      "responses": _responses("200", _ref("Job"), "The changed job", 404, 409, 422)}},
        "/api/v1/jobs/{job_id}/publish": job_action("Publish: move the budget into escrow and open the job"),
        "/api/v1/jobs/{job_id}/pause": job_action("Pause a published job"),
        "/api/v1/jobs/{job_id}/resume": job_action("Resume a paused job (its escrow must cover an hour)"),
        "/api/v1/jobs/{job_id}/close": job_action("Close a job; unused escrow returns to your funds"),
        "/api/v1/jobs/{job_id}/budget": {"post": {
            "summary": "Add to a live job's budget from your funds", "tags": ["jobs"],
            "parameters": [JOB_ID, {**IDEMPOTENCY, "required": True}],
            "requestBody": {"required": True, "content": _json(ADD_BUDGET)},
            "responses": _responses("200", _ref("Job"), "The job with its new budget", 404, 409, 422)}},
        "/api/v1/jobs/{job_id}/progress": {"get": {
            "summary": "Tasks done, and the budget as hours", "tags": ["jobs"], "parameters": [JOB_ID],
            "responses": _responses("200", _ref("Progress"), "Progress", 404)}},
        "/api/v1/jobs/{job_id}/tasks": {
            "get": {"summary": "List a job's tasks", "tags": ["tasks"], "parameters": [JOB_ID, *CURSOR],
                    "responses": _responses("200", _page("Task"), "A page of tasks", 404, 422)},
            "post": {"summary": "Upload tasks (JSONL or CSV body, or a multipart file)", "tags": ["tasks"],
                     "parameters": [JOB_ID, IDEMPOTENCY, {"name": "mode", "in": "query", "required": False,
                                                          "schema": {"type": "string", "enum": list(IMPORT_MODES)}}],
                     "requestBody": {"required": True, "content": {
                         "application/x-ndjson": {"schema": {"type": "string", "description":
                                                             "One ImportRow_<kind> JSON object per line"}},
                         "text/csv": {"schema": {"type": "string"}},
                         "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                             "file": {"type": "string", "format": "binary"},
                             "images": {"type": "string", "format": "binary", "description": "ZIP (bounding boxes)"},
                             "mode": {"type": "string", "enum": list(IMPORT_MODES)}}}}}},
                     "responses": _responses("202", _ref("ImportRun"), "The import, queued or finished",
                                             404, 409, 413, 415, 422)}},
        "/api/v1/jobs/{job_id}/imports/{run_id}": {"get": {
            "summary": "An import's state and progress", "tags": ["tasks"], "parameters": [JOB_ID, RUN_ID],
            "responses": _responses("200", _ref("ImportRun"), "The import", 404)}},
        "/api/v1/jobs/{job_id}/imports/{run_id}/errors": {"get": {
            "summary": "An import's error report (CSV)", "tags": ["tasks"], "parameters": [JOB_ID, RUN_ID],
            "responses": {**_responses("200", None, "CSV: line, field, message", 404),
                          "200": {"description": "CSV: line, field, message",
                                  "content": {"text/csv": {"schema": STRING}}}}}},
    }
    paths.update(extra_paths)
    return paths


def document(app) -> dict:
    """The whole OpenAPI document; other rooms add paths through app.extensions['openapi_paths']."""
    schemas = {"Error": ERROR, "JobCreate": JOB_CREATE, "JobUpdate": JOB_UPDATE, "Job": JOB_OUT, "Task": TASK_OUT,
               "ImportRun": IMPORT_OUT, "Progress": PROGRESS}
    for name in KINDS:
        schemas[f"Config_{name}"] = config_schema(name)
        schemas[f"Task_{name}"] = task_schema(name)
        schemas[f"ImportRow_{name}"] = import_row_schema(name)
        schemas[f"Answer_{name}"] = answer_schema(name)
    extra = {}
    for contribute in app.extensions.get("openapi_paths", []):
        extra.update(contribute())
    return {
        "openapi": "3.0.3",
        "info": {"title": "FairTrain API", "version": "1",
                 "description": "Post paid jobs and upload tasks. Authenticate with a personal API token "
                                "(`Authorization: Bearer ft_...`, created under Settings → API tokens) or, from "
                                "the site, the session cookie plus an X-CSRFToken header. Errors share one shape. "
                                "Lists page with `cursor`. Token permissions: "
                                + "; ".join(f"`{k}` {v}" for k, v in SCOPES.items()) + "."},
        "servers": [{"url": "/"}],
        "paths": _paths(extra),
        "components": {"schemas": copy.deepcopy(schemas), "securitySchemes": {
            "bearerToken": {"type": "http", "scheme": "bearer", "description": "A personal API token"},
            "session": {"type": "apiKey", "in": "cookie", "name": "session",
                        "description": "The site's session; writes also need the X-CSRFToken header"}}},
        "security": [{"bearerToken": []}, {"session": []}],
    }
