"""Code-review "Run tests": check the trainer may run the task's tests, run them in the sandbox, keep the result,
and attach the last result to the answer at submission.

Three steps, so no database transaction stays open while the sandbox runs (up to its wall-clock limit):
prepare() loads and checks, the view ends the read, execute() runs the sandbox (no database), record() stores
the run if the task is still the trainer's.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..core.errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from . import codetests, states
from .models import Assignment, CodeRun
from .sandbox import SandboxLimits, run_python_tests


@dataclass(frozen=True)
class RunPlan:
    assignment_id: int
    worker_id: int
    code: str
    tests: str


def can_run(job, payload: dict) -> bool:
    """Whether the work page offers Run tests: a Python code-review task that comes with tests."""
    return (job.kind == "code_review" and (job.config or {}).get("language", "python") == "python"
            and bool((payload.get("tests") or "").strip()))


def prepare(assignment_id: int, worker, now: datetime) -> RunPlan:
    """The run for the trainer's own, still reserved code-review task (NotFound for anyone else's)."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.worker_id != worker.id:
        raise NotFound("There is no such task in your work. It may belong to someone else.")
    if not can_run(assignment.job, assignment.task.payload):
        raise ValidationFailed("This task has no tests to run.", code="no_tests")
    if assignment.status != states.RESERVED or assignment.expires_at <= now:
        raise Conflict("Tests run only while the task is yours to answer.", code="not_reserved")
    payload = assignment.task.payload
    return RunPlan(assignment.id, worker.id, payload["code"], codetests.prepare_tests(payload["tests"]))


def execute(plan: RunPlan, limits: SandboxLimits) -> dict:
    """Run the tests in the sandbox (never raises for anything the code does)."""
    return run_python_tests(plan.code, plan.tests, limits=limits).to_dict()


def record(plan: RunPlan, result: dict, now: datetime) -> CodeRun:
    """Keep the run, unless the task stopped being the trainer's while it ran (submitted, returned, expired)."""
    still_mine = db.session.scalar(sa.select(Assignment.id).where(
        Assignment.id == plan.assignment_id, Assignment.worker_id == plan.worker_id,
        Assignment.status == states.RESERVED, Assignment.expires_at > now))
    if still_mine is None:
        raise Conflict("The task was submitted or ended while the tests ran, so this run was not kept.",
                       code="not_reserved")
    run = CodeRun(assignment_id=plan.assignment_id, worker_id=plan.worker_id, ran_at=now,
                  status=result.get("status", "error"), result={})
    db.session.add(run)
    db.session.flush()
    run.result = codetests.stored_result(result, run_id=run.id, ran_at=now.isoformat())
    run.passed, run.failed = run.result["passed"], run.result["failed"]
    return run


def latest(assignment_id: int) -> CodeRun | None:
    return db.session.scalar(sa.select(CodeRun).where(CodeRun.assignment_id == assignment_id)
                             .order_by(CodeRun.id.desc()).limit(1))


def attach_latest(assignment: Assignment, answer):
    """The answer with the server's last test run of this assignment as `test_run` (any `test_run` the client
    sent is dropped: only a run the sandbox really made may travel with the answer)."""
    if not isinstance(answer, dict) or assignment.job.kind != "code_review":
        return answer
    answer = {key: value for key, value in answer.items() if key != "test_run"}
    run = latest(assignment.id)
    if run is not None:
        answer["test_run"] = run.result
    return answer
