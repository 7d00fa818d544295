"""Sandbox supervisor: builds the isolated view, starts the test runner under limits, then ends every process left."""
# Run by the app as `python -I -S _sandbox_boot.py CONFIG` (standard library only, never imported by the app),
# usually as PID 1 of fresh pid/net/mount namespaces made by util-linux `unshare`. It stays trusted: it forks the
# runner, which alone drops privileges and takes the limits, and it reports to the parent on a pipe the runner
# cannot see. Everything it needs is imported before the root is switched.
import ctypes
import json
import os
import resource
import select
import shutil
import signal
import stat
import struct
import sys
import time

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_SECUREBITS = 1, 24, 28
PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 36, 38
# SECBIT_NOROOT | _LOCKED | NO_SETUID_FIXUP | _LOCKED | KEEP_CAPS_LOCKED: uid 0 gains no capabilities on exec.
SECUREBITS_NO_ROOT = 0x2F
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "loongarch64": 41, "ppc64le": 203, "s390x": 217}
REPORT_LIMIT = 512 << 10
PR_SET_DUMPABLE, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 4, 22, 2
# Seccomp (x86_64 only: the numbers are per architecture): system calls the code under test never needs and that
# widen the kernel's attack surface or reach other processes. They fail with EPERM; clone3 fails with ENOSYS so
# the C library falls back to clone, whose namespace flags are checked.
AUDIT_ARCH_X86_64 = 0xC000003E
DENIED_X86_64 = (
    101, 310, 311,  # ptrace, process_vm_readv, process_vm_writev
    165, 166, 155, 161, 272, 308,  # mount, umount2, pivot_root, chroot, unshare, setns
    428, 429, 430, 431, 432, 433, 442,  # open_tree, move_mount, fsopen, fsconfig, fsmount, fspick, mount_setattr
    248, 249, 250, 321, 298, 323,  # add_key, request_key, keyctl, bpf, perf_event_open, userfaultfd
    425, 426, 427, 303, 304,  # io_uring_setup/enter/register, name_to_handle_at, open_by_handle_at
    246, 320, 175, 313, 176, 169, 167, 168, 163, 135,  # kexec x2, modules x3, reboot, swapon/off, acct, personality
)
CLONE, CLONE3, CLONE_NAMESPACE_FLAGS = 56, 435, 0x7E020000
DEVICES = ("null", "zero", "full", "random", "urandom")

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _prctl(option: int, arg: int) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), f"prctl({option})")


def _mount(source, target, fstype, flags, data=None) -> None:
    enc = (lambda v: v.encode() if isinstance(v, str) else v)
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {target}")


def _bind_readonly(source: str, target: str) -> None:
    _mount(source, target, None, MS_BIND)
    # A read-only remount must repeat the flags the source mount is locked with (in a user namespace).
    flags = os.statvfs(source).f_flag
    keep = (MS_NOEXEC if flags & os.ST_NOEXEC else 0) | (MS_NOATIME if flags & os.ST_NOATIME else 0) | (
        MS_NODIRATIME if flags & os.ST_NODIRATIME else 0) | (MS_RELATIME if flags & getattr(os, "ST_RELATIME", 4096)
                                                             else 0)
    _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | keep)


def build_root(cfg: dict) -> str:
    """A private, size-limited tmpfs root holding read-only system directories, a few devices and the scratch dir.

    Nothing else of the host file system (the app, its instance folder, /root, /home, /etc) exists in it.
    """
    new_root = cfg["new_root"]
    uid, gid = cfg["uid"], cfg["gid"]
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", new_root, "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={cfg['scratch_mb']}m,nr_inodes=4096,mode=0755")
    for path in cfg["system_paths"]:
        target = new_root + path
        if os.path.islink(path):
            os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
            os.symlink(os.readlink(path), target)
        elif os.path.isdir(path):
            os.makedirs(target, mode=0o755, exist_ok=True)
            _bind_readonly(path, target)
    os.makedirs(new_root + "/dev", mode=0o755, exist_ok=True)
    for name in DEVICES:
        if os.path.exists("/dev/" + name):
            open(new_root + "/dev/" + name, "w").close()
            _mount("/dev/" + name, new_root + "/dev/" + name, None, MS_BIND)
    os.makedirs(new_root + "/etc", mode=0o755, exist_ok=True)
    with open(new_root + "/etc/passwd", "w") as fh:
        fh.write(f"root:x:0:0:root:/:/bin/false\nsandbox:x:{uid}:{gid}:sandbox:/sandbox:/bin/false\n")
    with open(new_root + "/etc/group", "w") as fh:
        fh.write(f"root:x:0:\nsandbox:x:{gid}:\n")
    os.mkdir(new_root + "/tmp", 0o777)
    os.chmod(new_root + "/tmp", 0o1777)
    scratch = new_root + "/sandbox"
    os.mkdir(scratch, 0o700)
    for name in os.listdir(cfg["staging"]):
        shutil.copyfile(os.path.join(cfg["staging"], name), os.path.join(scratch, name))
    if cfg["drop_uid"]:
        os.chown(scratch, uid, gid)
    # Switch to the new root and detach the old one entirely, so no path leads back to the host file system.
    os.chdir(new_root)
    number = SYS_PIVOT_ROOT.get(os.uname().machine)
    if number is None:
        raise OSError(f"pivot_root is not known on {os.uname().machine}")
    _check(_libc.syscall(number, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "umount old root")
    os.chdir("/")
    return "/sandbox"


def drop_capabilities() -> None:
    """In a user namespace the runner is uid 0 there: remove every capability it would otherwise keep."""
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, ctypes.c_ulong(cap), 0, 0, 0) != 0 and ctypes.get_errno() == 22:
            break  # EINVAL: past the last capability this kernel knows
    _prctl(PR_SET_SECUREBITS, SECUREBITS_NO_ROOT)


