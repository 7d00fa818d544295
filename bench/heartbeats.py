"""2,000 open work pages sending heartbeats to the app (gunicorn on 127.0.0.1): heartbeats/s, latency, and
database writes per heartbeat counted from the statements the server ran.

Run:  /work/main/.venv/bin/python bench/heartbeats.py [--pages 2000] [--seconds 120] [--scale 3] [--workers 2]
      [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--quick]

Each page is logged in (a signed session cookie) and holds a task. After a warm-up beat that opens every
page's session (counted apart), each page beats every 30 simulated seconds (+-2 s), and one beat in four is a
task submission (sent at once, coalesced like a heartbeat). The server's pay clock runs `--scale` times faster
than real time, so a run of `--seconds` covers `seconds * scale` simulated seconds of work (the 150-second
write interval needs minutes to show). The run is bounded: clients stop after `--seconds`, then gunicorn stops.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SECRET = "bench-secret-" + "k" * 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_database(postgres: str | None) -> tuple[str, callable]:
    if not postgres:
        folder = tempfile.mkdtemp(prefix="bench-heartbeats-")
        return f"sqlite:///{folder}/bench.sqlite3", lambda: None
    import sqlalchemy as sa
    from config import normalise_database_url
    admin = sa.engine.make_url(normalise_database_url(postgres))
    name = f"bench_heartbeats_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop():
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return admin.set(database=name).render_as_string(hide_password=False), drop


def seed(url: str, pages: int) -> list[tuple[int, str, str]]:
    """Trainers holding a task each; returns (job_id, session cookie, CSRF token) per page."""
    import sqlalchemy as sa
    from flask import g, session
    from flask_wtf.csrf import generate_csrf

    from config import DevelopmentConfig
    from marketplace import create_app
    from marketplace.accounts.models import User
    from marketplace.accounts.passwords import hash_password
    from marketplace.assignment.services import claim_next
    from marketplace.core.time import utcnow
    from marketplace.extensions import db
    from tests.factories import fund_escrow, make_open_job, make_requester

    app = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=SECRET)
    pages_out = []
    with app.app_context():
        db.create_all()
        requester = make_requester()
        jobs = [make_open_job(requester, tasks=pages // 10 + 10, escrow=0, reservation_minutes=480,
                              title=f"Bench job {i}") for i in range(10)]
        for job in jobs:
            fund_escrow(job, 100_000_000)
        password = hash_password("bench password 1234")
        db.session.execute(sa.insert(User.__table__), [
            {"email": f"bench{i}@example.com", "role": "worker", "password_hash": password, "status": "active",
             "display_name": f"Bench {i}", "country": "GB", "timezone": "UTC", "session_version": 1,
             "created_at": utcnow()} for i in range(pages)])
        db.session.commit()
        trainers = list(db.session.scalars(sa.select(User).where(User.role == "worker").order_by(User.id)))
        for n, trainer in enumerate(trainers):
            claim_next(jobs[n % len(jobs)], trainer)
            if n % 200 == 199:
                db.session.commit()
        db.session.commit()
        serializer = app.session_interface.get_signing_serializer(app)
        for n, trainer in enumerate(trainers):
            with app.test_request_context("/"):
                g.pop("csrf_token", None)  # generate_csrf caches in g, shared with the outer app context
                session["_user_id"] = trainer.get_id()
                session["_fresh"] = True
                token = generate_csrf()
                pages_out.append((jobs[n % len(jobs)].id, serializer.dumps(dict(session)), token))
    return pages_out


async def post(port: int, cookie: str, token: str, body: bytes, phase: str) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (f"POST /pay/heartbeat HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
            f"Cookie: session={cookie}\r\nX-CSRFToken: {token}\r\nX-Bench-Phase: {phase}\r\n"
            f"Accept: application/json\r\nConnection: close\r\n\r\n")
    writer.write(head.encode() + body)
    await writer.drain()
    data = await reader.read()
    writer.close()
    return int(data.split(b" ", 2)[1])


async def page_loop(port, job_id, cookie, token, until, interval, rng, latencies, statuses):
    await asyncio.sleep(rng.uniform(0, interval))
    while time.monotonic() < until:
        event = "submit" if rng.random() < 0.25 else "beat"
        body = f"job_id={job_id}&kind=job&event={event}&csrf_token={token}".encode()
        started = time.monotonic()
        try:
            status = await post(port, cookie, token, body, "measure")
        except OSError:
            status = 0
        latencies.append(time.monotonic() - started)
        statuses[status] = statuses.get(status, 0) + 1
        await asyncio.sleep(max(0.0, interval * rng.uniform(28 / 30, 32 / 30) - (time.monotonic() - started)))


async def drive(port, pages, seconds, interval):
    rng = random.Random(1)
    sem = asyncio.Semaphore(100)

    async def warm(job_id, cookie, token):
        async with sem:
            body = f"job_id={job_id}&kind=job&event=start&csrf_token={token}".encode()
            return await post(port, cookie, token, body, "warm")
    warm_statuses = await asyncio.gather(*(warm(*p) for p in pages))
    latencies, statuses = [], {}
    started = time.monotonic()
    until = started + seconds
    await asyncio.gather(*(page_loop(port, *p, until, interval, random.Random(rng.random()), latencies, statuses)
                           for p in pages))
    return warm_statuses, latencies, statuses, time.monotonic() - started


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--scale", type=float, default=3, help="simulated seconds per real second")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--postgres", help="a PostgreSQL server URL: a fresh database is made and dropped")
    parser.add_argument("--quick", action="store_true", help="200 pages for 30 s")
    args = parser.parse_args(argv)
    if args.quick:
        args.pages, args.seconds = 200, 30
    url, drop = make_database(args.postgres)
    counts_dir = tempfile.mkdtemp(prefix="bench-counts-")
    t0 = time.monotonic()
    pages = seed(url, args.pages)
    print(f"seeded {args.pages} trainers holding a task in {time.monotonic() - t0:.1f} s "
          f"({'PostgreSQL' if args.postgres else 'SQLite'})")
    port = free_port()
    env = dict(os.environ, BENCH_DB_URL=url, BENCH_SECRET=SECRET, BENCH_SCALE=str(args.scale),
               BENCH_T0=str(time.time()), BENCH_COUNTS_DIR=counts_dir, PYTHONPATH=str(ROOT))
    conf = Path(counts_dir) / "gunicorn_conf.py"
    conf.write_text("def worker_exit(server, worker):\n    from bench import heartbeat_server\n"
                    "    heartbeat_server.dump_counts()\n")
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", str(conf), "--chdir", str(ROOT),
                               "-b", f"127.0.0.1:{port}", "-w", str(args.workers), "-k", "gthread",
                               "--threads", str(args.threads), "--backlog", "4096", "--log-level", "warning",
                               "bench.heartbeat_server:app"], env=env)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        interval = 30 / args.scale
        warm, latencies, statuses, elapsed = asyncio.run(drive(port, pages, args.seconds, interval))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    totals: dict[str, dict[str, int]] = {}
    for path in Path(counts_dir).glob("*.json"):
        for phase, kinds in json.loads(path.read_text()).items():
            for kind, n in kinds.items():
                totals.setdefault(phase, {}).setdefault(kind, 0)
                totals[phase][kind] += n
    drop()
    measured = totals.get("measure", {})
    beats = measured.get("heartbeats", 0)
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    print(f"{args.pages} pages, a beat every 30 simulated s ({interval:.1f} real s), {args.seconds:g} s "
          f"({args.seconds * args.scale / 60:.0f} simulated min); gunicorn {args.workers} workers x "
          f"{args.threads} threads")
    print(f"warm-up (opens every session): {len(warm)} beats, {totals.get('warm', {}).get('writes', 0)} writes")
    print(f"heartbeats/s        {beats / elapsed:.0f}  ({beats} served, statuses {statuses})")
    print(f"latency ms          p50 {p(0.50):.1f}   p99 {p(0.99):.1f}   max {latencies[-1] * 1000:.1f}")
    print(f"writes/heartbeat    {measured.get('writes', 0) / max(1, beats):.3f}  (target <= 0.2; "
          f"{measured.get('writes', 0)} INSERT/UPDATE/DELETE statements)")
    print(f"reads/heartbeat     {measured.get('reads', 0) / max(1, beats):.2f}")


if __name__ == "__main__":
    main()
