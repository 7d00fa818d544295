"""What the claim targets allow on this machine, from the null endpoint and the raw-SQL loop measured in the same
run (bench/claim.py prints these under its table). Pure arithmetic, tested in tests/assignment/test_claim_bounds.py.

Two facts bound any claim endpoint, however it is written:
- With one client, requests run one after the other, and a claim does at least a null request's work (HTTP,
  gunicorn, Flask dispatch) and at least the raw loop's SQL: the times add, so the best rate is 1 / (1/null + 1/raw)
  tasks/s for one request per task (submit-and-next), 1 / (2/null + 1/raw) for two (claim, then submit).
- On SQLite every claim and submit writes under the one write lock (the same writers queue for the app and the raw
  loop), holding it at least as long as the raw loop's statements do: at any number of clients no endpoint claims
  faster than the raw loop does with the same number of connections.
(With several clients on PostgreSQL the two costs can overlap on two cores, so no bound is claimed there.)
And a closed loop of c clients with no think time waits c / rate on average per task (Little's law): a p99 under
100 ms at 32 clients needs at least 320 tasks/s.
"""
from __future__ import annotations


def best_rate(null_rate: float, raw_rate: float, *, requests_per_task: int, clients: int,
              one_writer: bool) -> float | None:
    """The most tasks/s any claim endpoint could serve in this run, or None where these facts bound nothing."""
    if null_rate <= 0 or raw_rate <= 0:
        return 0.0
    if clients == 1:
        return 1.0 / (requests_per_task / null_rate + 1.0 / raw_rate)
    return raw_rate if one_writer else None


def mean_wait_ms(clients: int, rate: float) -> float:
    """Little's law for a closed loop without think time: each of `clients` waits clients / rate per task."""
    return float("inf") if rate <= 0 else clients / rate * 1000.0


def needed_rate(clients: int, p99_ms: float) -> float:
    """Tasks/s without which a p99 of `p99_ms` is impossible: the p99 is at least the mean wait."""
    return clients / (p99_ms / 1000.0)