def seccomp_program() -> bytes | None:
    """A classic BPF seccomp filter denying DENIED_X86_64 and namespace-creating clone flags; None elsewhere."""
    if os.uname().machine != "x86_64":
        return None
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, kill = 0x7FFF0000, 0x80000000
    eperm, enosys = 0x00050000 | 1, 0x00050000 | 38
    body = [(ld, "", "", 0), (jge, "deny", "", 0x40000000)]  # nr; x32 system calls
    body += [(jeq, "deny", "", nr) for nr in DENIED_X86_64]
    body += [(jeq, "enosys", "", CLONE3), (jeq, "", "allow", CLONE), (ld, "", "", 16),
             (jset, "deny", "allow", CLONE_NAMESPACE_FLAGS)]
    program = [(ld, "", "", 4), (jeq, "", "kill", AUDIT_ARCH_X86_64)] + body
    labels = {"allow": (ret, allow), "deny": (ret, eperm), "enosys": (ret, enosys), "kill": (ret, kill)}
    order = list(labels)
    end = len(program)
    out = b""
    for index, (code, true_to, false_to, k) in enumerate(program):
        jump = [end + order.index(t) - index - 1 if t else 0 for t in (true_to, false_to)]
        out += struct.pack("=HBBI", code, jump[0], jump[1], k)
    for name in order:
        out += struct.pack("=HBBI", labels[name][0], 0, 0, labels[name][1])
    return out


