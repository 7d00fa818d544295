"""Hostile code against the sandbox's resource limits: CPU, wall clock, processes, memory, output.

Each attack ends within its limit and leaves the server healthy, under each layer set-up (see sandbox_helpers).
"""
from __future__ import annotations

import os
import signal
import tracemalloc

from marketplace.assignment.sandbox import SandboxLimits
from tests.assignment.sandbox_helpers import (  # noqa: F401 -- mode is a fixture
    LIMITS, SLACK, WALL_BOUND, assert_server_healthy, descendants, mode, run,
)

# A wall limit far above the CPU limit, so the CPU limit is what ends these runs even on a loaded machine (the
# code runs at nice 10 and may get a small share of a core).
CPU_BOUND = SandboxLimits(cpu_seconds=1, wall_seconds=30, memory_mb=256, output_bytes=4096, processes=16)


def test_infinite_loop_ends_at_the_cpu_limit(mode):
    result = run(mode, "def test_spin():\n    print('started')\n    while True:\n        pass\n", limits=CPU_BOUND)
    assert result.status == "cpu_limit"
    assert result.stdout == "started\n"  # output written before the limit still reaches the trainer
    assert result.test("test_spin").outcome == "stopped"
    assert "CPU-time limit of 1 s" in result.test("test_spin").message
    assert result.extra["runner_end"] == {"signal": signal.SIGXCPU}
    assert result.cpu_seconds <= CPU_BOUND.cpu_seconds + 1.1
    assert_server_healthy(result)


def test_code_that_ignores_the_cpu_signal_is_killed_at_the_hard_cpu_limit(mode):
    result = run(mode, """
        import signal
        def test_spin():
            signal.signal(signal.SIGXCPU, signal.SIG_IGN)
            while True:
                pass
    """, limits=CPU_BOUND)
    assert result.status == "cpu_limit"
    assert result.extra["runner_end"] == {"signal": signal.SIGKILL}  # the hard limit, a second after the soft one
    assert result.cpu_seconds <= CPU_BOUND.cpu_seconds + 1.1
    assert_server_healthy(result)


def test_sleeping_forever_ends_at_the_wall_clock_limit(mode):
    result = run(mode, "import time\ndef test_sleep():\n    time.sleep(600)\n", limits=WALL_BOUND)
    assert result.status == "timeout"
    assert "wall-clock limit of 3 s" in result.test("test_sleep").message
    assert WALL_BOUND.wall_seconds <= result.duration_seconds < WALL_BOUND.wall_seconds + SLACK
    assert_server_healthy(result)


def test_fork_bomb_ends_and_leaves_no_process_behind(mode):
    before = len(descendants(os.getpid()))
    result = run(mode, """
        import os
        def test_bomb():
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
    """, limits=WALL_BOUND)
    assert result.status in ("timeout", "cpu_limit")
    assert result.duration_seconds < WALL_BOUND.wall_seconds + SLACK
    assert len(descendants(os.getpid())) == before
    assert_server_healthy(result)


def test_process_limit_caps_how_many_processes_the_code_can_start(mode):
    result = run(mode, """
        import os, time
        def test_count():
            started = 0
            try:
                while started < 1000:
                    if os.fork() == 0:
                        time.sleep(60)
                        os._exit(0)
                    started += 1
            except OSError as exc:
                print("refused after", started, exc.errno)
    """)
    assert result.status == "passed", result.stderr
    started = int(result.stdout.split()[2])
    assert 0 < started < LIMITS.processes
    assert_server_healthy(result)  # the sleeping children were killed when the run ended


def test_processes_hidden_with_setsid_and_double_fork_are_killed_after_the_run(mode):
    result = run(mode, """
        import os, time
        def test_daemon():
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    time.sleep(120)
                os._exit(0)
            time.sleep(0.2)
    """)
    assert result.status == "passed"
    assert_server_healthy(result)


def test_memory_hog_is_stopped_at_the_memory_limit(mode):
    result = run(mode, """
        def test_hog():
            blocks = []
            while True:
                blocks.append(bytearray(10 ** 6))

        def test_one_huge_allocation():
            bytearray(10 ** 11)
    """)
    assert result.status == "killed_memory"
    assert "MemoryError" in result.test("test_hog").message
    assert "MemoryError" in result.test("test_one_huge_allocation").message
    assert result.extra["max_rss_kb"] <= LIMITS.memory_mb * 1024
    assert_server_healthy(result)


def test_memory_hogs_in_many_processes_share_one_memory_budget(mode):
    limits = SandboxLimits(cpu_seconds=3, wall_seconds=6, memory_mb=128, scratch_mb=16, processes=16)
    result = run(mode, """
        import os, time
        def test_hogs():
            children = []
            for _ in range(6):
                pid = os.fork()
                if pid == 0:
                    data = b"x" * (100 * 1024 * 1024)  # touched, so really resident
                    time.sleep(1)
                    os._exit(0)
                children.append(pid)
            print(*[os.waitpid(pid, 0)[1] for pid in children])
    """, limits=limits)
    assert result.status == "passed"
    if "cgroup_memory" in result.layers:
        budget = (limits.memory_mb + limits.scratch_mb) * 1024 * 1024
        assert result.extra["oom_killed"] and result.extra["peak_memory_bytes"] <= budget
        assert "9" in result.stdout.split()  # SIGKILLed by the kernel's out-of-memory killer, inside the run
        assert "memory limit" in result.summary
    else:  # said plainly: each process has its own limit, so the run may use processes x memory_mb
        assert any(m.startswith("cgroup:") for m in result.missing_layers)
        assert result.extra["max_rss_kb"] <= limits.memory_mb * 1024
    assert_server_healthy(result)


def test_output_flood_is_cut_off_without_growing_the_parent(mode):
    tracemalloc.start()
    try:
        result = run(mode, "def test_flood():\n    while True:\n        print('x' * 10000)\n")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.status == "output_truncated"
    assert result.stdout_truncated and len(result.stdout.encode()) <= LIMITS.output_bytes
    assert peak < 2 * 1024 * 1024  # the parent read about 8 MB and kept 4 KB
    assert_server_healthy(result)


def test_long_output_below_the_flood_limit_is_truncated_and_the_tests_still_report(mode):
    result = run(mode, "def test_chatty():\n    print('y' * 200_000)\n")
    assert result.status == "passed"
    assert result.stdout_truncated and result.stdout == "y" * LIMITS.output_bytes
