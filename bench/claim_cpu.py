"""CPU per claim, the app in-process: what the claim path costs without HTTP, gunicorn or other clients.

Run:  .venv/bin/python bench/claim_cpu.py [--engines sqlite postgres] [--pairs 300]

Same world as bench/claim.py (one job of 5,000 tasks, overlap 3, a heavy trainer who answered 1,000 tasks), the
Flask test client, one trainer, `time.process_time` over --pairs repetitions after a warm-up. Prints, per engine:
a request that does nothing (no login), one that only authenticates a token (api_view, nothing else), a claim
followed by a submit, and submit-and-next (one request per task), in ms of CPU per operation.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["API_RATE_LIMIT"] = "100000000 per minute"

import claim as world_of  # noqa: E402  (bench/claim.py: the same world)


def cpu_ms(operation, repeat: int) -> float:
    for _ in range(max(10, repeat // 10)):
        operation()
    started = time.process_time()
    for _ in range(repeat):
        operation()
    return (time.process_time() - started) / repeat * 1000


def measure(engine_name: str, repeat: int) -> None:
    url, dropper = world_of.make_database(engine_name, Path(tempfile.mkdtemp(prefix="bench-claim-cpu-")))
    try:
        world = world_of.populate(url, 5000, 1000)
        from marketplace import create_app
        from marketplace.api.auth import api_view
        app = create_app(RATELIMIT_ENABLED=False, SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="bench-" + "z" * 40)
        app.add_url_rule("/bench/null", "bench_null", lambda: "ok")
        token_only = api_view(roles=("worker",), scope="work")(lambda: "ok")
        app.add_url_rule("/api/v1/bench/null", "bench_null_auth", token_only)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {world['tokens'][2]}", "Content-Type": "application/json"}
        job = world["job_id"]
        held = {"id": None}

        def claim_then_submit():
            answer = client.post(f"/api/v1/work/jobs/{job}/claim", data=json.dumps({"k": 1}), headers=headers)
            task = answer.json["assignments"][0]["id"]
            assert client.post(f"/api/v1/work/assignments/{task}/submit", data=json.dumps(
                {"answer": world_of.ANSWER}), headers=headers).status_code == 200

        def submit_and_next():
            if held["id"] is None:
                held["id"] = client.post(f"/api/v1/work/jobs/{job}/claim", data=json.dumps({"k": 1}),
                                         headers=headers).json["assignments"][0]["id"]
            answer = client.post(f"/api/v1/work/assignments/{held['id']}/submit", data=json.dumps(
                {"answer": world_of.ANSWER, "next": True}), headers=headers)
            assert answer.status_code == 200, answer.json
            held["id"] = answer.json["next"]["id"]

        print(f"== {engine_name}: ms of CPU per operation ({repeat} each, in-process)")
        print(f"   null request              {cpu_ms(lambda: client.get('/bench/null'), repeat * 4):6.2f}")
        authenticated = cpu_ms(lambda: client.get("/api/v1/bench/null", headers=headers), repeat * 4)
        print(f"   token-authenticated null  {authenticated:6.2f}")
        print(f"   claim, then submit        {cpu_ms(claim_then_submit, repeat):6.2f}")
        print(f"   submit-and-next           {cpu_ms(submit_and_next, repeat):6.2f}", flush=True)
    finally:
        world_of.drop_database(dropper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    parser.add_argument("--pairs", type=int, default=300)
    args = parser.parse_args()
    for engine_name in args.engines:
        measure(engine_name, args.pairs)


if __name__ == "__main__":
    main()
