"""The code-review sandbox runs a task's Python tests against AI-written code and reports each test's outcome."""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from marketplace.assignment import sandbox
from marketplace.assignment.sandbox import Isolation, SandboxLimits, run_python_tests

REPO = Path(__file__).resolve().parents[2]
LIMITS = SandboxLimits(cpu_seconds=2, wall_seconds=5, memory_mb=256, output_bytes=4096, file_size_mb=4,
                       scratch_mb=16, processes=16)
APP_UID_BASE = 1_500_000_000
ADD = "def add(a, b):\n    return a + b\n"
ADD_TESTS = textwrap.dedent("""
    from solution import add

    def test_small_numbers():
        assert add(2, 3) == 5

    def test_negative_numbers():
        assert add(-2, -3) == -5
""")


def run(code: str, tests: str, **kwargs):
    return run_python_tests(code, textwrap.dedent(tests), limits=kwargs.pop("limits", LIMITS), **kwargs)


def test_correct_solution_passes_every_test():
    result = run(ADD, ADD_TESTS)
    assert result.status == "passed"
    assert result.passed_tests == ["test_small_numbers", "test_negative_numbers"]
    assert result.summary == "All 2 tests passed."


def test_wrong_solution_fails_and_names_the_failing_test_and_line():
    result = run("def add(a, b):\n    return a + abs(b)\n", ADD_TESTS)
    assert result.status == "failed"
    assert result.passed_tests == ["test_small_numbers"]
    assert result.failed_tests == ["test_negative_numbers"]
    message = result.test("test_negative_numbers").message
    assert 'File "test_solution.py", line 8, in test_negative_numbers' in message
    assert "assert add(-2, -3) == -5" in message and message.endswith("AssertionError")
    assert result.summary == "1 of 2 tests passed; 1 failed."


def test_exception_in_the_solution_is_an_error_pointing_at_the_solution_line():
    result = run("def add(a, b):\n    return a + undefined\n", ADD_TESTS)
    assert result.status == "failed"
    outcome = result.test("test_small_numbers")
    assert outcome.outcome == "error"
    assert 'File "solution.py", line 2, in add' in outcome.message
    assert "NameError: name 'undefined' is not defined" in outcome.message


def test_syntax_error_in_the_solution_is_reported():
    result = run("def add(a, b)\n    return a + b\n", ADD_TESTS)
    assert result.status == "error"
    assert result.tests == ()
    assert result.summary.startswith("The tests could not run: SyntaxError")
    assert 'File "solution.py", line 1' in result.extra["import_error"]


def test_unittest_test_cases_are_run_with_skips_and_subtests():
    result = run(ADD, """
        import unittest
        from solution import add

        class AddTests(unittest.TestCase):
            def test_commutes(self):
                for a, b in [(1, 2), (3, 4)]:
                    with self.subTest(a=a, b=b):
                        self.assertEqual(add(a, b), add(b, a))

            def test_is_wrong(self):
                self.assertEqual(add(1, 1), 3)

            @unittest.skip("not today")
            def test_skipped(self):
                pass
    """)
    assert result.status == "failed"
    outcomes = {t.name: t.outcome for t in result.tests}
    assert outcomes == {"AddTests.test_commutes": "passed", "AddTests.test_is_wrong": "failed",
                        "AddTests.test_skipped": "skipped"}
    assert "AssertionError: 2 != 3" in result.test("AddTests.test_is_wrong").message


def test_no_tests_is_an_error_not_a_pass():
    result = run(ADD, "from solution import add\n")
    assert result.status == "error"
    assert "No tests found" in result.summary


def test_solution_that_exits_while_imported_ends_the_run_as_an_error():
    result = run("import os\nos._exit(3)\n", ADD_TESTS)
    assert result.status == "error"
    assert result.summary == "The test run ended early (exit code 3) before every test reported."


def test_sys_exit_inside_a_test_is_that_test_s_error():
    result = run(ADD, "import sys\ndef test_quits():\n    sys.exit(0)\n\ndef test_after():\n    pass\n")
    assert result.status == "failed"
    assert result.test("test_quits").outcome == "error" and "SystemExit" in result.test("test_quits").message
    assert result.test("test_after").outcome == "passed"


def test_result_can_be_stored_with_the_answer_as_json():
    result = run(ADD, ADD_TESTS)
    stored = json.loads(json.dumps(result.to_dict()))
    assert stored["status"] == "passed"
    assert [t["name"] for t in stored["tests"]] == ["test_small_numbers", "test_negative_numbers"]
    assert stored["limits"]["cpu_seconds"] == 2 and "audit_hook" in stored["layers"]


def test_oversized_source_is_refused_before_anything_runs():
    result = run("x = 1\n" * 200_000, ADD_TESTS)
    assert result.status == "error" and "larger than" in result.summary


