"""Audit-hook guard inside the code-review sandbox: refuses network, files outside the scratch dir, new programs."""
# Copied into the scratch directory as _guard.py and imported by the runner before any code under test. Standard
# library only. This is the SECOND layer: Python's documentation is plain that audit hooks are not a sandbox (C
# extensions and interpreter bugs can get around them), so it backs up the kernel layers (namespaces, unprivileged
# uid, rlimits) and is the main file/network barrier only where those are unavailable; the result says which.
import os
import sys

# Modules whose C code opens files or runs programs without raising an audit event, or pokes at raw memory.
_BLOCKED_MODULES = frozenset({
    "_ctypes", "ctypes", "_sqlite3", "sqlite3", "_dbm", "_gdbm", "dbm.gnu", "dbm.ndbm", "readline", "_curses",
    "_tkinter", "nis", "_testcapi", "_testinternalcapi", "_testbuffer", "_testmultiphase", "_testimportmultiple",
    "_testsinglephase", "_xxsubinterpreters", "_xxinterpchannels", "_posixsubprocess", "_ctypes_test",
})
_EXEC_EVENTS = frozenset({
    "os.exec", "os.posix_spawn", "os.spawn", "os.system", "subprocess.Popen", "os.startfile", "pty.spawn",
})
_INTROSPECTION_EVENTS = frozenset({"gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys._current_frames"})
# Events whose arguments name paths that are changed: every one must lie inside the writable roots.
_MUTATING_EVENTS = {
    "os.remove": 1, "os.rmdir": 1, "os.mkdir": 1, "os.chmod": 1, "os.chown": 1, "os.truncate": 1, "os.utime": 1,
    "os.rename": 2, "os.link": 2, "os.chflags": 1, "os.lchflags": 1, "os.setxattr": 1, "os.removexattr": 1,
    "os.mkfifo": 1, "os.mknod": 1, "shutil.rmtree": 1, "shutil.move": 2, "shutil.copyfile": 2, "shutil.copymode": 2,
    "shutil.copystat": 2, "shutil.chown": 1, "shutil.copytree": 2, "shutil.make_archive": 1,
    "shutil.unpack_archive": 2,
}
_DEVICES = frozenset({"/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/full"})
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _inside(path: str, roots) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def install(scratch: str, config: dict) -> None:
    """Install the hook; it cannot be removed for the life of the interpreter."""
    scratch = os.path.realpath(scratch)
    write_roots = tuple({scratch, *(os.path.realpath(p) for p in config.get("write_roots", ()))})
    read_roots = tuple({
        *write_roots,
        *(os.path.realpath(p) for p in sys.path if p and os.path.realpath(p) != scratch),
        *(os.path.realpath(p) for p in config.get("read_roots", ())),
    })
    own_pid = os.getpid()

    # subprocess keeps working as a module (some code imports it without using it), but its process launcher
    # is removed here and re-importing the C module is refused below.
    import _posixsubprocess  # noqa: PLC0415

    if hasattr(_posixsubprocess, "fork_exec"):
        del _posixsubprocess.fork_exec

    def refuse(what: str):
        raise PermissionError(f"sandbox: {what} is not allowed")

    def resolve(path) -> str:
        return os.path.realpath(os.fsdecode(os.fspath(path)))

    def check_open(args) -> None:
        path, mode, flags = (tuple(args) + (None, None, None))[:3]
        if isinstance(path, int):
            return  # an already open descriptor
        real = resolve(path)
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS)
        if real in _DEVICES:
            return
        if _inside(real, write_roots):
            return
        if writing:
            refuse(f"writing {os.fsdecode(os.fspath(path))!r} outside the scratch directory")
        if not _inside(real, read_roots) or os.path.isdir(real):
            # Directory descriptors outside the scratch dir are refused: with dir_fd they would be a way around
            # the path check above.
            refuse(f"reading {os.fsdecode(os.fspath(path))!r} outside the scratch directory")

    def hook(event: str, args) -> None:
        if event == "open":
            check_open(args)
        elif event.startswith("socket."):
            refuse("network access")
        elif event in _EXEC_EVENTS:
            refuse("starting another program")
        elif event == "import":
            name = args[0] if args else ""
            if name in _BLOCKED_MODULES:
                refuse(f"the module {name!r}")
        elif event in ("os.listdir", "os.scandir"):
            path = args[0] if args and args[0] is not None else "."
            if not isinstance(path, int) and not _inside(resolve(path), read_roots):
                refuse(f"listing {os.fsdecode(os.fspath(path))!r}")
        elif event == "os.chdir":
            path = args[0] if args else None
            # Staying in the scratch root keeps relative paths meaning what the open check above assumes.
            if isinstance(path, int) or resolve(path) != scratch:
                refuse("changing the working directory")
        elif event == "os.symlink":
            refuse("creating symbolic links")
        elif event in _MUTATING_EVENTS:
            for path in list(args)[:_MUTATING_EVENTS[event]]:
                if isinstance(path, (str, bytes, os.PathLike)) and not _inside(resolve(path), write_roots):
                    refuse(f"{event} outside the scratch directory")
        elif event in ("os.kill", "os.killpg", "signal.pthread_kill"):
            target = args[0] if args else None
            if event != "signal.pthread_kill" and target not in (own_pid, 0):
                refuse("signalling other processes")
        elif event in _INTROSPECTION_EVENTS or event.startswith("ctypes.") or event.startswith("sqlite3."):
            refuse(event)

    sys.addaudithook(hook)
