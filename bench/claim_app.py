"""The app as gunicorn serves it for bench/claim.py, plus one null endpoint (no database, no login) that
measures what Flask and gunicorn cost on this machine in the same run. Never used outside the bench."""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from marketplace import create_app  # noqa: E402

# The rate limiter is off unless BENCH_RATE_LIMIT=1: the bench measures the claim, not the limiter, and the
# default memory:// limiter storage (per worker; production shares redis) starts a timer thread per request.
app = create_app(RATELIMIT_ENABLED=os.environ.get("BENCH_RATE_LIMIT") == "1")


@app.route("/bench/null")
def null():
    return "ok"
