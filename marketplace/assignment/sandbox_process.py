"""Sandbox process plumbing: reading a run's output within its cap, and ending every process it started."""
# Pure module (no flask, no db), used by sandbox.py in the app's process.
from __future__ import annotations

import logging
import os
import selectors
import signal
import stat
import subprocess
import time

log = logging.getLogger(__name__)

STATUS_LIMIT = 4 << 20  # the supervisor's JSON: a 512 KiB report escapes to at most 3 MiB


def threads_of_uid(uid: int) -> int:
    total = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as fh:
                    fields = dict(line.split(":", 1) for line in fh if ":" in line)
                if int(fields["Uid"].split()[0]) == uid:
                    total += int(fields["Threads"])
            except (OSError, KeyError, ValueError):
                continue
    return total


def pump(proc, status_r: int, control_w: int, limits: SandboxLimits, backstop: float) -> dict:
    """Read stdout, stderr and the supervisor's status until the run ends, keeping at most the output limit."""
    kept = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
    seen = dict.fromkeys(kept, 0)
    status = bytearray()
    selector = selectors.DefaultSelector()
    for fd in (*kept, status_r):
        selector.register(fd, selectors.EVENT_READ)
    flooded = backstop_hit = False
    give_up_at = None
    while selector.get_map():
        now = time.monotonic()
        if now > backstop and not backstop_hit:
            backstop_hit = True
            kill_group(proc)
        if give_up_at is None and (backstop_hit or proc.poll() is not None):
            # The supervisor is gone; only processes that escaped it could still hold the pipes open.
            give_up_at = now + 1.0
        if give_up_at is not None and now > give_up_at:
            break
        for key, _mask in selector.select(timeout=0.1):
            chunk = os.read(key.fd, 65536)
            if not chunk:
                selector.unregister(key.fd)
            elif key.fd == status_r:
                status += chunk[: max(0, STATUS_LIMIT - len(status))]
            else:
                seen[key.fd] += len(chunk)
                room = limits.output_bytes - len(kept[key.fd])
                if room > 0:
                    kept[key.fd] += chunk[:room]
        if not flooded and sum(seen.values()) > limits.output_flood_bytes:
            flooded = True
            os.close(control_w)  # asks the supervisor to stop the run; it still reports what it has
            control_w = -1
            backstop = min(backstop, time.monotonic() + 5.0)
    selector.close()
    if control_w >= 0:
        os.close(control_w)
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    return {"status": bytes(status), "stdout": bytes(kept[out_fd]), "stderr": bytes(kept[err_fd]),
            "stdout_seen": seen[out_fd], "stderr_seen": seen[err_fd], "flooded": flooded,
            "backstop": backstop_hit}


def kill_group(proc) -> None:
    """SIGKILL the supervisor's process group (with namespaces this ends the whole pid namespace) and reap it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        log.error("sandbox: supervisor %s did not end after SIGKILL", proc.pid)


def kill_uid(uid: int) -> None:
    """Kill every process of a per-run uid (only ever one run's processes: the uid is unique to it)."""
    for _attempt in range(50):
        victims = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/status") as fh:
                        for line in fh:
                            if line.startswith("Uid:"):
                                if int(line.split()[1]) == uid:
                                    victims.append(int(entry))
                                break
                except (OSError, ValueError):
                    continue
        if not victims:
            return
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.01)
    log.error("sandbox: processes of uid %s survived clean-up", uid)


def force_remove(function, path, _exc_info) -> None:
    """rmtree error handler: the code may have made its directories unreadable or unwritable.

    Only real directories are chmod-ed (chmod follows symbolic links, and the code may have left a link to a host
    file such as /etc/shadow in its scratch dir).
    """
    try:
        for candidate in (os.path.dirname(path), path):
            if stat.S_ISDIR(os.lstat(candidate).st_mode):
                os.chmod(candidate, 0o700)
        function(path)
    except OSError:
        log.warning("sandbox: could not remove %s", path)
