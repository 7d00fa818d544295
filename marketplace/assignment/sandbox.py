"""Code-review sandbox: runs a task's Python tests against AI-written code in an isolated, limited process."""
# Pure module (no flask, no db). The work page's "Run tests" button calls run_python_tests(); the result is shown
# to the trainer and stored with the answer (SandboxResult.to_dict()). How the isolation is built:
#   parent (this module) --unshare--> _sandbox_boot.py (trusted supervisor, PID 1 of new pid/net/mount/ipc/uts
#   namespaces, root of a private tmpfs) --fork, limits, unprivileged uid--> _sandbox_runner.py (+ _sandbox_guard.py)
# and the parent enforces the output cap and a back-stop deadline. Where namespaces are unavailable the same
# supervisor runs without them and the result lists what is missing (see README "Code review sandbox").
from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from marketplace.assignment import sandbox_cgroup
from marketplace.assignment.sandbox_process import force_remove, kill_group, kill_uid, pump, threads_of_uid
from marketplace.assignment.sandbox_report import SandboxResult, TestOutcome, build_result

__all__ = ["DEFAULT", "Isolation", "SandboxLimits", "SandboxResult", "TestOutcome", "run_python_tests"]

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
MAX_SOURCE_BYTES = 1 << 20
MB = 1024 * 1024
BACKSTOP_SLACK_SECONDS = 10.0  # beyond the wall limit, for set-up and clean-up, before the parent kills everything
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# Each run gets its own uid from this range (as root), so the process limit of one run is not shared with another
# and "every process of this uid" names exactly one run's processes.
UID_BASE, UID_SPAN = 2_000_000_000, 100_000_000
NOBODY = 65534
# Runs at once per app process; more wait for a slot (up to their wall limit), so pressing "Run tests" many times
# cannot fill the machine with sandboxes. The view should also rate-limit the button per trainer.
MAX_CONCURRENT_RUNS = 4
_slots = threading.BoundedSemaphore(MAX_CONCURRENT_RUNS)


@dataclass(frozen=True)
class SandboxLimits:
    """What one run may use. The four first are settings (config.py SANDBOX_*); the rest are fixed defaults."""

    cpu_seconds: int = 10  # per process (RLIMIT_CPU)
    wall_seconds: float = 20.0  # the whole run
    memory_mb: int = 512  # address space per process; with a cgroup also resident memory of the whole run
    output_bytes: int = 64 * 1024  # kept per stream (stdout, stderr)
    file_size_mb: int = 16  # largest file the code may write
    scratch_mb: int = 64  # size of the private tmpfs holding the scratch dir (with namespaces)
    processes: int = 32  # processes and threads of the sandbox uid
    open_files: int = 64
    output_flood_bytes: int = 8 << 20  # output read (and discarded) before the run is stopped

    def __post_init__(self):
        for name, value in asdict(self).items():
            if not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"sandbox limit {name} must be a positive number, got {value!r}")

    @classmethod
    def from_config(cls, config: Mapping) -> SandboxLimits:
        """Limits from the app's settings (SANDBOX_CPU_SECONDS, _MEMORY_MB, _WALL_SECONDS, _OUTPUT_BYTES)."""
        return cls(
            cpu_seconds=int(config.get("SANDBOX_CPU_SECONDS", cls.cpu_seconds)),
            memory_mb=int(config.get("SANDBOX_MEMORY_MB", cls.memory_mb)),
            wall_seconds=float(config.get("SANDBOX_WALL_SECONDS", cls.wall_seconds)),
            output_bytes=int(config.get("SANDBOX_OUTPUT_BYTES", cls.output_bytes)),
        )


DEFAULT = SandboxLimits()


@dataclass(frozen=True)
class Isolation:
    """Which layers to use. namespaces: "auto" (when they work here), "require" (refuse without), "off"."""

    namespaces: str = "auto"
    audit_hook: bool = True

    def __post_init__(self):
        if self.namespaces not in ("auto", "require", "off"):
            raise ValueError("namespaces must be 'auto', 'require' or 'off'")


