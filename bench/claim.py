"""Claim speed and exactness: the claim endpoint under 1..64 concurrent trainers vs a null endpoint and a raw-SQL
claim loop, measured in the same run, on SQLite and PostgreSQL.

Run:  /work/main/.venv/bin/python bench/claim.py --quick                 (2 shared cores: 20,000 tasks, 1-16 clients)
      /work/main/.venv/bin/python bench/claim.py --engines postgres --clients 1 4 16 32 64 --tasks 100000
      (PostgreSQL from BENCH_DATABASE_URL or TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test;
       a throwaway database is created and dropped.)

Set-up: one published classification job (English, fluent, required; its budget in escrow) with --tasks tasks
and overlap 3; 64 HTTP trainers and 64 raw-loop trainers;
20% of each (index % 5 == 2) have already answered --done tasks (3,000 by default) near the front of the queue, so
their claims must skip past their own work. The app runs under gunicorn on 127.0.0.1 (sync workers: 4 on SQLite,
8 on PostgreSQL); the raw loop gets as many connections as gunicorn serves requests at once.

Each level runs four loops for --seconds with c clients (threads, keep-alive connections):
  null   GET /bench/null (no database, no login)
  claim  POST /api/v1/work/jobs/<id>/claim {"k": 1}, then POST .../submit (a personal API token per trainer):
         two requests per task
  next   the work page's way: POST .../submit {"next": true} answers the task and claims the next one in the same
         request and transaction (after one claim to start): one request per task, every rule checked as in claim
  raw    the same release + claim + submit SQL on a plain connection per thread (no HTTP, no ORM)
and prints claims/s, p50/p99/max claim latency (and p50 for the heavy trainers alone), the same for next, and the
ratios claim/raw, next/raw, claim/null and next/null. At the end the invariants are
checked: no task over its overlap, holders and answers match the assignments, no (task, trainer) pair twice, every
claim a client was given exists. Under the table, the bounds (bench/claim_bounds.py): the best claim/null any
endpoint could reach given this run's null and raw rates, and the rate a p99 under 100 ms needs (Little's law).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("FAIRTRAIN_INSTANCE", tempfile.mkdtemp(prefix="bench-claim-"))
os.environ["API_RATE_LIMIT"] = "100000000 per minute"  # measure the claim, not the rate limiter (--rate-limiter)

import sqlalchemy as sa  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import claim_bounds  # noqa: E402  (bench/claim_bounds.py)

OVERLAP = 3
ANSWER = {"labels": ["Neither"]}
MAX_CLIENTS = 64


def heavy(i: int) -> bool:
    return i % 5 == 2


# --- database ----------------------------------------------------------------------------------------------

def make_database(engine_name: str, workdir: Path):
    if engine_name == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite3'}", None
    from config import normalise_database_url
    base = normalise_database_url(os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
                                  or "postgresql://postgres@127.0.0.1:5432/test")
    admin = sa.engine.make_url(base)
    name = f"bench_claim_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False), (admin, name)


def drop_database(dropper) -> None:
    if dropper:
        admin, name = dropper
        engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()


def populate(url: str, tasks: int, done: int) -> dict:
    """Schema, job, tasks, trainers (with tokens) and the heavy trainers' past work, set-based."""
    from config import TestConfig
    from marketplace import create_app
    from marketplace.accounts import tokens
    from marketplace.accounts.models import User
    from marketplace.core.time import UTCDateTime, utcnow
    from marketplace.extensions import db
    from marketplace.jobs.kinds import validate_config
    from marketplace.jobs.models import Job

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="bench-" + "x" * 40)
    with app.app_context():
        db.create_all()
        now = utcnow()
        requester = User(email="lab@bench.example.com", password_hash="x", role="requester", display_name="Lab")
        db.session.add(requester)
        db.session.flush()
        job = Job(requester_id=requester.id, title="Bench: judge posts", kind="classification", status="published",
                  config=validate_config("classification", {"labels": ["Hate speech", "Offensive", "Neither"]}),
                  hourly_rate_cents=2000, answers_per_task=OVERLAP, review_policy="auto", reservation_minutes=30,
                  budget_cents=10**9, task_count=tasks, published_at=now,
                  required_languages=[{"code": "en", "min_proficiency": "fluent"}])
        db.session.add(job)
        db.session.flush()
        job_id = job.id
        trainers = [User(email=f"t{side}{i}@bench.example.com", password_hash="x", role="worker",
                         display_name=f"Trainer {side}{i}", country="GB") for side in ("h", "r")
                    for i in range(MAX_CLIENTS)]
        db.session.add_all(trainers)
        db.session.flush()
        http_ids, raw_ids = [t.id for t in trainers[:MAX_CLIENTS]], [t.id for t in trainers[MAX_CLIENTS:]]
        tokens_ = [tokens.create_token(t, name="bench", scopes=["work"])[1] for t in trainers[:MAX_CLIENTS]]
        from marketplace.accounts.models import TrainerLanguage
        db.session.add_all([TrainerLanguage(user_id=t.id, code="en", proficiency="native") for t in trainers])
        # The budget into escrow as publishing does (a card top-up, then funds to escrow): the pay room refuses
        # a claim the escrow cannot pay for.
        from marketplace.payments import ledger
        ledger.post("bench-topup", {ledger.STRIPE_CLEARING: -job.budget_cents,
                                    ledger.requester_funds(requester.id): job.budget_cents},
                    kind="top_up", description="Bench funds")
        ledger.ensure_account(ledger.job_escrow(job.id), user_id=requester.id)
        ledger.post("bench-escrow", {ledger.requester_funds(requester.id): -job.budget_cents,
                                     ledger.job_escrow(job.id): job.budget_cents},
                    kind="escrow_fund", description="Bench budget into escrow")
        db.session.commit()
        conn = db.session.connection()
        payload = json.dumps({"text": "A post to judge: the bus was late again and nobody said why."})
        when = sa.bindparam("now", type_=UTCDateTime)
        conn.execute(sa.text("INSERT INTO tasks (job_id, seq, payload, is_open, answers_done, holders, created_at) "
                             "VALUES (:job, :seq, :payload, :open, 0, 0, :now)").bindparams(when),
                     [{"job": job.id, "seq": s, "payload": payload, "open": True, "now": now}
                      for s in range(1, tasks + 1)])
        task_id = dict(conn.execute(sa.text("SELECT seq, id FROM tasks WHERE job_id = :job"), {"job": job.id}).all())
        # Heavy trainer number n (n-th heavy of its side) has answered tasks [n*1000+1, n*1000+done]: at most 3
        # holders per task, so every task stays within its overlap.
        rows, per_task = [], {}
        for ids in (http_ids, raw_ids):
            for n, worker in enumerate(w for i, w in enumerate(ids) if heavy(i)):
                for seq in range(n * 1000 + 1, min(tasks, n * 1000 + done) + 1):
                    if per_task.get(seq, 0) >= OVERLAP:
                        continue
                    per_task[seq] = per_task.get(seq, 0) + 1
                    rows.append({"job": job.id, "task": task_id[seq], "worker": worker, "now": now - timedelta(days=3)})
        conn.execute(sa.text(
            "INSERT INTO assignments (job_id, task_id, worker_id, status, reserved_at, expires_at, answer, "
            "submitted_at, reviewed_at, review_reason, return_note) VALUES (:job, :task, :worker, 'approved', :now, "
            ":now, '{\"labels\": [\"Neither\"]}', :now, :now, '', '')").bindparams(when),
            rows)
        conn.execute(sa.text("UPDATE tasks SET holders = :n, answers_done = :n, is_open = :open WHERE id = :id"),
                     [{"n": n, "open": n < OVERLAP, "id": task_id[s]} for s, n in per_task.items()])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    if url.startswith("postgresql"):
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as c:
            c.exec_driver_sql("VACUUM ANALYZE")
        engine.dispose()
    return {"job_id": job_id, "http_ids": http_ids, "raw_ids": raw_ids, "tokens": tokens_,
            "heavy_rows": len(rows)}