def test_limits_come_from_the_config_keys(app):
    limits = SandboxLimits.from_config(app.config)
    assert (limits.cpu_seconds, limits.memory_mb, limits.wall_seconds, limits.output_bytes) == (
        app.config["SANDBOX_CPU_SECONDS"], app.config["SANDBOX_MEMORY_MB"], app.config["SANDBOX_WALL_SECONDS"],
        app.config["SANDBOX_OUTPUT_BYTES"])
    assert SandboxLimits.from_config({"SANDBOX_CPU_SECONDS": "3"}).cpu_seconds == 3
    with pytest.raises(ValueError, match="cpu_seconds"):
        SandboxLimits(cpu_seconds=0)


def test_layers_in_use_are_reported():
    result = run(ADD, ADD_TESTS)
    assert {"rlimits", "own_session", "clean_environment", "no_new_privs", "audit_hook"} <= set(result.layers)
    namespaces = {"pid_namespace", "net_namespace", "mount_namespace", "scratch_tmpfs"}
    if namespaces <= set(result.layers):
        assert not any(m.startswith("namespaces") for m in result.missing_layers)
    else:  # said, not silent: the fallback is the guard plus the subreaper
        assert any(m.startswith("namespaces:") for m in result.missing_layers)
        assert "subreaper" in result.layers
    if os.geteuid() == 0:
        assert "unprivileged_uid" in result.layers and result.sandbox_uid != 0
    if os.uname().machine == "x86_64":
        assert "seccomp" in result.layers


def test_without_namespaces_the_sandbox_falls_back_to_the_guard_and_says_so(monkeypatch):
    for kind in ("root", "user"):
        monkeypatch.setitem(sandbox._probe_results, kind, "simulated: unshare is not permitted")
        monkeypatch.setitem(sandbox._probe_failed_at, kind, time.monotonic())
    result = run(ADD, "import socket\ndef test_net():\n    socket.create_connection(('127.0.0.1', 9), timeout=1)\n")
    assert "namespaces: simulated: unshare is not permitted" in result.missing_layers
    assert "net_namespace" not in result.layers and "audit_hook" in result.layers
    assert "sandbox: network access is not allowed" in result.test("test_net").message

    refused = run(ADD, ADD_TESTS, isolation=Isolation(namespaces="require"))
    assert refused.status == "error" and refused.summary.startswith("Sandbox unavailable: namespaces: simulated")


def test_four_runs_at_once_all_finish_with_their_own_results():
    bomb = "import os\ndef test_bomb():\n    while True:\n        try:\n            os.fork()\n        except OSError:\n" \
           "            pass\n"
    spin = "def test_spin():\n    while True:\n        pass\n"
    jobs = [(ADD, ADD_TESTS), ("def add(a, b):\n    return a - b\n", ADD_TESTS), ("", bomb), ("", spin)]
    limits = SandboxLimits(cpu_seconds=1, wall_seconds=6, memory_mb=256, output_bytes=4096, processes=16)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda job: run(*job, limits=limits), jobs))
    assert [r.status for r in results[:2]] == ["passed", "failed"]
    assert results[2].status in ("timeout", "cpu_limit") and results[3].status in ("timeout", "cpu_limit")
    if os.geteuid() == 0:
        assert len({r.sandbox_uid for r in results}) == 4  # one fork bomb cannot use up another run's processes


NOT_ROOT_SCRIPT = r"""
import ctypes, json, os, sys, time, types
# A child subreaper: whatever the runs leave behind (even after setsid and a double fork) is re-parented to this
# process, so "our own descendants" names exactly this test's processes, not every nobody process on the machine.
PR_SET_CHILD_SUBREAPER = 36
if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
for name in ("marketplace", "marketplace.assignment"):  # load the pure module without the Flask app package
    module = types.ModuleType(name)
    module.__path__ = [os.path.join(sys.argv[1], *name.split("."))]
    sys.modules[name] = module
from marketplace.assignment.sandbox import Isolation, SandboxLimits, run_python_tests
limits = SandboxLimits(cpu_seconds=2, wall_seconds=3, memory_mb=256, output_bytes=4096, processes=16)
attacks = {
    "files": "def test_read():\n    print(open(%r).read())\n" % os.path.join(sys.argv[1], "config.py"),
    "network": "import socket\ndef test_net():\n    socket.create_connection(('127.0.0.1', 9), timeout=1)\n",
    "fork_bomb": "import os\ndef test_bomb():\n    while True:\n        try:\n            os.fork()\n"
                 "        except OSError:\n            pass\n",
}
report = {}
for mode, isolation in (("auto", Isolation()), ("fallback", Isolation(namespaces="off"))):
    for name, tests in attacks.items():
        result = run_python_tests("", tests, limits=limits, isolation=isolation)
        report[f"{mode}/{name}"] = {"status": result.status, "layers": result.layers, "stdout": result.stdout,
                                    "missing": result.missing_layers, "messages": [t.message for t in result.tests]}


def live_descendants():
    while True:  # reap what was re-parented to us and already died
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break
    parents = {}
    for entry in os.listdir("/proc"):
        try:
            stat = open(f"/proc/{entry}/stat", "rb").read().rpartition(b")")[2].split()
        except (OSError, ValueError):
            continue
        if entry.isdigit() and stat[0] != b"Z":
            parents[int(entry)] = int(stat[1])
    found, frontier = [], [os.getpid()]
    while frontier:
        kids = [pid for pid, parent in parents.items() if parent == frontier[-1]]
        frontier.pop()
        found += kids
        frontier += kids
    return found


deadline = time.monotonic() + 10  # a kill in flight on a loaded machine: wait for the condition, not a fixed time
while (left := live_descendants()) and time.monotonic() < deadline:
    time.sleep(0.05)
report["leftovers"] = left
print(json.dumps(report))
"""