def install_seccomp(program: bytes) -> None:
    buffer = ctypes.create_string_buffer(program)
    fprog = struct.pack("=HxxxxxxQ", len(program) // 8, ctypes.addressof(buffer))
    fprog_buffer = ctypes.create_string_buffer(fprog)
    _check(_libc.prctl(PR_SET_SECCOMP, ctypes.c_ulong(SECCOMP_MODE_FILTER), fprog_buffer, 0, 0), "seccomp")


def start_runner(cfg: dict, scratch: str) -> None:
    """In the forked child: limits, identity, then exec the runner. Never returns."""
    try:
        for fd in cfg["cgroup_fds"]:
            os.write(fd, b"0")  # "0": the writing process itself
        os.setsid()
        os.chdir(scratch)
        os.umask(0o022)
        for name, value in cfg["rlimits"].items():
            resource.setrlimit(getattr(resource, name), tuple(value))
        os.nice(cfg.get("nice", 10))
        if cfg["drop_uid"]:
            os.setgroups([])
            os.setgid(cfg["gid"])
            os.setuid(cfg["uid"])
        if cfg["namespaces"] == "user":
            drop_capabilities()
        _prctl(PR_SET_NO_NEW_PRIVS, 1)
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after setuid, which clears it
        if cfg.get("seccomp"):
            install_seccomp(cfg["seccomp"])  # last, so the set-up above runs unfiltered
        os.closerange(3, 65536)
        # -u: output written before a limit stops the run still reaches the trainer.
        argv = [cfg["python"], "-I", "-S", "-B", "-u", "_runner.py", json.dumps(cfg["runner"])]
        os.execve(cfg["python"], argv, cfg["env"])
    except BaseException as exc:  # noqa: BLE001 -- report anything and never fall through into supervisor code
        os.write(2, f"sandbox: could not start the test runner: {exc}\n".encode())
    os._exit(127)


def _children_of(pid: int) -> list[int]:
    """Every live descendant of pid, read from /proc (used where there is no pid namespace)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    fields = fh.read().rpartition(b")")[2].split()
                parents[int(entry)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        kids = [child for child, parent in parents.items() if parent == current]
        found += kids
        frontier += kids
    return found


def _reap() -> list:
    reaped = []
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped
        if pid == 0:
            return reaped
        reaped.append((pid, status, usage))


def _record_runner(out: dict, status: int, usage) -> None:
    out["runner_status"] = _describe_status(status)
    out["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 3)
    out["max_rss_kb"] = usage.ru_maxrss


def end_everything() -> list:
    """Kill every process the runner left behind, whatever it did to hide (setsid, double fork); reap them all."""
    reaped = []
    for _attempt in range(2000):
        if os.getpid() == 1:
            # PID 1 of our own pid namespace: -1 means every other process in it, nothing outside it.
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                pass
        else:
            # No pid namespace: we are a child subreaper, so orphans come back to us and stay in our tree.
            for pid in _children_of(os.getpid()):
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        try:
            while True:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
                if pid == 0:
                    break
                reaped.append((pid, status, usage))
        except ChildProcessError:
            return reaped  # no children left at all
        time.sleep(0.002)
    return reaped


def read_report(path: str) -> str:
    """The runner's report, read without following links or blocking on a FIFO the code under test put there."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return ""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return ""
        return os.read(fd, REPORT_LIMIT).decode("utf-8", "replace")
    finally:
        os.close(fd)


def supervise(cfg: dict, runner: int, control_fd: int, out: dict) -> None:
    """Wait for the runner, the wall-clock limit or the parent's stop request, reaping orphans meanwhile."""
    deadline = time.monotonic() + cfg["wall_seconds"]
    watch = [control_fd]
    try:
        watch.append(os.pidfd_open(runner))
    except (AttributeError, OSError):
        pass  # older kernel: poll on the short select timeout instead
    while True:
        for pid, status, usage in _reap():
            if pid == runner:
                _record_runner(out, status, usage)
                return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            out["stopped"] = "wall"
            return
        readable, _, _ = select.select(watch, [], [], min(remaining, 0.05))
        if control_fd in readable and not os.read(control_fd, 64):
            out["stopped"] = "parent"  # the parent asked us to stop (output flood) or died
            return


def _describe_status(status: int) -> dict:
    if os.WIFSIGNALED(status):
        return {"signal": os.WTERMSIG(status)}
    return {"exit": os.WEXITSTATUS(status)}


def main() -> None:
    cfg = json.loads(sys.argv[1])
    _prctl(PR_SET_DUMPABLE, 0)  # the runner may share our uid (user namespace): no ptrace of the supervisor
    cfg["seccomp"] = seccomp_program()
    os.umask(0o022)  # directories made for the new root must be traversable by the sandbox uid
    status_fd, control_fd = cfg["status_fd"], cfg["control_fd"]
    os.set_inheritable(status_fd, False)
    os.set_inheritable(control_fd, False)
    out = {"setup_error": None, "runner_status": None, "stopped": None, "pid1": os.getpid() == 1,
           "seccomp": cfg["seccomp"] is not None}
    try:
        # Opened before the root is switched (no /sys after it); the runner joins them before it drops root.
        cfg["cgroup_fds"] = [os.open(path, os.O_WRONLY | os.O_CLOEXEC) for path in cfg.get("cgroup_procs", [])]
        if cfg["namespaces"]:
            scratch = build_root(cfg)
        else:
            scratch = cfg["staging"]
            if cfg["drop_uid"]:
                os.chown(scratch, cfg["uid"], cfg["gid"])
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
    except Exception as exc:  # noqa: BLE001 -- fail closed: no runner starts with a layer missing
        out["setup_error"] = f"{type(exc).__name__}: {exc}"
        os.write(status_fd, json.dumps(out).encode())
        os._exit(0)
    runner = os.fork()
    if runner == 0:
        start_runner(cfg, scratch)
    supervise(cfg, runner, control_fd, out)
    for pid, status, usage in end_everything():
        if pid == runner and out["runner_status"] is None:
            _record_runner(out, status, usage)
    out["report"] = read_report(os.path.join(scratch, cfg["runner"]["report"]))
    data = json.dumps(out).encode()
    while data:
        data = data[os.write(status_fd, data):]
    os._exit(0)


if __name__ == "__main__":
    main()
