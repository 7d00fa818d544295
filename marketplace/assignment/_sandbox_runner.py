"""Test runner executed inside the code-review sandbox: imports test_solution, runs its tests, reports JSON lines."""
# This file is copied into the sandbox's scratch directory and run as `python -I -S -B _runner.py CONFIG`, so it
# may use the standard library only and is never imported by the app. Results go to a report file as one JSON
# object per line, written as each test starts and ends, so a run stopped by a limit still shows which test was
# running. The code under test runs in this same interpreter: it can tamper with its own results, so the report is
# information for the reviewer, not a grade (the supervisor's limits and the kernel layers are the security).
import json
import os
import sys
import time
import traceback
import types
import unittest

MESSAGE_CHARS = 4000
MAX_TESTS = 500
OWN_FILES = ("solution.py", "test_solution.py")


def _emit(fd, **event):
    line = (json.dumps(event, default=str) + "\n").encode("utf-8", "replace")
    try:
        os.write(fd, line)  # one write per line: a line is never interleaved with another
    except OSError:
        pass  # report file full (file size limit): the supervisor reports what arrived


def _describe(exc: BaseException) -> str:
    """The exception and the frames from solution.py / test_solution.py, which is what a reviewer can act on."""
    lines = []
    if not isinstance(exc, SyntaxError):
        for frame in traceback.extract_tb(exc.__traceback__):
            name = os.path.basename(frame.filename)
            if name in OWN_FILES:  # the runner's and the standard library's frames would only be noise
                lines.append(f'  File "{name}", line {frame.lineno}, in {frame.name}\n')
                if frame.line:
                    lines.append(f"    {frame.line.strip()}\n")
    if isinstance(exc, SyntaxError) and exc.filename:
        exc.filename = os.path.basename(exc.filename)
    lines += traceback.format_exception_only(type(exc), exc)
    text = "".join(lines).strip()
    if isinstance(exc, MemoryError):
        text += "\n(the memory limit was reached)"
    return text[:MESSAGE_CHARS]


class _Result(unittest.TestResult):
    """Forwards each unittest outcome to the report as it happens."""

    def __init__(self, fd):
        super().__init__()
        self.fd = fd
        self.started = {}

    def startTest(self, test):
        super().startTest(test)
        name = _case_name(test)
        self.started[name] = time.monotonic()
        _emit(self.fd, event="start", name=name)

    def _end(self, test, outcome, message="", memory_error=False):
        name = _case_name(test)
        duration = time.monotonic() - self.started.get(name, time.monotonic())
        _emit(self.fd, event="end", name=name, outcome=outcome, message=message[:MESSAGE_CHARS],
              duration=round(duration, 4), memory_error=memory_error)

    def addSuccess(self, test):
        self._end(test, "passed")

    def addFailure(self, test, err):
        self._end(test, "failed", _describe(err[1]))

    def addError(self, test, err):
        self._end(test, "error", _describe(err[1]), memory_error=issubclass(err[0], MemoryError))

    def addSkip(self, test, reason):
        self._end(test, "skipped", str(reason))

    def addExpectedFailure(self, test, err):
        self._end(test, "passed", "expected failure")

    def addUnexpectedSuccess(self, test):
        self._end(test, "failed", "unexpected success (the test is marked expectedFailure)")

    def addSubTest(self, test, subtest, err):
        if err is not None:
            kind = "failed" if issubclass(err[0], test.failureException) else "error"
            _emit(self.fd, event="end", name=_case_name(subtest), outcome=kind, message=_describe(err[1]),
                  duration=0.0, memory_error=issubclass(err[0], MemoryError))


def _case_name(test) -> str:
    if isinstance(test, unittest.case._SubTest):
        return f"{_case_name(test.test_case)} {test._subDescription()}"
    return f"{type(test).__name__}.{test._testMethodName}"


def _collect(module):
    """test_* functions and unittest.TestCase classes defined in the test module, in source order."""
    found = []
    for name, obj in vars(module).items():
        if getattr(obj, "__module__", None) != module.__name__:
            continue
        if isinstance(obj, types.FunctionType) and name.startswith("test"):
            found.append((obj.__code__.co_firstlineno, name, obj))
        elif isinstance(obj, type) and issubclass(obj, unittest.TestCase):
            line = min((f.__code__.co_firstlineno for f in vars(obj).values() if isinstance(f, types.FunctionType)),
                       default=0)
            found.append((line, name, obj))
    return [(name, obj) for _line, name, obj in sorted(found, key=lambda item: item[0])]


def _run_function(fd, name, func):
    _emit(fd, event="start", name=name)
    started = time.monotonic()
    outcome, message, memory_error = "passed", "", False
    try:
        if func.__code__.co_argcount:
            raise TypeError(f"{name}() takes arguments; fixtures are not supported, write a plain test function")
        func()
    except AssertionError as exc:
        outcome, message = "failed", _describe(exc)
    except (Exception, SystemExit, MemoryError) as exc:  # SystemExit: the code under test called sys.exit()
        outcome, message, memory_error = "error", _describe(exc), isinstance(exc, MemoryError)
    _emit(fd, event="end", name=name, outcome=outcome, message=message,
          duration=round(time.monotonic() - started, 4), memory_error=memory_error)


def run(fd) -> None:
    try:
        module = __import__("test_solution")
    except BaseException as exc:  # a syntax error or crash while importing the tests or the solution
        _emit(fd, event="import_error", message=_describe(exc), memory_error=isinstance(exc, MemoryError))
        return
    tests = _collect(module)
    if not tests:
        _emit(fd, event="import_error", message="No tests found: define test_* functions or unittest.TestCase "
                                                 "classes in the tests.")
        return
    result = _Result(fd)
    loader = unittest.TestLoader()
    for count, (name, obj) in enumerate(tests):
        if count >= MAX_TESTS:
            break
        if isinstance(obj, type):
            loader.loadTestsFromTestCase(obj).run(result)
        else:
            _run_function(fd, name, obj)


def main() -> None:
    config = json.loads(sys.argv[1])
    scratch = os.getcwd()
    fd = os.open(config["report"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    sys.path.insert(0, scratch)
    if config.get("audit_hook"):
        # Copied beside this file by the parent; installed before any code under test is imported.
        import _guard  # noqa: PLC0415

        _guard.install(scratch, config)
    _emit(fd, event="begin", python=sys.version.split()[0])
    run(fd)
    _emit(fd, event="done")
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 -- the code under test may have closed or replaced the stream
            pass
    # os._exit: threads or atexit handlers left by the code under test must not keep the run alive.
    os._exit(0)


if __name__ == "__main__":
    main()
