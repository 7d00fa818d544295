"""Sandbox results: what a code-review test run did, built from the supervisor's status and the runner's report."""
# Pure module. The supervisor's status (exit, signal, CPU used, why it stopped) is trusted: the code under test
# cannot reach the pipe it travels on. The runner's report is written from inside the sandbox, so it is parsed
# defensively (sizes capped, types checked) and only describes tests, never limits.
from __future__ import annotations

import json
import signal
from dataclasses import asdict, dataclass, field
from typing import Any

STATUSES = ("passed", "failed", "error", "timeout", "cpu_limit", "killed_memory", "output_truncated")
OUTCOMES = ("passed", "failed", "error", "skipped", "stopped")
MAX_TESTS = 500
NAME_CHARS, MESSAGE_CHARS = 200, 4000


@dataclass(frozen=True)
class TestOutcome:
    """One test: passed / failed (assertion) / error (exception) / skipped / stopped (a limit ended it)."""

    __test__ = False  # not a pytest test class, despite the name

    name: str
    outcome: str
    message: str = ""
    duration_seconds: float = 0.0


@dataclass(frozen=True)
class SandboxResult:
    """The outcome of one sandbox run, as shown to the trainer and stored with the answer."""

    status: str
    summary: str
    tests: tuple[TestOutcome, ...] = ()
    stdout: str = ""
    stderr: str = ""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    duration_seconds: float = 0.0
    cpu_seconds: float | None = None
    layers: tuple[str, ...] = ()
    missing_layers: tuple[str, ...] = ()
    limits: Any = None
    sandbox_uid: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def passed_tests(self) -> list[str]:
        return [t.name for t in self.tests if t.outcome == "passed"]

    @property
    def failed_tests(self) -> list[str]:
        return [t.name for t in self.tests if t.outcome in ("failed", "error", "stopped")]

    def test(self, name: str) -> TestOutcome | None:
        return next((t for t in self.tests if t.name == name), None)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["tests"] = [asdict(t) for t in self.tests]
        data["layers"], data["missing_layers"] = list(self.layers), list(self.missing_layers)
        return data


def _text(value, limit: int) -> str:
    return (value if isinstance(value, str) else "")[:limit]


def parse_report(raw: str) -> dict:
    """Events from the runner's JSON lines: tests in order, an import error, whether it finished, memory errors."""
    tests: dict[str, dict] = {}
    parsed = {"tests": tests, "import_error": None, "done": False, "memory_error": False, "running": None}
    for line in raw.splitlines()[: MAX_TESTS * 2 + 10]:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        kind, name = event.get("event"), _text(event.get("name"), NAME_CHARS)
        parsed["memory_error"] |= event.get("memory_error") is True
        if kind == "start" and name and len(tests) < MAX_TESTS:
            tests.setdefault(name, {"outcome": "stopped", "message": "", "duration": 0.0})
            parsed["running"] = name
        elif kind == "end" and name and (name in tests or len(tests) < MAX_TESTS):
            outcome = event.get("outcome") if event.get("outcome") in OUTCOMES else "error"
            duration = event.get("duration") if isinstance(event.get("duration"), (int, float)) else 0.0
            tests[name] = {"outcome": outcome, "message": _text(event.get("message"), MESSAGE_CHARS),
                           "duration": float(duration)}
            if parsed["running"] == name:
                parsed["running"] = None
        elif kind == "import_error":
            parsed["import_error"] = _text(event.get("message"), MESSAGE_CHARS) or "The tests could not be loaded."
        elif kind == "done":
            parsed["done"] = True
    return parsed


def _stopped_message(status: str, limits) -> str:
    return {
        "timeout": f"stopped: the wall-clock limit of {limits.wall_seconds:g} s was reached",
        "cpu_limit": f"stopped: the CPU-time limit of {limits.cpu_seconds} s was reached",
        "killed_memory": f"stopped: the memory limit of {limits.memory_mb} MB was reached",
        "output_truncated": f"stopped: the output passed {limits.output_flood_bytes} bytes",
    }.get(status, "stopped: the test run ended before this test finished")