@dataclass(frozen=True)
class _Plan:
    namespaces: str  # "root" (real root makes them), "user" (an unprivileged user namespace) or ""
    python: str | None
    system_paths: tuple[str, ...]
    uid: int | None
    audit_hook: bool
    missing: tuple[str, ...] = field(default=())

    @property
    def layers(self) -> tuple[str, ...]:
        layers = ["rlimits", "own_session", "clean_environment", "no_new_privs"]
        if self.namespaces:
            layers += ["pid_namespace", "net_namespace", "mount_namespace", "ipc_namespace", "scratch_tmpfs"]
            layers += ["user_namespace", "no_capabilities"] if self.namespaces == "user" else []
        else:
            layers.append("subreaper")
        if self.uid is not None:
            layers.append("unprivileged_uid")
        if self.audit_hook:
            layers.append("audit_hook")
        return tuple(layers)


def run_python_tests(code: str, tests: str, *, limits: SandboxLimits = DEFAULT,
                     isolation: Isolation = Isolation(), scratch_root: str | None = None) -> SandboxResult:
    """Run `tests` (a test module importing `solution`) against `code` (solution.py) in the sandbox.

    Never raises for anything the code does; every outcome, including a sandbox that cannot run safely here, is a
    SandboxResult whose `status` and `summary` say what happened.
    """
    for label, text in (("code", code), ("tests", tests)):
        if not isinstance(text, str):
            raise TypeError(f"{label} must be a str")
        if len(text.encode("utf-8", "replace")) > MAX_SOURCE_BYTES:
            return SandboxResult(status="error", summary=f"The {label} is larger than {MAX_SOURCE_BYTES} bytes.",
                                 limits=limits)
    plan = _plan(isolation)
    if plan.python is None:
        return SandboxResult(status="error", limits=limits, missing_layers=plan.missing,
                             summary="Sandbox unavailable: " + "; ".join(plan.missing))
    if not _slots.acquire(timeout=limits.wall_seconds):
        return SandboxResult(status="error", summary="The sandbox is busy; try again in a moment.", limits=limits)
    try:
        result = _execute(code, tests, limits, plan, scratch_root or tempfile.gettempdir())
    except OSError as exc:  # the host, not the code: no disk for the scratch dir, no processes left, ...
        log.exception("sandbox: could not run")
        return SandboxResult(status="error", summary=f"The sandbox could not start: {exc}", limits=limits,
                             layers=plan.layers, missing_layers=plan.missing)
    finally:
        _slots.release()
    log.info("sandbox run: status=%s tests=%d duration=%.2fs cpu=%s layers=%s", result.status, len(result.tests),
             result.duration_seconds, result.cpu_seconds, ",".join(result.layers))
    return result


# --- choosing the layers -------------------------------------------------------------------------------------

_probe_lock = threading.Lock()
_probe_results: dict[str, str | None] = {}
_probe_failed_at: dict[str, float] = {}
PROBE_RETRY_SECONDS = 300  # a failed probe is retried, so one bad moment does not weaken every later run


def _plan(isolation: Isolation) -> _Plan:
    root = os.geteuid() == 0
    missing: list[str] = []
    namespaces = ""
    if isolation.namespaces == "off":
        missing.append("namespaces: turned off")
    else:
        kind = "root" if root else "user"
        problem = _namespace_problem(kind, isolation.audit_hook)
        if problem is None:
            namespaces = kind
        else:
            missing.append(f"namespaces: {problem}")
            if isolation.namespaces == "require":
                return _Plan("", None, (), None, isolation.audit_hook, tuple(missing))
    python = _interpreter(world_usable=root and not namespaces)
    if python is None:
        missing.append("no Python interpreter that an unprivileged uid can run (and hostile code never runs as "
                       "root)")
    if not root:
        missing.append("unprivileged_uid: the app does not run as root, so the code runs as the app's own user")
    if not isolation.audit_hook:
        missing.append("audit_hook: turned off")
    return _Plan(namespaces, python, _system_paths(python), _pick_uid() if root else None, isolation.audit_hook,
                 tuple(missing))