@contextlib.contextmanager
def readable_checkout():
    """The checkout itself when another user can read it; otherwise (a clone in a 0700 mktemp directory, as CI
    makes) a world-readable copy of what the unprivileged run needs: the sandbox package and config.py, the file
    its attack tries to read."""
    if sandbox._world_can(str(REPO / "marketplace" / "assignment" / "sandbox.py"), os.R_OK):
        yield REPO
        return
    copy = Path(tempfile.mkdtemp(prefix="fairtrain-sandbox-repo-", dir="/tmp"))  # /tmp: every user can enter it
    try:
        shutil.copytree(REPO / "marketplace" / "assignment", copy / "marketplace" / "assignment",
                        ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(REPO / "config.py", copy / "config.py")
        for folder, _, files in os.walk(copy):
            os.chmod(folder, 0o755)
            for name in files:
                os.chmod(os.path.join(folder, name), 0o644)
        yield copy
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def test_sandbox_contains_attacks_when_the_app_is_not_root():
    """CI runs as root; a deployment may not. Run the attacks from an unprivileged user: a uid of its own rather
    than nobody, so that the process limit (counted per uid) is not shared with another checkout's test run."""
    if os.geteuid() != 0:
        pytest.skip("already running as a normal user: every other sandbox test exercises this path")
    python = shutil.which("python3", path="/usr/bin:/usr/local/bin")
    if python is None or not sandbox._world_can(python, os.X_OK):
        pytest.skip("no system python3 that another user can run")
    app_uid = APP_UID_BASE + secrets.randbelow(100_000_000)  # outside the sandbox's per-run range
    with readable_checkout() as repo:
        completed = subprocess.run([python, "-c", NOT_ROOT_SCRIPT, str(repo)], capture_output=True, text=True,
                                   timeout=120, user=app_uid, group=app_uid, extra_groups=[], cwd="/tmp",
                                   env={"PATH": "/usr/bin:/bin", "SECRET_KEY": "not-for-the-sandbox"}, check=False)
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    for mode in ("auto", "fallback"):
        assert report[f"{mode}/files"]["status"] == "failed" and "ProductionConfig" not in report[f"{mode}/files"][
            "stdout"]
        assert report[f"{mode}/network"]["status"] == "failed"
        assert report[f"{mode}/fork_bomb"]["status"] in ("timeout", "cpu_limit")
    auto_layers = set(report["auto/files"]["layers"])
    if "user_namespace" in auto_layers:
        assert {"net_namespace", "mount_namespace", "pid_namespace", "no_capabilities"} <= auto_layers
    else:
        assert any(m.startswith("namespaces:") for m in report["auto/files"]["missing"])
    assert "unprivileged_uid" not in auto_layers  # said plainly: the code runs as the app's own user
    # Only this test's own processes count (the script is their subreaper): other nobody processes on the machine,
    # such as another checkout's test run at the same time, are none of its business.
    assert report["leftovers"] == []


def test_runs_beyond_the_concurrency_cap_wait_for_a_slot_or_are_told_the_sandbox_is_busy(monkeypatch):
    monkeypatch.setattr(sandbox, "_slots", sandbox.threading.BoundedSemaphore(1))
    sandbox._slots.acquire()  # another run holds the only slot
    try:
        busy = run(ADD, ADD_TESTS, limits=SandboxLimits(wall_seconds=0.2))
    finally:
        sandbox._slots.release()
    assert busy.status == "error" and busy.summary == "The sandbox is busy; try again in a moment."
    assert run(ADD, ADD_TESTS).status == "passed"  # the slot is free again

