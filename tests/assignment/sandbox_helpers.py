"""Shared set-up for the sandbox attack tests: the three layer set-ups, limits, and checks of server health.

Every attack runs under three set-ups: all layers (what production uses here), the kernel layers alone (namespaces,
uid, rlimits; no audit hook) and the fallback for hosts without namespaces (audit hook, uid, rlimits).
"""
from __future__ import annotations

import os
import subprocess
import tempfile
import textwrap
from pathlib import Path

import pytest

from marketplace.assignment.sandbox import Isolation, SandboxLimits, run_python_tests

REPO = Path(__file__).resolve().parents[2]
LIMITS = SandboxLimits(cpu_seconds=1, wall_seconds=10, memory_mb=256, output_bytes=4096, file_size_mb=4,
                       scratch_mb=16, processes=16)
WALL_BOUND = SandboxLimits(cpu_seconds=1, wall_seconds=3, memory_mb=256, output_bytes=4096, processes=16)
SLACK = 5.0  # seconds beyond a limit allowed for start-up and clean-up on a busy shared machine
MODES = {
    "all_layers": Isolation(),
    "kernel_only": Isolation(namespaces="require", audit_hook=False),
    "guard_fallback": Isolation(namespaces="off"),
}


@pytest.fixture(params=list(MODES))
def mode(request):
    return request.param


@pytest.fixture
def scratch_root():
    """A world-traversable parent for the runs' scratch dirs, holding a readable secret next to them."""
    path = Path(tempfile.mkdtemp(prefix="sandbox-attacks-", dir="/tmp"))
    path.chmod(0o755)
    secret = path / "secret.txt"
    secret.write_text("NEIGHBOUR-SECRET-7731")
    secret.chmod(0o644)
    yield path
    subprocess.run(["rm", "-rf", str(path)], check=False)


def run(mode: str, tests: str, code: str = "", limits: SandboxLimits = LIMITS, **kwargs):
    result = run_python_tests(code, textwrap.dedent(tests), limits=limits, isolation=MODES[mode], **kwargs)
    if mode == "kernel_only" and result.summary.startswith("Sandbox unavailable"):
        # Refusing to run is the required behaviour without namespaces; say so instead of passing quietly.
        assert any(m.startswith("namespaces:") for m in result.missing_layers)
        pytest.skip("namespaces unavailable here, and the sandbox refused to run without them: "
                    + "; ".join(result.missing_layers))
    return result


def uid_processes(uid: int | None) -> list[int]:
    if uid is None:
        return []
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and os.stat(f"/proc/{entry}").st_uid == uid:
                found.append(int(entry))
        except OSError:
            continue
    return found


def descendants(pid: int) -> list[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = int(Path(f"/proc/{entry}/stat").read_bytes().rpartition(b")")[2].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        kids = [child for child, parent in parents.items() if parent == current]
        found += kids
        frontier += kids
    return found


def assert_server_healthy(result) -> None:
    """Nothing of the run is left (no process of its uid, no child of ours), and we can still start programs."""
    assert uid_processes(result.sandbox_uid) == []
    assert descendants(os.getpid()) == []  # pytest itself starts no processes here
    assert subprocess.run(["true"], check=False).returncode == 0


