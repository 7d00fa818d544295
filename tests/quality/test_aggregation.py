"""Aggregation: majority vote with confidence and flagged ties, Dawid-Skene on synthetic trainers, consensus boxes."""
from __future__ import annotations

import random

import numpy as np
import pytest

from marketplace.quality.aggregation import (
    consensus_boxes,
    dawid_skene,
    majority_vote,
    majority_vote_labels,
)
from marketplace.quality.boxes import Box


def synthetic(seed: int, n_tasks: int, accuracies: list[float], n_classes: int):
    """Trainers answer every task: right with their accuracy, otherwise a uniformly random wrong class."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_classes, n_tasks)
    rows = []
    for trainer, acc in enumerate(accuracies):
        right = rng.random(n_tasks) < acc
        wrong = (truth + rng.integers(1, n_classes, n_tasks)) % n_classes  # uniform over the other classes
        given = np.where(right, truth, wrong)
        rows += [(f"trainer-{trainer}", task, f"class-{given[task]}") for task in range(n_tasks)]
    return [f"class-{t}" for t in truth], rows


def accuracy_of(aggregates, truth) -> float:
    return float(np.mean([aggregates[task].value == truth[task] for task in range(len(truth))]))


# -- majority vote ------------------------------------------------------------------------------------------------

def test_majority_vote_picks_the_most_common_answer_with_its_share_as_confidence():
    rows = [("a", 1, "cat"), ("b", 1, "cat"), ("c", 1, "dog"), ("a", 2, "dog")]
    votes = majority_vote(rows)
    assert (votes[1].value, votes[1].confidence, votes[1].n_votes, votes[1].is_tie) == ("cat", 2 / 3, 3, False)
    assert (votes[2].value, votes[2].confidence, votes[2].n_votes) == ("dog", 1.0, 1)


def test_majority_vote_ties_are_flagged_and_broken_the_same_way_whatever_the_row_order():
    rows = [("a", 1, "dog"), ("b", 1, "cat"), ("c", 1, "bird"), ("d", 1, "bird"), ("e", 1, "dog")]
    results = set()
    for seed in range(10):
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        v = majority_vote(shuffled)[1]
        results.add((v.value, v.tied, v.is_tie, v.confidence))
    assert results == {("bird", ("bird", "dog"), True, 0.4)}


def test_numeric_ties_break_toward_the_smaller_value():
    v = majority_vote([("a", 1, 10), ("b", 1, 9)])[1]
    assert v.value == 9 and v.tied == (9, 10)


def test_weighted_majority_vote_trusts_proven_trainers_more():
    rows = [("expert", 1, "hateful"), ("new-1", 1, "neutral"), ("new-2", 1, "neutral")]
    v = majority_vote(rows, weights={"expert": 0.95, "new-1": 0.4, "new-2": 0.4})[1]
    assert v.value == "hateful"
    assert v.confidence == pytest.approx(0.95 / 1.75)


def test_weighted_vote_with_all_zero_weights_falls_back_to_counts():
    v = majority_vote([("a", 1, "x"), ("b", 1, "x"), ("c", 1, "y")], weights={})[1]
    assert (v.value, v.confidence) == ("x", 2 / 3)


def test_multi_label_majority_keeps_labels_chosen_by_more_than_half():
    rows = [("a", 1, ["spam", "ad"]), ("b", 1, ["spam"]), ("c", 1, ["spam", "ad", "scam"])]
    v = majority_vote_labels(rows)[1]
    assert v.value == frozenset({"spam", "ad"})
    # least certain decision: 'ad' 2 of 3 for, or 'scam' 2 of 3 against -> 2/3
    assert v.confidence == pytest.approx(2 / 3) and not v.is_tie


def test_multi_label_majority_leaves_out_and_flags_a_half_half_label():
    v = majority_vote_labels([("a", 1, ["spam", "ad"]), ("b", 1, ["spam"])])[1]
    assert v.value == frozenset({"spam"}) and v.is_tie and v.tied == ("ad",) and v.confidence == 0.5


# -- Dawid-Skene ----------------------------------------------------------------------------------------------------

def test_dawid_skene_beats_majority_vote_with_one_good_and_two_noisy_trainers():
    # One trainer right 90% of the time, two right 45% of the time, 4 classes, 1,000 tasks. Majority vote is
    # fooled whenever the two noisy trainers agree on a wrong class, and guesses on three-way splits; Dawid-Skene
    # learns from the data alone that the first trainer is the one to follow.
    truth, rows = synthetic(seed=0, n_tasks=1000, accuracies=[0.9, 0.45, 0.45], n_classes=4)
    mv = accuracy_of(majority_vote(rows), truth)
    result = dawid_skene(rows)
    ds = accuracy_of(result.aggregates, truth)
    assert result.converged
    assert ds > mv + 0.08, (ds, mv)
    assert ds > 0.8  # (0.84-0.91 over seeds 0-9; the margin over majority vote was 0.09-0.19)
    # It also tells the trainers apart: the good one clearly above both noisy ones.
    acc = result.trainer_accuracy
    assert acc["trainer-0"] > 0.75
    assert all(0.35 < acc[t] < 0.6 for t in ("trainer-1", "trainer-2"))
    assert acc["trainer-0"] > max(acc["trainer-1"], acc["trainer-2"]) + 0.25


def test_dawid_skene_recovers_known_trainer_accuracies_with_enough_data():
    # Seven trainers on 2,000 yes/no tasks: the estimates land on each trainer's actual accuracy.
    accuracies = [0.9, 0.7, 0.6, 0.6, 0.55, 0.8, 0.65]
    truth, rows = synthetic(seed=1, n_tasks=2000, accuracies=accuracies, n_classes=2)
    result = dawid_skene(rows)
    for j in range(len(accuracies)):
        actual = np.mean([v == truth[task] for t, task, v in rows if t == f"trainer-{j}"])
        assert result.trainer_accuracy[f"trainer-{j}"] == pytest.approx(actual, abs=0.03)
    assert accuracy_of(result.aggregates, truth) >= accuracy_of(majority_vote(rows), truth)


def test_dawid_skene_posteriors_are_probabilities_and_confidence_is_the_top_one():
    truth, rows = synthetic(seed=2, n_tasks=100, accuracies=[0.8, 0.7, 0.7], n_classes=3)
    result = dawid_skene(rows)
    for task, post in result.posteriors.items():
        assert sum(post.values()) == pytest.approx(1.0)
        assert result.aggregates[task].confidence == pytest.approx(max(post.values()))
        assert result.aggregates[task].value == max(post, key=post.get)
    assert sum(result.priors.values()) == pytest.approx(1.0)
    for matrix in result.confusion.values():
        assert matrix.shape == (3, 3)
        assert np.allclose(matrix.sum(axis=1), 1.0)


def test_dawid_skene_agrees_with_unanimous_answers_and_lists_unseen_classes():
    rows = [("a", 1, "x"), ("b", 1, "x"), ("a", 2, "y"), ("b", 2, "y"), ("c", 2, "y")]
    result = dawid_skene(rows, classes=["x", "y", "z"])
    assert result.classes == ("x", "y", "z")
    assert result.aggregates[1].value == "x" and result.aggregates[2].value == "y"
    assert result.aggregates[2].confidence > 0.9
    assert result.posteriors[1]["z"] < 0.05


def test_dawid_skene_does_not_depend_on_row_order():
    _, rows = synthetic(seed=3, n_tasks=200, accuracies=[0.85, 0.6, 0.5], n_classes=3)
    shuffled = rows[:]
    random.Random(0).shuffle(shuffled)
    a, b = dawid_skene(rows), dawid_skene(shuffled)
    assert {t: g.value for t, g in a.aggregates.items()} == {t: g.value for t, g in b.aggregates.items()}
    assert a.trainer_accuracy == pytest.approx(b.trainer_accuracy)


def test_dawid_skene_handles_no_answers_and_single_answers():
    empty = dawid_skene([])
    assert empty.aggregates == {} and empty.converged
    one = dawid_skene([("a", 1, "x")])
    assert one.aggregates[1].value == "x"


def test_dawid_skene_reports_when_it_stops_before_converging(caplog):
    _, rows = synthetic(seed=4, n_tasks=300, accuracies=[0.9, 0.45, 0.45], n_classes=4)
    result = dawid_skene(rows, max_iter=3)
    assert not result.converged and result.iterations == 3
    assert "without converging" in caplog.text


# -- consensus boxes ------------------------------------------------------------------------------------------------

def test_consensus_box_is_the_per_edge_median_with_its_support():
    answers = {
        "ann": [Box("car", 10, 20, 50, 30)],               # edges 10..60, 20..50
        "ben": [{"label": "car", "x": 12, "y": 22, "w": 50, "h": 30}],   # 12..62, 22..52
        "cy": [Box("car", 8, 18, 56, 30)],                 # 8..64, 18..48
    }
    [cb] = consensus_boxes(answers)
    # medians: left 10, top 20, right 62, bottom 50 -> x 10, y 20, w 52, h 30
    assert cb.box == Box("car", 10, 20, 52, 30)
    assert (cb.support, cb.n_trainers, cb.confidence) == (3, 3, 1.0)
    assert set(cb.trainers) == {"ann", "ben", "cy"}
    assert 0.8 < cb.mean_iou <= 1.0


def test_one_wild_box_does_not_drag_the_consensus():
    answers = {"a": [Box("p", 0, 0, 10, 10)], "b": [Box("p", 1, 0, 10, 10)], "c": [Box("p", 0, 1, 10, 10)],
               "d": [Box("p", 200, 200, 10, 10)]}
    boxes = consensus_boxes(answers)
    assert len(boxes) == 1  # the wild box has support 1 of 4: not a consensus
    assert boxes[0].box == Box("p", 0, 0, 10, 10) and boxes[0].support == 3
    everything = consensus_boxes(answers, min_support=1)
    assert [cb.support for cb in everything] == [3, 1]


def test_a_cluster_never_holds_two_boxes_from_the_same_trainer():
    # ann drew the same car twice; it must not count as two votes.
    answers = {"ann": [Box("car", 0, 0, 10, 10), Box("car", 1, 1, 10, 10)], "ben": [Box("car", 0, 0, 10, 10)],
               "cy": []}
    boxes = consensus_boxes(answers, min_support=1)
    assert [cb.support for cb in boxes] == [2, 1]
    # with three trainers answering, a majority needs 2: only the shared box is a consensus
    assert [cb.support for cb in consensus_boxes(answers)] == [2]


def test_boxes_of_different_labels_form_different_clusters():
    answers = {"a": [Box("car", 0, 0, 10, 10)], "b": [Box("truck", 0, 0, 10, 10)]}
    assert {cb.box.label for cb in consensus_boxes(answers, min_support=1)} == {"car", "truck"}
    assert consensus_boxes(answers) == []  # neither has a majority of two


def test_several_objects_in_one_image_each_get_a_consensus_box():
    answers = {t: [Box("person", 100 + d, 50, 40, 120), Box("dog", 300, 200 + d, 60, 40)]
               for t, d in (("a", 0), ("b", 2), ("c", 4))}
    boxes = consensus_boxes(answers)
    assert sorted((cb.box.label, cb.box.x, cb.box.y, cb.support) for cb in boxes) == [
        ("dog", 300, 202, 3), ("person", 102, 50, 3)]


def test_consensus_is_deterministic_whatever_the_order_of_trainers():
    answers = {"b": [Box("p", 0, 0, 10, 10)], "a": [Box("p", 3, 0, 10, 10)], "c": [Box("p", 6, 0, 10, 10)]}
    reordered = dict(reversed(list(answers.items())))
    assert consensus_boxes(answers, min_support=1) == consensus_boxes(reordered, min_support=1)


def test_consensus_aggregate_by_hand_keeps_majority_objects_and_reports_the_least_decisive_one():
    from marketplace.quality.aggregation import consensus_aggregate
    answers = {
        # a car everyone drew (edges left 10/12/14, top 20/20/26, right 60/62/64, bottom 50/52/56)
        "ann": [Box("car", 10, 20, 50, 30), Box("person", 200, 100, 20, 60), Box("car", 400, 400, 10, 10)],
        "ben": [{"label": "car", "x": 12, "y": 20, "w": 50, "h": 32}, Box("person", 204, 100, 20, 60)],
        "cy": [Box("car", 14, 26, 50, 30)],
    }
    agg = consensus_aggregate(7, answers, iou_threshold=0.5)
    # car: median edges 12, 20, 62, 52 -> (12, 20, 50, 32), support 3 of 3
    # person: drawn by two of three (IoU 16*60 / (2*1200 - 960) = 960/1440 = 0.67 >= 0.5): edges medians of two
    #         boxes are their means -> x 202, w 20; support 2 of 3 -> kept, confidence 2/3
    # the far car: one of three -> left out; "is there an object?" decided 2 against 1 -> 2/3
    # mean IoU with the consensus car: ann 48x30 overlap = 1440 / (1600 + 1500 - 1440); ben identical;
    # cy 48x26 = 1248 / (1600 + 1500 - 1248). Person: both 18x60 = 1080 / (1200 + 1200 - 1080).
    car_iou = round((1440 / 1660 + 1 + 1248 / 1852) / 3, 4)
    assert agg.value == [
        {"label": "car", "x": 12, "y": 20, "w": 50, "h": 32, "support": 3, "confidence": 1.0, "mean_iou": car_iou},
        {"label": "person", "x": 202, "y": 100, "w": 20, "h": 60, "support": 2, "confidence": round(2 / 3, 6),
         "mean_iou": round(1080 / 1320, 4)}]
    assert agg.confidence == pytest.approx(2 / 3) and agg.n_votes == 3 and not agg.is_tie


def test_consensus_aggregate_flags_a_box_half_the_trainers_drew_as_a_tie():
    from marketplace.quality.aggregation import consensus_aggregate
    agg = consensus_aggregate(1, {"a": [Box("cat", 0, 0, 10, 10)], "b": []})
    assert agg.value == [] and agg.is_tie and agg.tied == ("cat",) and agg.confidence == 0.5
    nobody = consensus_aggregate(2, {"a": [], "b": []})
    assert nobody.value == [] and nobody.confidence == 1.0 and not nobody.is_tie
