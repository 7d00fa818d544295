"""The heartbeat simulation behind bench/heartbeats_model.py, run small: the write budget and exact billing."""
import importlib.util
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from marketplace.pay.sessions import DEFAULT_MIN_WRITE_INTERVAL

BENCH = Path(__file__).resolve().parents[2] / "bench" / "heartbeats_model.py"


@pytest.fixture(scope="module")
def model():
    spec = importlib.util.spec_from_file_location("heartbeats_model", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def writes(tally):
    return sum(tally.writes.values())


def test_one_heartbeat_every_30_s_costs_under_0_2_writes_per_heartbeat(model):
    tally = model.run(pages=20, hours=8, seed=1, scenario="steady-30s")
    assert writes(tally) / tally.beats["heartbeat"] <= 0.2
    assert tally.billed == tally.exact


def test_a_workday_with_beacons_is_billed_exactly(model):
    tally = model.run(pages=20, hours=8, seed=1, scenario="workday")
    assert tally.beats["submit"] and tally.beats["beacon"]  # the scenario really has submits and blurs
    assert tally.billed == tally.exact


def test_submits_coalesce_like_heartbeats_unless_asked_to_write(model):
    coalesced = model.run(pages=20, hours=8, seed=1, scenario="workday")
    writing = model.run(pages=20, hours=8, seed=1, scenario="workday-submits-write")
    assert writing.beats == coalesced.beats and writing.billed == coalesced.billed
    assert writes(writing) > writes(coalesced)


def test_lost_beacons_cost_at_most_the_write_interval_per_lost_beacon(model):
    tally = model.run(pages=20, hours=8, seed=1, scenario="workday-beacons-lost")
    assert tally.billed < tally.exact  # the scenario really loses beacons
    with_beacons = model.run(pages=20, hours=8, seed=1, scenario="workday")
    lost_beacons = with_beacons.beats["beacon"] - tally.beats["beacon"]
    assert tally.exact - tally.billed <= lost_beacons * DEFAULT_MIN_WRITE_INTERVAL
    assert tally.exact - tally.billed <= timedelta(minutes=10) * 20  # and small: under 10 min a page-day
