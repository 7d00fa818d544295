"""A SimulatedState kept in a JSON file, so the demo's web, scheduler and seed processes see the same records."""
from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from . import gateway as port
from .gateway_simulated import SimulatedState

try:  # POSIX: one process at a time holds the file
    import fcntl
except ImportError:  # pragma: no cover - Windows: one process only
    fcntl = None

RESULT_TYPES = {cls.__name__: cls for cls in (port.PaymentIntentResult, port.RefundResult,
                                              port.ConnectedAccountResult, port.TransferResult)}
ERROR_TYPES = {cls.__name__: cls for cls in (port.GatewayError, port.CardDeclined, port.IdempotencyConflict,
                                             port.GatewayUnavailable, port.NotFound, port.InvalidWebhook)}
TABLES = ("payment_intents", "refunds", "accounts", "transfers")


class _FileLock:
    """Re-entrant like the RLock it replaces; the outermost holder loads the file on entry and saves on exit
    (also after an exception: a decline changes the PaymentIntent, then raises)."""

    def __init__(self, state: "FileBackedSimulatedState"):
        self._state = state
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._handle = None

    def __enter__(self):
        self._thread_lock.acquire()
        self._depth += 1
        if self._depth == 1:
            self._handle = open(self._state.lock_path, "a+")
            if fcntl:
                fcntl.flock(self._handle, fcntl.LOCK_EX)
            self._state._load()
        return self

    def __exit__(self, *exc_info):
        try:
            if self._depth == 1:
                try:
                    self._state._save()
                finally:
                    if fcntl:
                        fcntl.flock(self._handle, fcntl.LOCK_UN)
                    self._handle.close()
        finally:
            self._depth -= 1
            self._thread_lock.release()
        return False

    # SimulatedState only uses the lock as a context manager; these keep the RLock interface whole.
    def acquire(self):
        self.__enter__()

    def release(self):
        self.__exit__(None, None, None)


class FileBackedSimulatedState(SimulatedState):
    """The simulated gateway's records in `path` (JSON, written atomically under an exclusive file lock)."""

    def __init__(self, path: str | os.PathLike, *, auto_complete_onboarding: bool = True):
        self.path = Path(path)
        self.lock_path = self.path.with_suffix(self.path.suffix + ".lock")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        super().__init__(auto_complete_onboarding=auto_complete_onboarding)
        self.lock = _FileLock(self)
        if not self.path.exists():
            with self.lock:
                pass  # writes the empty store

    def _load(self) -> None:
        try:
            raw = json.loads(self.path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            raw = {}
        for table in TABLES:
            setattr(self, table, dict(raw.get(table) or {}))
        self.idempotency = {key: (item["fingerprint"], _decode(item)) for key, item in
                            (raw.get("idempotency") or {}).items()}
        self._transfer_failures = list(raw.get("transfer_failures") or [])

    def _save(self) -> None:
        raw: dict[str, Any] = {table: getattr(self, table) for table in TABLES}
        raw["idempotency"] = {key: {"fingerprint": fp, **_encode(outcome)}
                              for key, (fp, outcome) in self.idempotency.items()}
        raw["transfer_failures"] = self._transfer_failures
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".simulated-stripe-")
        with os.fdopen(fd, "w") as handle:
            json.dump(raw, handle)
        os.replace(tmp, self.path)


def _encode(outcome: Any) -> dict[str, Any]:
    if isinstance(outcome, port.GatewayError):
        return {"error": type(outcome).__name__, "message": outcome.message, "fields": dict(outcome.__dict__)}
    return {"result": type(outcome).__name__, "fields": dataclasses.asdict(outcome)}


def _decode(item: dict[str, Any]) -> Any:
    if "error" in item:
        cls = ERROR_TYPES[item["error"]]
        error = cls.__new__(cls)
        Exception.__init__(error, item["message"])
        error.__dict__.update(item["fields"])
        return error
    return RESULT_TYPES[item["result"]](**item["fields"])