def _namespace_problem(kind: str, audit_hook: bool) -> str | None:
    """Whether namespaces work here, found once per process by a real run of a trivial test (None: they work)."""
    with _probe_lock:
        if _probe_results.get(kind) and time.monotonic() - _probe_failed_at.get(kind, 0) > PROBE_RETRY_SECONDS:
            del _probe_results[kind]
        if kind not in _probe_results:
            unshare = shutil.which("unshare", path="/usr/bin:/bin:/usr/sbin:/sbin")
            if unshare is None:
                _probe_results[kind] = "util-linux unshare is not installed"
            else:
                python = _interpreter(world_usable=False)
                plan = _Plan(kind, python, _system_paths(python), _pick_uid() if kind == "root" else None, audit_hook)
                probe = _execute("", "def test_probe():\n    pass\n", SandboxLimits(cpu_seconds=5, wall_seconds=10),
                                 plan, tempfile.gettempdir())
                _probe_results[kind] = None if probe.status == "passed" else (
                    f"{probe.summary} {probe.stderr.strip()[-300:]}".strip())
            if _probe_results[kind]:
                _probe_failed_at[kind] = time.monotonic()
                log.warning("sandbox: %s namespaces unavailable, using fallback layers: %s", kind, _probe_results[kind])
        return _probe_results[kind]


def _interpreter(world_usable: bool) -> str | None:
    own = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    if not world_usable:
        return own
    # Without a private mount namespace the unprivileged uid must reach the interpreter and its standard library
    # itself (a pyenv build under /root is not reachable), so fall back to the system's Python 3.
    for candidate in (own, "/usr/bin/python3", "/usr/local/bin/python3"):
        real = os.path.realpath(candidate)
        stdlib = os.path.join(os.path.dirname(os.path.dirname(real)), "lib")
        if os.path.isfile(real) and _world_can(real, os.X_OK) and _world_can(stdlib, os.X_OK):
            return real
    return None


def _world_can(path: str, need: int) -> bool:
    """Whether a user who is neither owner nor in the group may use path (and traverse every directory above it)."""
    parts = Path(path).parts
    for depth in range(1, len(parts) + 1):
        current = os.path.join(*parts[:depth])
        try:
            mode = os.stat(current).st_mode
        except OSError:
            return False
        bit = 0o001 if depth < len(parts) or need == os.X_OK else 0o004
        if not mode & bit:
            return False
    return True


def _system_paths(python: str | None) -> tuple[str, ...]:
    paths = [p for p in SYSTEM_PATHS if os.path.lexists(p)]
    prefix = os.path.realpath(sys.base_prefix)
    for extra in (prefix, os.path.dirname(python or "")):
        if extra and not any(extra == p or extra.startswith(p + "/") for p in paths):
            paths.append(extra)
    return tuple(paths)


def _pick_uid() -> int:
    try:
        with open("/proc/self/uid_map") as fh:
            ranges = [tuple(int(x) for x in line.split()) for line in fh if line.strip()]
    except OSError:
        ranges = []
    if any(inner <= UID_BASE and UID_BASE + UID_SPAN <= inner + count for inner, _outer, count in ranges):
        return UID_BASE + secrets.randbelow(UID_SPAN)
    return NOBODY  # a narrow uid map (e.g. a container's): shared by concurrent runs, still unprivileged


# --- one run -------------------------------------------------------------------------------------------------

def _rlimits(limits: SandboxLimits, plan: _Plan) -> dict[str, list[int]]:
    processes = limits.processes
    if not plan.namespaces and plan.uid is None:
        # Same uid as the app: RLIMIT_NPROC counts the app's own processes and threads too.
        processes += threads_of_uid(os.getuid())
    return {
        "RLIMIT_CPU": [limits.cpu_seconds, limits.cpu_seconds + 1],  # SIGXCPU, then SIGKILL a second later
        "RLIMIT_AS": [limits.memory_mb * MB] * 2,
        "RLIMIT_FSIZE": [limits.file_size_mb * MB] * 2,
        "RLIMIT_NPROC": [processes] * 2,
        "RLIMIT_NOFILE": [limits.open_files] * 2,
        "RLIMIT_CORE": [0, 0],
        "RLIMIT_MSGQUEUE": [0, 0],
    }