# --- the server --------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, workers: int, threads: int, worker_class: str = "gthread"):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-" + "y" * 40, "FAIRTRAIN_ENV": "development",
           "PYTHONPATH": str(ROOT)}
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    threading_args = ["--threads", str(threads)] if worker_class == "gthread" else []
    process = subprocess.Popen([gunicorn, "-b", f"127.0.0.1:{port}", "-w", str(workers), "-k", worker_class,
                                *threading_args, "--log-level", "warning", "--keep-alive", "30",
                                "bench.claim_app:app"], cwd=ROOT, env=env)
    for _ in range(200):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/bench/null")
            if conn.getresponse().status == 200:
                return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("gunicorn did not start")


# --- load loops --------------------------------------------------------------------------------------------

class Result:
    def __init__(self):
        self.latencies: list[float] = []
        self.heavy_latencies: list[float] = []
        self.count = 0
        self.errors: list[str] = []
        self.claimed: list[int] = []
        self.lock = threading.Lock()

    def add(self, seconds: float, assignment_ids=(), is_heavy: bool = False):
        with self.lock:
            self.latencies.append(seconds)
            if is_heavy:
                self.heavy_latencies.append(seconds)
            self.count += 1
            self.claimed.extend(assignment_ids)

    def fail(self, message: str):
        with self.lock:
            if len(self.errors) < 5:
                self.errors.append(message)


