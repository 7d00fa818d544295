"""Hostile code against the sandbox's isolation: files, network, environment, privileges, kernel calls, clean-up.

Each attack fails inside the sandbox and leaves the server healthy, under each layer set-up (see sandbox_helpers).
"""
from __future__ import annotations

import os
import socket
import textwrap

import pytest

from marketplace.assignment.sandbox import Isolation, run_python_tests
from tests.assignment.sandbox_helpers import (  # noqa: F401 -- mode and scratch_root are fixtures
    LIMITS, REPO, SLACK, assert_server_healthy, mode, run, scratch_root,
)


def ended_within_limits_and_server_healthy(result) -> None:
    assert result.duration_seconds < LIMITS.wall_seconds + SLACK
    assert_server_healthy(result)


def test_reading_files_outside_the_scratch_dir_is_refused(mode, scratch_root):
    result = run(mode, f"""
        def test_shadow():
            print(open("/etc/shadow").read())

        def test_repo_config():
            print(open({str(REPO / "config.py")!r}).read())

        def test_neighbour_by_dotdot():
            print(open("../../secret.txt").read())

        def test_neighbour_by_path():
            print(open({str(scratch_root / "secret.txt")!r}).read())

        def test_other_processes_environment():
            import os
            for pid in os.listdir("/proc"):
                try:
                    print(open(f"/proc/{{pid}}/environ").read())
                except OSError:
                    pass
            raise AssertionError("tried")
    """, scratch_root=str(scratch_root))
    assert result.status == "failed"
    assert {t.outcome for t in result.tests} <= {"error", "failed"} and len(result.tests) == 5
    for marker in ("root:", "ProductionConfig", "NEIGHBOUR-SECRET", "SECRET_KEY"):
        assert marker not in result.stdout
    message = result.test("test_repo_config").message
    if "audit_hook" in result.layers and not str(REPO).startswith("/tmp/"):
        assert "outside the scratch directory" in message
    elif "audit_hook" in result.layers:  # a checkout under /tmp is hidden by the sandbox's own tmpfs first
        assert "outside the scratch directory" in message or "No such file or directory" in message
    else:  # kernel layers alone: the repository is world-readable, so only the private mount view hides it
        assert "mount_namespace" in result.layers
        assert "No such file or directory" in message
    ended_within_limits_and_server_healthy(result)


def test_network_connection_to_an_open_local_port_fails(mode):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    port = listener.getsockname()[1]
    try:
        result = run(mode, f"""
            import socket
            def test_connect():
                with socket.create_connection(("127.0.0.1", {port}), timeout=2) as conn:
                    conn.sendall(b"stolen data")
        """)
        listener.settimeout(0)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing ever connected
    finally:
        listener.close()
    assert result.status == "failed"
    message = result.test("test_connect").message
    if "net_namespace" in result.layers:
        assert "Network is unreachable" in message or "sandbox: network access" in message
    else:
        assert "sandbox: network access is not allowed" in message
    ended_within_limits_and_server_healthy(result)


def test_writing_a_huge_file_is_stopped_by_the_file_size_limit(mode):
    result = run(mode, """
        def test_big_file():
            with open("big.bin", "wb") as fh:
                for _ in range(100):
                    fh.write(b"x" * 1_000_000)
    """)
    assert result.status == "failed"
    assert "[Errno 27] File too large" in result.test("test_big_file").message
    ended_within_limits_and_server_healthy(result)


def test_secrets_in_the_app_environment_are_not_visible(mode, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "app-secret-5521")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_app_secret_5521")
    result = run(mode, "import os\ndef test_env():\n    print(dict(os.environ))\n")
    assert result.status == "passed"
    assert "5521" not in result.stdout
    assert "HOME" in result.stdout and "PATH" in result.stdout


