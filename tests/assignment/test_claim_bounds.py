"""bench/claim_bounds.py: the ceilings bench/claim.py prints under its table (what the claim targets allow given
the null endpoint's and the raw loop's rates measured in the same run)."""
from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "claim_bounds.py"


@pytest.fixture(scope="module")
def bounds():
    spec = importlib.util.spec_from_file_location("claim_bounds", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_client_adds_a_null_request_to_the_raw_sql(bounds):
    # null 1 ms per request, raw 1.25 ms per task: submit-and-next at best 2.25 ms, claim + submit 3.25 ms
    assert bounds.best_rate(1000, 800, requests_per_task=1, clients=1, one_writer=False) == pytest.approx(1 / 0.00225)
    assert bounds.best_rate(1000, 800, requests_per_task=2, clients=1, one_writer=True) == pytest.approx(1 / 0.00325)
    # so with SQLite's figures of session 3 (null 1075/s, raw 829/s) submit-and-next can reach 44% of null at best
    assert bounds.best_rate(1075, 829, requests_per_task=1, clients=1, one_writer=True) / 1075 < 0.5


def test_one_writer_caps_every_level_at_the_raw_rate(bounds):
    assert bounds.best_rate(2065, 841, requests_per_task=1, clients=16, one_writer=True) == 841
    # several clients on PostgreSQL: the costs may overlap on the cores, so nothing is claimed
    assert bounds.best_rate(2065, 841, requests_per_task=1, clients=16, one_writer=False) is None


def test_a_loop_that_measured_nothing_bounds_at_zero(bounds):
    assert bounds.best_rate(0, 800, requests_per_task=1, clients=1, one_writer=True) == 0.0
    assert bounds.best_rate(1000, 0, requests_per_task=1, clients=4, one_writer=False) == 0.0


def test_littles_law(bounds):
    assert bounds.mean_wait_ms(32, 160) == pytest.approx(200.0)   # 32 clients at 160 tasks/s wait 200 ms
    assert bounds.needed_rate(32, 100) == pytest.approx(320.0)    # so a p99 < 100 ms needs 320 tasks/s
    assert math.isinf(bounds.mean_wait_ms(32, 0))
