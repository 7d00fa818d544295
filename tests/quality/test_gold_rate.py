"""The gold mix: about 1 in 10 at first, about 1 in 50 later, smooth, and decided per slot stably but secretly."""
from __future__ import annotations

import math

import pytest

from marketplace.quality.gold_rate import GoldSchedule, is_gold_slot, rate_from_decisions, slot_draw

SECRET = b"test-secret"


def test_rate_starts_near_one_in_ten_and_settles_near_one_in_fifty():
    s = GoldSchedule()
    assert s.rate(0) == pytest.approx(0.10)
    assert s.rate(5000) == pytest.approx(0.02, abs=1e-6)
    # halfway between start and floor after one half-life, by definition
    assert s.rate(200) == pytest.approx(0.06)


def test_rate_decays_monotonically_and_smoothly():
    s = GoldSchedule()
    rates = [s.rate(n) for n in range(3000)]
    assert all(a > b for a, b in zip(rates, rates[1:]))
    # smooth: no single task changes the rate by more than a tiny step (nothing to game at a threshold)
    assert max(a - b for a, b in zip(rates, rates[1:])) < 0.001
    assert all(r >= s.floor for r in rates)


def test_schedule_is_configurable_and_read_from_config():
    s = GoldSchedule.from_config({"QUALITY_GOLD_RATE_START": "0.2", "QUALITY_GOLD_RATE_FLOOR": 0.05,
                                  "QUALITY_GOLD_HALF_LIFE": 50})
    assert (s.start, s.floor, s.half_life) == (0.2, 0.05, 50.0)
    assert s.rate(50) == pytest.approx(0.125)
    assert GoldSchedule.from_config({}) == GoldSchedule()


@pytest.mark.parametrize("kw", [dict(start=0.01, floor=0.02), dict(floor=0), dict(start=1.5), dict(half_life=0)])
def test_nonsense_schedules_are_refused(kw):
    with pytest.raises(ValueError):
        GoldSchedule(**kw)


def test_expected_gold_closed_form_matches_the_sum_of_rates():
    s = GoldSchedule()
    assert s.expected_gold(1000) == pytest.approx(sum(s.rate(n) for n in range(1000)))
    assert s.expected_gold(300, experience=700) == pytest.approx(sum(s.rate(n) for n in range(700, 1000)))
    assert s.expected_gold(0) == 0.0


def test_describe_says_the_rate_in_plain_words():
    assert GoldSchedule().describe() == ("about 1 in 10 tasks is a known-answer check at first, easing to about "
                                         "1 in 50 (halfway after 200 tasks)")
    assert GoldSchedule(start=0.05, floor=0.05).describe() == "about 1 in 20 tasks is a known-answer check"


def test_slot_decision_is_stable_for_the_same_slot():
    assert [is_gold_slot(SECRET, 7, 42, p) for p in range(500)] == [is_gold_slot(SECRET, 7, 42, p)
                                                                     for p in range(500)]


def test_slot_decision_depends_on_the_secret_trainer_and_job():
    base = [slot_draw(SECRET, 1, 1, p) for p in range(50)]
    assert base != [slot_draw(b"other", 1, 1, p) for p in range(50)]
    assert base != [slot_draw(SECRET, 1, 2, p) for p in range(50)]
    assert base != [slot_draw(SECRET, 2, 1, p) for p in range(50)]
    assert all(0 <= u < 1 for u in base)


def test_an_empty_secret_is_refused():
    with pytest.raises(ValueError, match="secret"):
        slot_draw(b"", 1, 1, 0)


def test_newcomers_get_about_one_gold_in_ten():
    # 400 trainers x their first 20 slots = 8,000 draws at a rate between 0.1 and 0.096: the binomial standard
    # deviation is about 0.0033, so +-0.012 is a > 3.5 sigma band.
    s = GoldSchedule()
    decisions = [is_gold_slot(SECRET, 3, t, p, schedule=s) for t in range(400) for p in range(20)]
    expected = sum(s.rate(p) for p in range(20)) / 20
    assert rate_from_decisions(decisions) == pytest.approx(expected, abs=0.012)


def test_experienced_trainers_get_about_one_gold_in_fifty():
    # 40 trainers x 500 slots from experience 3000 on: rate ~0.0200, sd ~0.001; band +-0.004.
    s = GoldSchedule()
    decisions = [is_gold_slot(SECRET, 3, t, p, schedule=s) for t in range(40) for p in range(3000, 3500)]
    assert rate_from_decisions(decisions) == pytest.approx(0.02, abs=0.004)


def test_one_trainers_long_run_follows_the_decay_curve():
    # A single trainer's first 4,000 slots: the number of gold items matches the expected count (sd ~ 9.6).
    s = GoldSchedule()
    decisions = [is_gold_slot(SECRET, 9, "trainer-1", p, schedule=s) for p in range(4000)]
    expected = s.expected_gold(4000)
    assert abs(sum(decisions) - expected) < 4 * math.sqrt(expected)
    # and the early part is denser than the late part
    assert rate_from_decisions(decisions[:400]) > rate_from_decisions(decisions[-2000:])


def test_experience_from_other_jobs_lowers_the_rate():
    s = GoldSchedule()
    fresh = [is_gold_slot(SECRET, 5, t, 0, schedule=s) for t in range(6000)]
    veteran = [is_gold_slot(SECRET, 5, t, 0, experience=5000, schedule=s) for t in range(6000)]
    assert rate_from_decisions(fresh) == pytest.approx(0.10, abs=0.015)
    assert rate_from_decisions(veteran) == pytest.approx(0.02, abs=0.008)
    # the same draw decides both, so every veteran gold slot is also a newcomer gold slot (no reshuffle)
    assert all(f for f, v in zip(fresh, veteran) if v)


def test_negative_experience_is_refused():
    with pytest.raises(ValueError):
        GoldSchedule().rate(-1)


def test_the_apps_settings_give_the_documented_default_schedule(app):
    assert GoldSchedule.from_config(app.config) == GoldSchedule()