def test_privileges_cannot_be_regained(mode):
    result = run(mode, """
        import os
        def test_setuid_root():
            os.setuid(0)
            assert os.geteuid() == 0 and os.getuid() == 0
            os.setgroups([0])

        def test_chroot():
            os.chroot("/tmp")
    """)
    assert {t.outcome for t in result.tests} == {"error"}
    assert "Operation not permitted" in result.test("test_chroot").message


def test_scratch_dir_is_removed_after_the_run(mode, scratch_root):
    secret = scratch_root / "secret.txt"
    result = run(mode, f"""
        import os
        def test_leave_a_mess():
            os.makedirs("deep/er", exist_ok=True)
            open("deep/er/file", "w").write("x")
            try:  # a link to a host file: clean-up must remove the link, never chmod or delete its target
                os.symlink({str(secret)!r}, "deep/link")
            except PermissionError:
                pass  # refused by the audit hook
            os.chmod("deep/er", 0)
            os.chmod("deep", 0o500)
    """, scratch_root=str(scratch_root))
    assert result.status == "passed", [t.message for t in result.tests]
    assert sorted(p.name for p in scratch_root.iterdir()) == ["secret.txt"]
    assert oct(secret.stat().st_mode & 0o777) == oct(0o644) and secret.read_text() == "NEIGHBOUR-SECRET-7731"


def test_clean_up_of_a_scratch_dir_on_the_host_does_not_follow_links_the_code_left(scratch_root):
    # No namespaces and no audit hook: the scratch dir is on the host's disk and the link is really made.
    secret = scratch_root / "secret.txt"
    result = run_python_tests("", textwrap.dedent(f"""
        import os
        def test_link():
            os.mkdir("locked")
            os.symlink({str(secret)!r}, "locked/link")
            os.symlink({str(scratch_root)!r}, "parent")
            os.chmod("locked", 0)
    """), limits=LIMITS, isolation=Isolation(namespaces="off", audit_hook=False), scratch_root=str(scratch_root))
    assert result.status == "passed", [t.message for t in result.tests]
    assert sorted(p.name for p in scratch_root.iterdir()) == ["secret.txt"]
    assert oct(secret.stat().st_mode & 0o777) == oct(0o644) and secret.read_text() == "NEIGHBOUR-SECRET-7731"


def test_scratch_space_is_limited_with_namespaces():
    result = run("all_layers", """
        def test_fill():
            for number in range(20):
                with open(f"part{number}", "wb") as fh:
                    fh.write(b"x" * 3_000_000)
    """)
    if "scratch_tmpfs" not in result.layers:
        pytest.skip("no private tmpfs here (namespaces unavailable): " + "; ".join(result.missing_layers))
    assert "No space left on device" in result.test("test_fill").message


def test_kernel_attack_surface_is_filtered(mode):
    result = run(mode, """
        import os
        try:
            import ctypes
        except PermissionError:
            ctypes = None

        def test_namespaces_keys_and_ptrace_are_refused():
            if ctypes is None:
                print("ctypes refused")
                return
            libc = ctypes.CDLL(None, use_errno=True)
            assert libc.unshare(0x10000000) == -1 and ctypes.get_errno() == 1  # a new user namespace
            assert libc.syscall(250, 0, 0, 0, 0, 0) == -1 and ctypes.get_errno() == 1  # keyctl
            assert libc.ptrace(16, os.getppid(), 0, 0) == -1 and ctypes.get_errno() == 1  # attach to the supervisor

        def test_threads_and_fork_still_work():
            import threading
            done = []
            thread = threading.Thread(target=done.append, args=(1,))
            thread.start()
            thread.join()
            pid = os.fork()
            if pid == 0:
                os._exit(7)
            assert os.waitpid(pid, 0)[1] >> 8 == 7 and done == [1]
    """)
    assert result.status == "passed", [t.message for t in result.tests]
    if "audit_hook" in result.layers:
        assert result.stdout == "ctypes refused\n"
    if os.uname().machine == "x86_64":
        assert "seccomp" in result.layers
    else:
        assert "seccomp: the filter is only built for x86_64" in result.missing_layers
