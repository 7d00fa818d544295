"""Per-run control groups for the sandbox: one memory and process budget for all of a run's processes together."""
# RLIMIT_AS and RLIMIT_NPROC bound each process and each uid; a cgroup bounds the run as a whole (a fork bomb of
# memory hogs cannot multiply the memory limit by the process limit). Used when the app runs as root and the
# memory and pids controllers can be written (cgroup v1, or v2 with both controllers delegated to our cgroup);
# otherwise the result names the layer as missing with the reason.
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


def _mounts() -> list[tuple[str, str, str, set[str]]]:
    """(root, mount point, fs type, super options) of every cgroup mount, from /proc/self/mountinfo."""
    found = []
    with open("/proc/self/mountinfo") as fh:
        for line in fh:
            left, _, right = line.partition(" - ")
            fields, rest = left.split(), right.split()
            if len(fields) >= 5 and len(rest) >= 3 and rest[0] in ("cgroup", "cgroup2"):
                found.append((fields[3], fields[4], rest[0], set(rest[2].split(","))))
    return found


def _own_paths() -> dict[str, str]:
    """Our cgroup path per v1 controller (and "" for the v2 hierarchy), from /proc/self/cgroup."""
    paths = {}
    with open("/proc/self/cgroup") as fh:
        for line in fh:
            _id, controllers, path = line.rstrip("\n").split(":", 2)
            for name in controllers.split(",") if controllers else [""]:
                paths[name] = path
    return paths


def _directory(mount_root: str, mount_point: str, path: str) -> str | None:
    if mount_root != "/" and not (path == mount_root or path.startswith(mount_root.rstrip("/") + "/")):
        return None
    relative = os.path.relpath(path, mount_root) if mount_root != "/" else path.lstrip("/")
    return os.path.normpath(os.path.join(mount_point, relative))


@dataclass
class RunCgroup:
    """The cgroup directories made for one run; the supervisor puts the runner in them before exec."""

    directories: list[str] = field(default_factory=list)
    version: int = 1

    @property
    def procs_files(self) -> list[str]:
        return [os.path.join(d, "cgroup.procs") for d in self.directories]

    def _read(self, name: str) -> str:
        for directory in self.directories:
            path = os.path.join(directory, name)
            if os.path.exists(path):
                with open(path) as fh:
                    return fh.read()
        return ""

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process of the run for going over the memory budget."""
        text = self._read("memory.events") if self.version == 2 else self._read("memory.oom_control")
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit() and int(value) > 0:
                return True
        return self.version == 1 and self._read("memory.failcnt").strip() not in ("", "0")

    def peak_memory_bytes(self) -> int | None:
        text = self._read("memory.peak" if self.version == 2 else "memory.max_usage_in_bytes").strip()
        return int(text) if text.isdigit() else None

    def remove(self) -> None:
        for directory in self.directories:
            for _attempt in range(100):
                try:
                    os.rmdir(directory)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)  # the last killed processes are still leaving
            else:
                log.warning("sandbox: could not remove cgroup %s", directory)


def _write(directory: str, name: str, value: str) -> None:
    with open(os.path.join(directory, name), "w") as fh:
        fh.write(value)


def create(name: str, memory_bytes: int, pids: int) -> RunCgroup | str:
    """Make the run's cgroup(s) with both limits set, or return why that is not possible here."""
    if os.geteuid() != 0:
        return "the app does not run as root"
    try:
        mounts, own = _mounts(), _own_paths()
    except OSError as exc:
        return f"cannot read cgroup mounts: {exc}"
    v1 = {}
    for root, point, kind, options in mounts:
        for controller in ("memory", "pids"):
            if kind == "cgroup" and controller in options and controller in own:
                v1[controller] = _directory(root, point, own[controller])
    run = RunCgroup()
    try:
        if v1.get("memory") and v1.get("pids"):
            for controller in ("memory", "pids"):
                run.directories.append(os.path.join(v1[controller], name))
                os.mkdir(run.directories[-1], 0o755)
            _write(run.directories[0], "memory.limit_in_bytes", str(memory_bytes))
            if os.path.exists(os.path.join(run.directories[0], "memory.memsw.limit_in_bytes")):
                _write(run.directories[0], "memory.memsw.limit_in_bytes", str(memory_bytes))
            _write(run.directories[1], "pids.max", str(pids))
            return run
        v2 = next((_directory(r, p, own[""]) for r, p, k, _o in mounts if k == "cgroup2" and "" in own), None)
        if v2 is None:
            return "no cgroup hierarchy with the memory and pids controllers"
        with open(os.path.join(v2, "cgroup.subtree_control")) as fh:
            delegated = set(fh.read().split())
        if not {"memory", "pids"} <= delegated:
            return "the memory and pids controllers are not delegated to the app's cgroup"
        run.version = 2
        run.directories.append(os.path.join(v2, name))
        os.mkdir(run.directories[0], 0o755)
        _write(run.directories[0], "memory.max", str(memory_bytes))
        if os.path.exists(os.path.join(run.directories[0], "memory.swap.max")):
            _write(run.directories[0], "memory.swap.max", "0")
        _write(run.directories[0], "pids.max", str(pids))
        return run
    except OSError as exc:
        run.remove()
        return f"cannot create a cgroup: {exc}"