def _status(boot: dict, report: dict, pumped: dict, limits) -> tuple[str, str]:
    """The run's status and a sentence a trainer can read."""
    runner = boot.get("runner_status") or {}
    sig = runner.get("signal")
    cpu = boot.get("cpu_seconds") or 0.0
    if boot.get("stopped") == "wall" or pumped["backstop"]:
        return "timeout", f"Stopped after the wall-clock limit of {limits.wall_seconds:g} s."
    if pumped["flooded"]:
        return "output_truncated", (f"Stopped: the code wrote more than {limits.output_flood_bytes} bytes of "
                                    f"output; the first {limits.output_bytes} bytes are kept.")
    oom = pumped.get("oom_killed", False) and not report["done"]
    if oom and sig == signal.SIGKILL:
        return "killed_memory", f"The run ran out of memory (limit {limits.memory_mb} MB)."
    # SIGKILL after an ignored SIGXCPU is the hard CPU limit; the usage the kernel reports can read a little low.
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= limits.cpu_seconds * 0.8):
        return "cpu_limit", f"Stopped after the CPU-time limit of {limits.cpu_seconds} s."
    if oom or report["memory_error"] or (
            not report["done"] and "MemoryError" in pumped["stderr"].decode(errors="replace")):
        return "killed_memory", f"The code ran out of memory (limit {limits.memory_mb} MB)."
    if report["import_error"]:
        return "error", "The tests could not run: " + report["import_error"].strip().splitlines()[-1]
    if not report["done"]:
        how = f"signal {signal.Signals(sig).name}" if sig else f"exit code {runner.get('exit')}"
        return "error", f"The test run ended early ({how}) before every test reported."
    tests = report["tests"].values()
    failing = [t for t in tests if t["outcome"] in ("failed", "error", "stopped")]
    passed = [t for t in tests if t["outcome"] == "passed"]
    if failing:
        return "failed", f"{len(passed)} of {len(tests)} tests passed; {len(failing)} failed."
    return "passed", f"All {len(passed)} tests passed."


def build_result(pumped: dict, *, limits, layers, missing, uid, duration: float) -> SandboxResult:
    """Combine the parent's view (output, flood, back-stop) with the supervisor's status and the runner's report."""
    common = {
        "stdout": pumped["stdout"].decode("utf-8", "replace"), "stderr": pumped["stderr"].decode("utf-8", "replace"),
        "stdout_truncated": pumped["stdout_seen"] > len(pumped["stdout"]),
        "stderr_truncated": pumped["stderr_seen"] > len(pumped["stderr"]),
        "duration_seconds": round(duration, 3), "layers": tuple(layers), "missing_layers": tuple(missing),
        "limits": limits, "sandbox_uid": uid,
    }
    try:
        boot = json.loads(pumped["status"].decode("utf-8", "replace"))
    except ValueError:
        boot = None
    if not isinstance(boot, dict):
        if pumped["backstop"]:
            return SandboxResult(status="timeout", summary=f"Stopped after the wall-clock limit of "
                                                           f"{limits.wall_seconds:g} s.", **common)
        return SandboxResult(status="error", summary="The sandbox supervisor failed to report.", **common)
    if boot.get("setup_error"):
        return SandboxResult(status="error", summary="Sandbox set-up failed: " + str(boot["setup_error"]), **common)
    if boot.get("seccomp"):
        common["layers"] += ("seccomp",)
    else:
        common["missing_layers"] += ("seccomp: the filter is only built for x86_64",)
    report = parse_report(boot.get("report") or "")
    status, summary = _status(boot, report, pumped, limits)
    tests = tuple(
        TestOutcome(name=name, outcome=t["outcome"], duration_seconds=round(t["duration"], 4),
                    message=t["message"] or (_stopped_message(status, limits) if t["outcome"] == "stopped" else ""))
        for name, t in report["tests"].items()
    )
    if report["running"] and status in ("timeout", "cpu_limit", "killed_memory", "output_truncated"):
        summary += f" {report['running']} was running."
    if pumped.get("oom_killed") and status in ("passed", "failed"):
        summary += f" The memory limit ({limits.memory_mb} MB for the whole run) ended at least one process."
    return SandboxResult(status=status, summary=summary, tests=tests, cpu_seconds=boot.get("cpu_seconds"),
                         extra={"max_rss_kb": boot.get("max_rss_kb"), "import_error": report["import_error"],
                                "oom_killed": pumped.get("oom_killed"), "runner_end": boot.get("runner_status"),
                                "peak_memory_bytes": pumped.get("peak_memory_bytes")},
                         **common)
