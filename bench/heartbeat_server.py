"""The app as bench/heartbeats.py serves it under gunicorn: statement counting and a faster pay clock.

- Every SQL statement a worker runs is counted by kind (write: INSERT/UPDATE/DELETE; read: SELECT) under the
  phase the client names in the X-Bench-Phase header; heartbeat requests are counted the same way. Each worker
  writes its counts to BENCH_COUNTS_DIR/<pid>.json when it exits (gunicorn's worker_exit hook).
- The pay room's clock (pay.services.utcnow) runs BENCH_SCALE times faster than real time from BENCH_T0, so a
  page beating every 30 simulated seconds beats every 30 / scale real seconds and a bounded run covers many
  write intervals. Nothing else is changed.
"""
from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone

from flask import g, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import DevelopmentConfig
from marketplace import create_app
from marketplace.pay import services as pay_services

COUNTS: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
T0_REAL = float(os.environ.get("BENCH_T0", str(time.time())))
T0 = datetime.fromtimestamp(T0_REAL, tz=timezone.utc)


def scaled_utcnow() -> datetime:
    return T0 + timedelta(seconds=(time.time() - T0_REAL) * SCALE)


pay_services.utcnow = scaled_utcnow  # the heartbeat service's clock only

app = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=os.environ["BENCH_DB_URL"],
                 SECRET_KEY=os.environ["BENCH_SECRET"], RATELIMIT_ENABLED=False)


@event.listens_for(Engine, "before_cursor_execute")
def _count(conn, cursor, statement, parameters, context, executemany):
    try:
        phase = g.get("bench_phase")
    except RuntimeError:
        return
    if not phase:
        return
    word = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
    if word in ("INSERT", "UPDATE", "DELETE"):
        COUNTS[phase]["writes"] += len(parameters) if executemany and isinstance(parameters, (list, tuple)) else 1
    elif word in ("SELECT", "WITH"):
        COUNTS[phase]["reads"] += 1


@app.before_request
def _phase():
    g.bench_phase = request.headers.get("X-Bench-Phase") if request.path == "/pay/heartbeat" else None


@app.after_request
def _served(response):
    phase = g.get("bench_phase")
    if phase:
        COUNTS[phase]["heartbeats"] += 1
        COUNTS[phase][f"status_{response.status_code}"] += 1
    return response


def dump_counts() -> None:
    folder = os.environ.get("BENCH_COUNTS_DIR")
    if folder:
        with open(os.path.join(folder, f"{os.getpid()}.json"), "w") as out:
            json.dump({phase: dict(kinds) for phase, kinds in COUNTS.items()}, out)
