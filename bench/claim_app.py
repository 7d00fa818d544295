"""The app as gunicorn serves it for bench/claim.py, plus one null endpoint (no database, no login) that
measures what Flask and gunicorn cost on this machine in the same run. Never used outside the bench."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from marketplace import create_app  # noqa: E402

app = create_app()


@app.route("/bench/null")
def null():
    return "ok"
