"""Pseudonymous trainer codes for requesters: stable within a job, unlinkable across jobs, no personal data."""
from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app


def trainer_code(job_id: int, worker_id: int) -> str:
    """"T-7KQ2MD": an HMAC of (job, trainer) under the secret key, so the same trainer has one code per job
    and a requester cannot match codes across jobs or guess who is behind one."""
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    digest = hmac.new(key, f"trainer-code:{job_id}:{worker_id}".encode(), hashlib.sha256).digest()
    return "T-" + base64.b32encode(digest[:5]).decode()[:6]


def codes_for(job_id: int, worker_ids) -> dict[int, str]:
    return {w: trainer_code(job_id, w) for w in worker_ids}


def worker_for_code(job_id: int, code: str, worker_ids) -> int | None:
    """Find the trainer behind a code among the job's trainers (filters on the requester's pages)."""
    for w in worker_ids:
        if trainer_code(job_id, w) == code:
            return w
    return None
