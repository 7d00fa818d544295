"""The job quality rule: who is removed, on what evidence, how they are told and how they come back."""
from __future__ import annotations

import datetime as dt

import pytest

from marketplace.quality.restrictions import GoldOutcome, QualityRule, evaluate_job_quality

T0 = dt.datetime(2025, 5, 1, tzinfo=dt.timezone.utc)


def outcomes(pattern: str, contested: str = "") -> list[GoldOutcome]:
    """'1' = passed, '0' = missed, oldest first; task ids are g1, g2, ...; `contested` marks ids by position."""
    return [GoldOutcome(f"g{i}", ch == "1", T0 + dt.timedelta(minutes=i), is_contested=(contested[i - 1:i] == "c"))
            for i, ch in enumerate(pattern, start=1)]


RULE = QualityRule(min_accuracy=0.8, min_gold_items=10, window=None)


def test_accuracy_under_threshold_over_enough_items_removes_the_trainer_with_rule_evidence_and_way_back():
    d = evaluate_job_quality(outcomes("1101101011"), RULE, "Street scenes")  # 7 of 10
    assert d.restrict and d.status == "restrict"
    assert d.evidence["n_counted"] == 10 and d.evidence["n_passed"] == 7
    assert d.evidence["accuracy"] == pytest.approx(0.7)
    assert d.missed_task_ids == ("g3", "g6", "g8")
    assert d.rule["min_accuracy"] == 0.8 and d.rule["min_gold_items"] == 10
    assert d.how_to_return == {"action": "retake_assessment", "text": RULE.return_text}
    for words in ("removed from Street scenes", "at least 80%", "at least 10", "7 of 10", "70%",
                  "3 items you missed", "How to return: Retake", "contest it"):
        assert words in d.message, words
    assert "removed from job by quality rule: 7 of 10" in d.audit_reason


def test_meeting_the_threshold_is_fine():
    d = evaluate_job_quality(outcomes("1111111101"), RULE)
    assert d.status == "ok" and not d.restrict and d.how_to_return is None
    assert "meeting the required 80%" in d.message


def test_exactly_at_the_threshold_is_not_below_it():
    # 7 of 10 against a 70% bar: 0.7 * 10 is 7.000000000000001 in floating point; the rule compares exactly.
    d = evaluate_job_quality(outcomes("1110110011"), QualityRule(min_accuracy=0.7, min_gold_items=10, window=None))
    assert d.evidence["n_passed"] == 7
    assert d.status == "ok"


def test_too_few_items_never_removes_but_warns_when_under_the_bar():
    d = evaluate_job_quality(outcomes("10100"), RULE, "Street scenes")
    assert d.status == "watch" and not d.restrict
    assert "2 of 5" in d.message and "once 10 items are scored, you will be removed" in d.message
    quiet = evaluate_job_quality(outcomes("11111"), RULE)
    assert quiet.status == "insufficient" and "applies from 10 scored items" in quiet.message
    assert evaluate_job_quality([], RULE).status == "insufficient"


def test_contested_items_are_left_out_until_decided():
    # 12 items, 4 missed -> 8/12 = 67% would restrict; two of the misses are under contest, so 8 of 10 counts.
    items = outcomes("110011110110", contested="..cc........")
    assert evaluate_job_quality([GoldOutcome(o.task_id, o.passed, o.scored_at) for o in items], RULE).restrict
    d = evaluate_job_quality(items, RULE)
    assert d.status == "ok" and (d.evidence["n_passed"], d.evidence["n_counted"]) == (8, 10)
    assert d.evidence["contested_task_ids_left_out"] == ["g3", "g4"]
    assert "2 items you contested are left out until decided" in d.message


def test_only_the_most_recent_window_counts_so_a_trainer_can_recover():
    history = outcomes("0000000000" + "1111111111" * 2)  # a bad start, then 20 right
    windowed = QualityRule(min_accuracy=0.8, min_gold_items=10, window=20)
    assert evaluate_job_quality(history, windowed).status == "ok"
    assert evaluate_job_quality(history, RULE).status == "restrict"  # 20 of 30 = 67% when everything counts


def test_outcomes_are_put_in_time_order_before_the_window_is_taken():
    history = outcomes("0000011111")
    shuffled = list(reversed(history))
    rule = QualityRule(min_accuracy=0.8, min_gold_items=5, window=5)
    assert evaluate_job_quality(shuffled, rule).evidence["counted_task_ids"] == ["g6", "g7", "g8", "g9", "g10"]


def test_correcting_a_gold_answer_and_rescoring_lifts_the_removal():
    before = outcomes("1101101011")
    assert evaluate_job_quality(before, RULE).restrict
    # The requester corrects g3's gold answer; re-scoring makes the trainer's answer right: 8 of 10.
    after = [GoldOutcome(o.task_id, True if o.task_id == "g3" else o.passed, o.scored_at) for o in before]
    assert evaluate_job_quality(after, RULE).status == "ok"


def test_the_rule_describes_itself_and_can_name_another_way_back():
    rule = QualityRule(min_accuracy=0.9, min_gold_items=20, window=40, return_action="contact_requester",
                       return_text="Ask the requester for a new trial batch.")
    assert rule.text() == ("Accuracy on known-answer items must be at least 90% once at least 20 have been "
                           "scored (counting your most recent 40).")
    d = evaluate_job_quality(outcomes("0" * 20), rule)
    assert d.how_to_return == {"action": "contact_requester", "text": "Ask the requester for a new trial batch."}
    assert "20 items you missed are listed" in d.message


@pytest.mark.parametrize("kw", [dict(min_accuracy=0), dict(min_accuracy=1.2), dict(min_gold_items=0),
                                dict(min_gold_items=10, window=5)])
def test_rules_that_could_never_work_are_refused(kw):
    with pytest.raises(ValueError):
        QualityRule(**kw)