def run_threads(target, clients: int, seconds: float, result: Result) -> float:
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def body(i):
        start.wait()
        target(i, deadline[0], result)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    for t in threads:
        t.join()
    return time.perf_counter() - began


def null_loop(port):
    def loop(i, deadline, result):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            conn.request("GET", "/bench/null")
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                result.fail(f"null {response.status}")
            result.add(time.perf_counter() - t0)
    return loop


def trainer_connection(port, world, i):
    """A keep-alive connection and the headers of HTTP trainer number i (their API token)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    return conn, {"Authorization": f"Bearer {world['tokens'][i]}", "Content-Type": "application/json"}


def post_claim(conn, headers, job_id, result):
    """POST .../claim {"k": 1}: the response body, or None (the failure recorded)."""
    conn.request("POST", f"/api/v1/work/jobs/{job_id}/claim", body=json.dumps({"k": 1}), headers=headers)
    response = conn.getresponse()
    data = json.loads(response.read())
    if response.status != 200:
        result.fail(f"claim {response.status}: {data}")
        return None
    return data


def claim_loop(port, world):
    job_id = world["job_id"]

    def loop(i, deadline, result):
        conn, headers = trainer_connection(port, world, i)
        answer = json.dumps({"answer": ANSWER})
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            data = post_claim(conn, headers, job_id, result)
            elapsed = time.perf_counter() - t0
            if data is None:
                return
            held = [a["id"] for a in data["assignments"]]
            result.add(elapsed, held, heavy(i))
            conn.request("POST", f"/api/v1/work/assignments/{held[0]}/submit", body=answer, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                result.fail(f"submit {response.status}")
                return
    return loop


def next_loop(port, world):
    """The work page's way: one claim to start, then each request submits the answer and claims the next task in
    the same transaction (POST .../submit {"next": true}). Each request is one claim (and one submit)."""
    job_id = world["job_id"]

    def loop(i, deadline, result):
        conn, headers = trainer_connection(port, world, i)
        data = post_claim(conn, headers, job_id, result)
        if data is None:
            return
        current = data["assignments"][0]["id"]
        result.claimed.append(current)
        answer = json.dumps({"answer": ANSWER, "next": True})
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            conn.request("POST", f"/api/v1/work/assignments/{current}/submit", body=answer, headers=headers)
            response = conn.getresponse()
            data = json.loads(response.read())
            elapsed = time.perf_counter() - t0
            if response.status != 200 or not data.get("next"):
                result.fail(f"submit and next {response.status}: {data}")
                return
            current = data["next"]["id"]
            result.add(elapsed, [current], heavy(i))
        # Leave nothing held: the last task is answered too (as the trainer would), without asking for another.
        conn.request("POST", f"/api/v1/work/assignments/{current}/submit", body=json.dumps({"answer": ANSWER}),
                     headers=headers)
        conn.getresponse().read()
    return loop


def raw_loop(url, world, connections: int):
    """The same statements as marketplace.assignment.claims, on a plain connection: no HTTP, no Flask, no ORM."""
    from marketplace.assignment import claims
    from marketplace.core.time import UTCDateTime, utcnow
    # At most `connections` at once, as many requests as the app's gunicorn serves at once (workers x threads):
    # clients beyond that queue for a connection, as HTTP clients queue for a worker.
    engine = sa.create_engine(url, pool_size=connections, max_overflow=0, pool_timeout=120)
    dialect = engine.dialect.name
    submit = sa.text("UPDATE assignments SET status = 'approved', answer = :answer, submitted_at = :now, "
                     "reviewed_at = :now WHERE id = :id AND worker_id = :worker AND status = 'reserved' "
                     "AND expires_at > :now RETURNING task_id").bindparams(sa.bindparam("now", type_=UTCDateTime))
    answered = sa.text("UPDATE tasks SET answers_done = answers_done + 1 WHERE id = :id")

    def begin(conn):
        if dialect == "sqlite":
            conn.info["begin_immediate"] = True
        return conn.begin()

    def loop(i, deadline, result):
        worker = world["raw_ids"][i]
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()  # waiting for a connection counts, as waiting for a gunicorn thread does
            with engine.connect() as conn:
                now = utcnow()
                params = {"job_id": world["job_id"], "overlap": OVERLAP, "worker_id": worker, "now": now,
                          "expires_at": now + timedelta(minutes=30), "k": 1}
                with begin(conn):
                    released = conn.execute(claims.RELEASE, {"job_id": world["job_id"], "now": now}).scalars().all()
                    for task in sorted(released):
                        conn.execute(claims.GIVE_BACK, {"task_id": task, "n": 1, "reopen": True})
                    if dialect == "postgresql":
                        rows = conn.execute(claims._statement(dialect, None), params).all()
                        if not rows:
                            rows = conn.execute(claims._statement(dialect, None, wait=True), params).all()
                        ids = [a for _, a in rows if a is not None]
                    else:
                        bumped = conn.execute(claims._statement(dialect, None),
                                              {k: v for k, v in params.items() if k not in ("now", "expires_at")}).all()
                        ids = [a for a, _ in conn.execute(claims._SQLITE_INSERT, {**params, "task_ids": [
                            t for t, _ in bumped]}).all()] if bumped else []
                elapsed = time.perf_counter() - t0
                if not ids:
                    result.fail("raw claim found nothing")
                    return
                result.add(elapsed, ids, heavy(i))
                with begin(conn):
                    task = conn.execute(submit, {"answer": json.dumps(ANSWER), "now": utcnow(), "id": ids[0],
                                                 "worker": worker}).scalar_one()
                    conn.execute(answered, {"id": task})
    return loop, engine


def summary(name: str, result: Result, wall: float) -> dict:
    lat = sorted(result.latencies) or [0.0]
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000  # noqa: E731
    heavy_lat = sorted(result.heavy_latencies)
    return {"name": name, "rate": result.count / wall, "p50": p(0.50), "p99": p(0.99), "max": lat[-1] * 1000,
            "n": result.count, "errors": result.errors,
            "heavy_p50": heavy_lat[len(heavy_lat) // 2] * 1000 if heavy_lat else None}


# --- invariants --------------------------------------------------------------------------------------------

def check_invariants(url: str, world: dict, claimed: list[int]) -> list[str]:
    engine = sa.create_engine(url)
    problems = []
    with engine.connect() as conn:
        over = conn.execute(sa.text("SELECT count(*) FROM tasks WHERE holders > :o OR answers_done > :o"),
                            {"o": OVERLAP}).scalar()
        if over:
            problems.append(f"{over} task(s) over the overlap")
        mismatched = conn.execute(sa.text(
            "SELECT count(*) FROM tasks t WHERE t.holders <> (SELECT count(*) FROM assignments a WHERE a.task_id = t.id "
            "AND a.status IN ('reserved', 'submitted', 'approved')) OR t.answers_done <> (SELECT count(*) FROM "
            "assignments a WHERE a.task_id = t.id AND a.status IN ('submitted', 'approved'))")).scalar()
        if mismatched:
            problems.append(f"{mismatched} task(s) whose counters disagree with their assignments")
        twice = conn.execute(sa.text("SELECT count(*) FROM (SELECT task_id, worker_id FROM assignments GROUP BY "
                                     "task_id, worker_id HAVING count(*) > 1) x")).scalar()
        if twice:
            problems.append(f"{twice} (task, trainer) pair(s) twice")
        wrong_open = conn.execute(sa.text("SELECT count(*) FROM tasks WHERE is_open <> (holders < :o)"),
                                  {"o": OVERLAP}).scalar()
        if wrong_open:
            problems.append(f"{wrong_open} task(s) whose is_open flag disagrees with holders")
        found = set()
        for chunk in range(0, len(claimed), 5000):
            ids = claimed[chunk:chunk + 5000]
            found |= set(conn.execute(sa.text("SELECT id FROM assignments WHERE id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)), {"ids": ids}).scalars())
        if len(found) != len(set(claimed)):
            problems.append(f"{len(set(claimed)) - len(found)} claim(s) handed out but not in the database")
    engine.dispose()
    return problems


def print_bounds(engine_name: str, levels: list[tuple[int, float, float, float]]) -> None:
    """What the targets allow in this run (bench/claim_bounds.py): the best claim/null any endpoint could reach
    given this run's null and raw rates, and the rate a p99 under 100 ms needs (Little's law)."""
    one_writer = engine_name == "sqlite"
    print(f"bounds from this run's null and raw loops ({'SQLite: one writer' if one_writer else 'PostgreSQL'}; "
          f"bench/claim_bounds.py): best possible claim/null and next/null, measured next/null, mean wait of the "
          f"measured next loop, tasks/s a p99 < 100 ms needs")
    for clients, null_rate, raw_rate, next_rate in levels:
        def best(requests: int) -> str:
            rate = claim_bounds.best_rate(null_rate, raw_rate, requests_per_task=requests, clients=clients,
                                          one_writer=one_writer)
            return "-" if rate is None else f"{rate / null_rate:.0%}" if null_rate else "?"
        print(f"{clients:>7} best claim/null {best(2):>4} best next/null {best(1):>4} measured next/null "
              f"{next_rate / null_rate if null_rate else 0:>4.0%} next mean wait "
              f"{claim_bounds.mean_wait_ms(clients, next_rate):>6.1f} ms, p99 < 100 ms needs "
              f"{claim_bounds.needed_rate(clients, 100):>5.0f}/s (raw {raw_rate:.0f}/s)", flush=True)


def bench_engine(engine_name: str, args) -> None:
    args = argparse.Namespace(**{**vars(args), "threads": args.threads or 1,
                                 "workers": args.workers or (4 if engine_name == "sqlite" else 8),
                                 "worker_class": args.worker_class or "sync"})
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-claim-{engine_name}-"))
    url, dropper = make_database(engine_name, workdir)
    try:
        t0 = time.perf_counter()
        world = populate(url, args.tasks, args.done)
        print(f"\n== {engine_name}: {args.tasks:,} tasks, overlap {OVERLAP}, {world['heavy_rows']:,} past answers by "
              f"heavy trainers (set-up {time.perf_counter() - t0:.1f} s); gunicorn {args.workers} {args.worker_class} "
              f"workers" + (f" x {args.threads} threads" if args.worker_class == "gthread" else "")
              + f"; {args.seconds:g} s per loop", flush=True)
        server, port = start_gunicorn(url, args.workers, args.threads, args.worker_class)
        claimed: list[int] = []
        levels = []  # (clients, null/s, raw/s, next/s) for the bounds printed under the table
        print(f"{'clients':>7} {'null/s':>7} {'claim/s':>7} {'next/s':>7} {'raw/s':>7} {'claim/raw':>9} "
              f"{'next/raw':>8} {'claim/null':>10} {'next/null':>9} {'p50 ms':>6} {'p99 ms':>6} {'max ms':>6} "
              f"{'heavy p50':>9} {'next p50':>8} {'next p99':>8} {'raw p99':>7}")
        try:
            at_once = args.workers * (args.threads if args.worker_class == "gthread" else 1)
            loop, raw_engine = raw_loop(url, world, at_once)
            # Warm-up (not measured): every gunicorn worker imports, connects and compiles its templates.
            for target in (null_loop(port), claim_loop(port, world)):
                warm = Result()
                run_threads(target, min(8, MAX_CLIENTS), 1.5, warm)
                claimed += warm.claimed
            for clients in args.clients:
                results = {}
                for name, target in (("null", null_loop(port)), ("claim", claim_loop(port, world)),
                                     ("next", next_loop(port, world)), ("raw", loop)):
                    result = Result()
                    wall = run_threads(target, clients, args.seconds, result)
                    results[name] = summary(name, result, wall)
                    claimed += result.claimed if name != "null" else []
                    for error in result.errors:
                        print(f"   {name} error: {error}")
                n, c, x, r = results["null"], results["claim"], results["next"], results["raw"]
                ratio = lambda a, b: a["rate"] / b["rate"] if b["rate"] else 0.0  # noqa: E731
                print(f"{clients:>7} {n['rate']:>7.0f} {c['rate']:>7.0f} {x['rate']:>7.0f} {r['rate']:>7.0f} "
                      f"{ratio(c, r):>9.0%} {ratio(x, r):>8.0%} {ratio(c, n):>10.0%} {ratio(x, n):>9.0%} "
                      f"{c['p50']:>6.1f} {c['p99']:>6.1f} {c['max']:>6.1f} "
                      f"{c['heavy_p50'] if c['heavy_p50'] is not None else float('nan'):>9.1f} {x['p50']:>8.1f} "
                      f"{x['p99']:>8.1f} {r['p99']:>7.1f}", flush=True)
                levels.append((clients, n["rate"], r["rate"], x["rate"]))
            print_bounds(engine_name, levels)
            raw_engine.dispose()
        finally:
            server.terminate()
            server.wait(timeout=30)
        problems = check_invariants(url, world, claimed)
        print(f"invariants over {len(claimed):,} claims: " + ("all hold (no over-assignment, counters match, no pair "
                                                              "twice, no claim lost)" if not problems else
                                                              "; ".join(problems)), flush=True)
    finally:
        drop_database(dropper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    parser.add_argument("--clients", nargs="+", type=int, default=[1, 4, 16, 32, 64])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--done", type=int, default=3000, help="tasks each heavy trainer has answered already")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each loop at each level")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: 4 on SQLite, where writers queue for one lock; 8 on "
                             "PostgreSQL, where requests also wait on the database)")
    parser.add_argument("--threads", type=int, default=None, help="gunicorn threads per gthread worker (default 1)")
    parser.add_argument("--worker-class", default=None, choices=["gthread", "sync"],
                        help="gunicorn worker class (default: sync, one request at a time per process; measured in "
                             "session 3 on PostgreSQL at 32 clients: 8 sync workers 105 claims/s, p99 238 ms; 4 "
                             "gthread x 8 threads 83 claims/s, p99 566 ms: CPU-bound threads queue on the GIL)")
    parser.add_argument("--quick", action="store_true", help="20,000 tasks, 1-16 clients, 3 s loops")
    parser.add_argument("--rate-limiter", action="store_true",
                        help="keep the API rate limiter on (memory:// storage, as configured by default)")
    args = parser.parse_args()
    if args.rate_limiter:
        os.environ["BENCH_RATE_LIMIT"] = "1"
    if args.quick:
        args.tasks, args.clients, args.seconds, args.done = 20_000, [1, 4, 16], 3.0, 2000
    if max(args.clients) > MAX_CLIENTS:
        parser.error(f"at most {MAX_CLIENTS} clients")
    for engine_name in args.engines:
        bench_engine(engine_name, args)


if __name__ == "__main__":
    main()