def _stage(staging: str, code: str, tests: str) -> str:
    """The scratch files: solution.py, test_solution.py and the runner, readable by the sandbox uid."""
    os.chmod(staging, 0o711)  # traversable by the sandbox uid (plain mode), not listable
    files = os.path.join(staging, "files")
    os.mkdir(files, 0o755)
    os.mkdir(os.path.join(staging, "root"), 0o755)  # mount point of the private root (namespaces)
    for name, text in (("solution.py", code), ("test_solution.py", tests)):
        Path(files, name).write_text(text, encoding="utf-8")
    shutil.copyfile(HERE / "_sandbox_runner.py", os.path.join(files, "_runner.py"))
    shutil.copyfile(HERE / "_sandbox_guard.py", os.path.join(files, "_guard.py"))
    for name in os.listdir(files):
        os.chmod(os.path.join(files, name), 0o644)  # whatever the app's umask
    return files


def _argv(plan: _Plan, config: dict) -> list[str]:
    argv = [plan.python, "-I", "-S", "-B", str(HERE / "_sandbox_boot.py"), json.dumps(config)]
    if not plan.namespaces:
        return argv
    flags = ["--net", "--pid", "--fork", "--kill-child", "--mount", "--ipc", "--uts"]
    if plan.namespaces == "user":
        flags += ["--user", "--map-root-user"]
    return [shutil.which("unshare", path="/usr/bin:/bin:/usr/sbin:/sbin"), *flags, "--", *argv]


def _execute(code: str, tests: str, limits: SandboxLimits, plan: _Plan, scratch_root: str) -> SandboxResult:
    started = time.monotonic()
    staging = tempfile.mkdtemp(prefix="fairtrain-sandbox-", dir=scratch_root)
    layers, missing = list(plan.layers), list(plan.missing)
    cgroup = sandbox_cgroup.create(os.path.basename(staging), (limits.memory_mb + limits.scratch_mb) * MB,
                                   limits.processes)
    if isinstance(cgroup, str):
        missing.append(f"cgroup: {cgroup}")
        cgroup = None
    else:
        layers += ["cgroup_memory", "cgroup_pids"]
    status_r, status_w = os.pipe()
    control_r, control_w = os.pipe()
    proc = None
    try:
        files = _stage(staging, code, tests)
        scratch = "/sandbox" if plan.namespaces else files
        config = {
            "namespaces": plan.namespaces, "staging": files, "new_root": os.path.join(staging, "root"),
            "system_paths": list(plan.system_paths), "scratch_mb": limits.scratch_mb,
            "drop_uid": plan.uid is not None, "uid": plan.uid if plan.uid is not None else os.getuid(),
            "gid": plan.uid if plan.uid is not None else os.getgid(), "python": plan.python,
            "rlimits": _rlimits(limits, plan), "wall_seconds": limits.wall_seconds,
            "status_fd": status_w, "control_fd": control_r, "cgroup_procs": cgroup.procs_files if cgroup else [],
            "env": {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": scratch,
                    "TMPDIR": "/tmp" if plan.namespaces else scratch},
            "runner": {"report": ".fairtrain-report.jsonl", "audit_hook": plan.audit_hook,
                       "write_roots": ["/tmp"] if plan.namespaces else [], "read_roots": ["/usr/share/zoneinfo"]},
        }
        proc = subprocess.Popen(_argv(plan, config), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, pass_fds=(status_w, control_r), cwd="/", bufsize=0,
                                env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, start_new_session=True)
        os.close(status_w)
        os.close(control_r)
        status_w = control_r = -1
        pumped = pump(proc, status_r, control_w, limits, started + limits.wall_seconds + BACKSTOP_SLACK_SECONDS)
        control_w = -1  # closed by pump
        kill_group(proc)
        if cgroup is not None:
            pumped["oom_killed"] = cgroup.oom_killed()
            pumped["peak_memory_bytes"] = cgroup.peak_memory_bytes()
        return build_result(pumped, limits=limits, layers=layers, missing=missing, uid=plan.uid,
                            duration=time.monotonic() - started)
    finally:
        for fd in (status_r, status_w, control_r, control_w):
            if fd >= 0:
                os.close(fd)
        if proc is not None:
            kill_group(proc)
            for stream in (proc.stdout, proc.stderr):
                stream.close()
        if plan.uid is not None and plan.uid >= UID_BASE and not plan.namespaces:
            kill_uid(plan.uid)  # back-stop for a supervisor that was itself killed
        if cgroup is not None:
            cgroup.remove()
        shutil.rmtree(staging, onerror=force_remove)
