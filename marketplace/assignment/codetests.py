"""Code-review test runs, the pure part: the test module sent to the sandbox, and the result an answer carries.

Requesters write a task's tests as they would by hand: test_* functions, unittest classes, or plain `assert`
lines. The sandbox runs test functions, so plain top-level asserts each become one test (named after its
line, with line numbers unchanged), and the code's names are imported for the tests.
"""
from __future__ import annotations

import ast
import re

MESSAGE_CHARS = 600    # per test, in the stored result
STREAM_CHARS = 4000    # stdout / stderr kept with the answer (the page shows the same)
MAX_TESTS = 100

# Appended, not prepended, so the tests' line numbers stay those the requester wrote. Test functions look names
# up when they run (after the whole module has loaded), so the import at the end is in time; names the tests
# define themselves are kept.
WRAPPER = re.compile(r"def test_line_\d+\(\): ")  # shown as the requester wrote the line
IMPORT_SOLUTION = (
    "\n\nimport solution as _fairtrain_solution  # added by FairTrain: the tests see the code's names\n"
    "globals().update({_k: _v for _k, _v in vars(_fairtrain_solution).items()\n"
    "                  if not _k.startswith('__') and _k not in globals()})\n"
)


def _has_tests(tree: ast.Module) -> bool:
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            return True
        if isinstance(node, ast.ClassDef):
            return True  # a unittest.TestCase (or a helper class: then the asserts are the requester's choice)
    return False


def prepare_tests(tests: str) -> str:
    """The test module for the sandbox: top-level asserts wrapped into test functions when the tests define
    none, and the solution's names made visible. Text that does not parse is sent as it is: the sandbox then
    reports the syntax error to the trainer, which is the useful outcome."""
    try:
        tree = ast.parse(tests)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return tests
    lines = tests.split("\n")
    if not _has_tests(tree):
        for node in tree.body:
            if isinstance(node, ast.Assert) and node.col_offset == 0:
                # Same line, so every line number in a failure message is the one the requester wrote.
                index = node.lineno - 1
                lines[index] = f"def test_line_{node.lineno}(): " + lines[index]
    return "\n".join(lines) + IMPORT_SOLUTION


def stored_result(result: dict, *, run_id: int | None = None, ran_at: str | None = None) -> dict:
    """The part of a sandbox result (SandboxResult.to_dict()) kept with the answer: small and self-explaining."""
    tests = [{"name": str(t.get("name", ""))[:200], "outcome": t.get("outcome", ""),
              "message": WRAPPER.sub("", str(t.get("message") or ""))[:MESSAGE_CHARS]}
             for t in (result.get("tests") or [])]
    passed = sum(1 for t in tests if t["outcome"] == "passed")
    failed = sum(1 for t in tests if t["outcome"] in ("failed", "error", "stopped"))
    out = {"status": result.get("status", "error"), "summary": str(result.get("summary", ""))[:500],
           "passed": passed, "failed": failed, "tests": tests[:MAX_TESTS],
           "stdout": str(result.get("stdout") or "")[:STREAM_CHARS],
           "stderr": str(result.get("stderr") or "")[:STREAM_CHARS],
           "output_truncated": bool(result.get("stdout_truncated") or result.get("stderr_truncated")
                                    or len(result.get("stdout") or "") > STREAM_CHARS
                                    or len(result.get("stderr") or "") > STREAM_CHARS),
           "duration_seconds": round(float(result.get("duration_seconds") or 0), 2)}
    if run_id is not None:
        out["run_id"] = run_id
    if ran_at is not None:
        out["ran_at"] = ran_at
    return out
