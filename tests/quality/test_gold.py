"""Gold scoring per task kind, table-driven: pass/fail, partial score and the words the trainer reads."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.quality.boxes import Box, iou, iou_matrix, match_boxes
from marketplace.quality.gold import (
    GoldFormatError,
    GoldResult,
    ScoringRules,
    needs_human_review,
    rescore_after_correction,
    score_gold,
    summarise,
)


def box(label, x, y, w, h):
    return {"label": label, "x": x, "y": y, "w": w, "h": h}


# (case id, kind, answer, gold, rules, passed, score, words the explanation must contain)
CASES = [
    # classification, single label
    ("single_label_match", "classification", {"label": "hateful"}, {"label": "hateful"}, None, True, 1.0,
     ["Correct", "'hateful'"]),
    ("single_label_wrong", "classification", {"label": "neutral"}, {"label": "hateful"}, None, False, 0.0,
     ["You chose 'neutral'", "expected label is 'hateful'"]),
    ("single_label_missing", "classification", {}, {"label": "hateful"}, None, False, 0.0,
     ["No label was chosen", "'hateful'"]),
    ("label_match_is_case_sensitive", "classification", {"label": "Hateful"}, {"label": "hateful"}, None, False,
     0.0, ["'Hateful'"]),
    # classification, multi-label: pass only on the exact set, Jaccard as partial credit
    ("multi_label_exact_set", "classification", {"labels": ["ad", "spam"]}, {"labels": ["spam", "ad"]}, None,
     True, 1.0, ["Correct"]),
    ("multi_label_one_missed", "classification", {"labels": ["spam"]}, {"labels": ["spam", "ad"]}, None, False,
     0.5, ["1 of 2 expected labels", "missed 'ad'"]),
    ("multi_label_one_extra", "classification", {"labels": ["spam", "ad", "scam"]}, {"labels": ["spam", "ad"]},
     None, False, 2 / 3, ["2 of 2", "added 'scam'"]),
    ("multi_label_missed_and_added", "classification", {"labels": ["spam", "scam"]}, {"labels": ["spam", "ad"]},
     None, False, 1 / 3, ["missed 'ad'", "added 'scam'"]),
    ("multi_label_empty_gold_and_answer", "classification", {"labels": []}, {"labels": []}, None, True, 1.0, []),
    # bounding boxes
    ("boxes_all_matched", "bounding_boxes",
     {"boxes": [box("car", 11, 21, 50, 30), box("person", 100, 100, 20, 60)]},
     {"boxes": [box("car", 10, 20, 50, 30), box("person", 100, 100, 20, 60)]}, None, True, 1.0,
     ["Correct", "2 of 2 boxes matched"]),
    ("boxes_low_overlap_reports_percentage", "bounding_boxes",
     # the drawn car box is shifted by 30 px: IoU = (20*30)/(50*30*2 - 20*30) = 600/2400 = 25%
     {"boxes": [box("car", 40, 20, 50, 30), box("person", 100, 100, 20, 60), box("dog", 200, 200, 10, 10)]},
     {"boxes": [box("car", 10, 20, 50, 30), box("person", 100, 100, 20, 60), box("dog", 200, 200, 10, 10)]},
     None, False, 2 / 3,
     ["2 of 3 boxes matched", "the 'car' box at (10,20) overlapped the expected one by 25%, below 50%"]),
    ("boxes_wrong_label_named", "bounding_boxes", {"boxes": [box("truck", 10, 20, 50, 30)]},
     {"boxes": [box("car", 10, 20, 50, 30)]}, None, False, 0.0,
     ["0 of 1 box matched", "labelled 'truck' instead of 'car'", "1 box drawn where none was expected"]),
    ("boxes_miss_is_not_explained_by_a_box_used_elsewhere", "bounding_boxes",
     # the one drawn box matches the first car and touches the second; the second is simply missing
     {"boxes": [box("car", 0, 0, 12, 10)]}, {"boxes": [box("car", 0, 0, 10, 10), box("car", 10, 0, 10, 10)]},
     None, False, 0.5, ["1 of 2 boxes matched", "expected 'car' box at (10,0) is missing"]),
    ("boxes_missing_box", "bounding_boxes", {"boxes": []}, {"boxes": [box("car", 10, 20, 50, 30)]}, None, False,
     0.0, ["expected 'car' box at (10,20) is missing"]),
    ("boxes_extra_box_fails_by_default", "bounding_boxes",
     {"boxes": [box("car", 10, 20, 50, 30), box("car", 300, 300, 5, 5)]},
     {"boxes": [box("car", 10, 20, 50, 30)]}, None, False, 0.5, ["1 of 1 box matched", "1 box drawn where none"]),
    ("boxes_extra_box_within_tolerance_passes", "bounding_boxes",
     {"boxes": [box("car", 10, 20, 50, 30), box("car", 300, 300, 5, 5)]},
     {"boxes": [box("car", 10, 20, 50, 30)]}, ScoringRules(extra_box_tolerance=1), True, 0.5,
     ["Correct", "up to 1 allowed"]),
    ("boxes_threshold_is_configurable", "bounding_boxes", {"boxes": [box("car", 40, 20, 50, 30)]},
     {"boxes": [box("car", 10, 20, 50, 30)]}, ScoringRules(iou_threshold=0.25), True, 1.0, ["Correct"]),
    ("boxes_iou_exactly_at_threshold_matches", "bounding_boxes", {"boxes": [box("car", 0, 0, 10, 20)]},
     # IoU = 10*10 / (10*10 + 10*20 - 10*10) = 100/200 = 0.5, the threshold itself: a match
     {"boxes": [box("car", 0, 0, 10, 10)]}, None, True, 1.0, ["Correct", "1 of 1 box matched"]),
    ("boxes_iou_just_under_threshold_fails", "bounding_boxes", {"boxes": [box("car", 0, 0, 10, 21)]},
     # IoU = 100/210 = 47.6%: below 50%
     {"boxes": [box("car", 0, 0, 10, 10)]}, None, False, 0.0, ["overlapped the expected one by 48%, below 50%"]),
    ("boxes_none_expected_none_drawn", "bounding_boxes", {"boxes": []}, {"boxes": []}, None, True, 1.0,
     ["no boxes were expected"]),
    ("boxes_unreadable_answer_fails", "bounding_boxes", {"boxes": [{"label": "car", "x": "left"}]},
     {"boxes": [box("car", 10, 20, 50, 30)]}, None, False, 0.0, ["could not be read", "missing"]),
    # pairwise preference
    ("preference_side_match", "pairwise_preference", {"preferred": "A", "strength": "much"},
     {"preferred": "A", "strength": "slightly"}, None, True, 1.0, ["Correct: response A"]),
    ("preference_side_wrong", "pairwise_preference", {"preferred": "B"}, {"preferred": "A"}, None, False, 0.0,
     ["You preferred response B", "expected answer is response A"]),
    ("preference_tie", "pairwise_preference", {"preferred": "tie"}, {"preferred": "TIE"}, None, True, 1.0,
     ["a tie"]),
    ("preference_strength_checked_exact", "pairwise_preference", {"preferred": "A", "strength": "clearly"},
     {"preferred": "A", "strength": "clearly"}, ScoringRules(check_strength=True), True, 1.0, ["'clearly'"]),
    ("preference_strength_one_step_off_fails", "pairwise_preference", {"preferred": "A", "strength": "much"},
     {"preferred": "A", "strength": "clearly"}, ScoringRules(check_strength=True), False, 0.75,
     ["Correct side", "you said 'much'", "expected strength is 'clearly'"]),
    ("preference_strength_within_tolerance", "pairwise_preference", {"preferred": "A", "strength": "much"},
     {"preferred": "A", "strength": "clearly"}, ScoringRules(check_strength=True, strength_tolerance=1), True,
     0.75, ["Correct side"]),
    ("preference_strength_missing", "pairwise_preference", {"preferred": "A"},
     {"preferred": "A", "strength": "much"}, ScoringRules(check_strength=True), False, 0.5, ["no strength"]),
    ("preference_none_chosen", "pairwise_preference", {}, {"preferred": "B"}, None, False, 0.0,
     ["No preference"]),
    # rating
    ("rating_within_tolerance", "rating", {"scores": {"helpfulness": 6, "honesty": 7}},
     {"scores": {"helpfulness": 5, "honesty": 7}}, None, True, 1.0, ["all 2 scales within tolerance"]),
    ("rating_one_scale_off", "rating", {"scores": {"helpfulness": 2, "honesty": 7}},
     {"scores": {"helpfulness": 5, "honesty": 7}}, None, False, 0.5,
     ["1 of 2 scales", "'helpfulness' rated 2, expected 5 ± 1"]),
    ("rating_zero_tolerance", "rating", {"scores": {"helpfulness": 6}}, {"scores": {"helpfulness": 5}},
     ScoringRules(rating_tolerance=0), False, 0.0, ["expected 5 ± 0"]),
    ("rating_per_scale_tolerance", "rating", {"scores": {"helpfulness": 3, "honesty": 6}},
     {"scores": {"helpfulness": 5, "honesty": 7}}, ScoringRules(rating_tolerance={"helpfulness": 2, "honesty": 0}),
     False, 0.5, ["'honesty' rated 6, expected 7 ± 0"]),
    ("rating_missing_scale", "rating", {"scores": {"honesty": 7}}, {"scores": {"helpfulness": 5, "honesty": 7}},
     None, False, 0.5, ["'helpfulness' was not rated"]),
    ("rating_only_gold_scales_compared", "rating", {"scores": {"helpfulness": 5, "harmlessness": 1}},
     {"scores": {"helpfulness": 5}}, None, True, 1.0, ["all 1 scale within"]),
    # code review: the verdict is scored, the rest is for people
    ("code_review_verdict_match", "code_review", {"verdict": "incorrect", "bugs": [{"line": 3}]},
     {"verdict": "incorrect"}, None, True, 1.0, ["Correct: the code is incorrect"]),
    ("code_review_verdict_wrong", "code_review", {"verdict": "correct"}, {"verdict": "incorrect"}, None, False,
     0.0, ["You judged the code 'correct'", "expected verdict is 'incorrect'"]),
    ("code_review_no_verdict", "code_review", {"bugs": []}, {"verdict": "correct"}, None, False, 0.0,
     ["No verdict"]),
    # any kind: nothing recorded
    ("no_answer_at_all", "classification", None, {"label": "x"}, None, False, 0.0, ["No answer was recorded"]),
]


@pytest.mark.parametrize("kind,answer,gold,rules,passed,score,words", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_gold_scoring_per_kind(kind, answer, gold, rules, passed, score, words):
    result = score_gold(kind, answer, gold, rules)
    assert isinstance(result, GoldResult)
    assert result.passed is passed
    assert result.score == pytest.approx(score)
    assert 0.0 <= result.score <= 1.0
    for w in words:
        assert w in result.explanation, result.explanation
    # A passed item always has full or partial credit, a failed one never claims full credit.
    assert not (not result.passed and result.score == 1.0)


@pytest.mark.parametrize("kind,gold", [("writing", {"text": "A model answer"}), ("code_review", {"bugs": []})])
def test_kinds_that_need_a_person_are_not_auto_scored(kind, gold):
    assert score_gold(kind, {"text": "anything", "verdict": "correct"}, gold) is None
    assert needs_human_review(kind, gold)


def test_auto_scored_kinds_do_not_need_a_person():
    assert not needs_human_review("code_review", {"verdict": "correct"})
    assert not needs_human_review("classification", {"label": "x"})


@pytest.mark.parametrize("kind,gold", [
    ("classification", {}),
    ("classification", {"labels": "spam"}),
    ("pairwise_preference", {"preferred": "C"}),
    ("rating", {"scores": {}}),
    ("rating", {"scores": {"helpfulness": "high"}}),
    ("code_review", {"verdict": "maybe"}),
    ("bounding_boxes", {"boxes": [{"label": "car", "x": 1, "y": 1, "w": -5, "h": 3}]}),
])
def test_malformed_gold_is_the_requesters_error_not_a_failed_item(kind, gold):
    with pytest.raises(GoldFormatError):
        score_gold(kind, {"label": "x", "preferred": "A", "scores": {"helpfulness": 1}, "verdict": "correct",
                          "boxes": []}, gold)


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="unknown task kind"):
        score_gold("poetry", {}, {})


def test_box_matching_is_one_to_one_and_prefers_more_matches():
    # Two gold cars side by side, x 0-10 and 10-20. The trainer's first box (x 5-17) overlaps the left car by
    # 50/170 = 29% and the right car by 70/150 = 47%; the second (x 14-24) overlaps only the right car, 60/140 =
    # 43%. Greedy-by-IoU takes first->right (47%) and strands the second box; optimal matching pairs first->left
    # and second->right, so at a 25% threshold both cars count.
    gold = [Box("car", 0, 0, 10, 10), Box("car", 10, 0, 10, 10)]
    pred = [Box("car", 5, 0, 12, 10), Box("car", 14, 0, 10, 10)]
    matches = match_boxes(gold, pred, 0.25)
    assert [(g, p) for g, p, _ in matches] == [(0, 0), (1, 1)]
    assert [round(v, 3) for _, _, v in matches] == [round(50 / 170, 3), round(60 / 140, 3)]
    # and the greedy fallback would indeed have found only one match here
    from marketplace.quality.boxes import _greedy_matching
    m = iou_matrix(gold, pred)
    assert len(_greedy_matching(m, m >= 0.25)) == 1


def test_box_matching_never_pairs_different_labels():
    assert match_boxes([Box("car", 0, 0, 10, 10)], [Box("bus", 0, 0, 10, 10)], 0.5) == []


def test_greedy_matching_beyond_exact_limit_matches_all_clear_pairs():
    gold = [Box("p", 20 * i, 0, 10, 10) for i in range(15)]
    pred = [Box("p", 20 * i + 1, 0, 10, 10) for i in range(15)]
    matches = match_boxes(gold, pred, 0.5)
    assert [(g, p) for g, p, _ in matches] == [(i, i) for i in range(15)]


def test_iou_matches_hand_computed_values():
    a, b = Box("x", 0, 0, 10, 10), Box("x", 5, 0, 10, 10)
    # intersection 5x10 = 50; union 100 + 100 - 50 = 150
    assert iou(a, b) == pytest.approx(1 / 3)
    assert iou(a, Box("x", 20, 20, 5, 5)) == 0.0
    assert iou(Box("x", 0, 0, 0, 0), Box("x", 0, 0, 0, 0)) == 0.0
    assert iou_matrix([a], [a, b])[0].tolist() == pytest.approx([1.0, 1 / 3])


def test_summary_counts_scored_items_and_leaves_out_those_awaiting_review():
    results = [score_gold("classification", {"label": "a"}, {"label": "a"}),
               score_gold("classification", {"label": "b"}, {"label": "a"}),
               score_gold("classification", {"label": "a"}, {"label": "a"}),
               score_gold("writing", {"text": "x"}, {"text": "y"})]
    acc = summarise(results)
    assert (acc.n_items, acc.n_passed) == (3, 2)
    assert acc.accuracy == pytest.approx(2 / 3)
    assert acc.text() == "67% (2 of 3 gold items correct)"
    assert summarise([]).text() == "No gold items scored yet."


small_boxes = st.lists(st.builds(Box, st.sampled_from(["car", "bus"]), st.integers(0, 40), st.integers(0, 40),
                                 st.integers(1, 30), st.integers(1, 30)), max_size=5)


@settings(max_examples=200, deadline=None)
@given(gold=small_boxes, pred=small_boxes, threshold=st.sampled_from([0.1, 0.3, 0.5]))
def test_box_matching_is_a_valid_one_to_one_matching_as_large_as_any_other(gold, pred, threshold):
    matches = match_boxes(gold, pred, threshold)
    assert len({g for g, _, _ in matches}) == len({p for _, p, _ in matches}) == len(matches)
    for g, p, v in matches:
        assert gold[g].label == pred[p].label and v >= threshold and v == pytest.approx(iou(gold[g], pred[p]))
    # brute force over every injective assignment of gold boxes to predicted boxes (or to nothing)
    best = 0
    for choice in itertools.product(range(-1, len(pred)), repeat=len(gold)):
        used = [c for c in choice if c >= 0]
        if len(used) == len(set(used)) and all(
                c < 0 or (gold[g].label == pred[c].label and iou(gold[g], pred[c]) >= threshold)
                for g, c in enumerate(choice)):
            best = max(best, len(used))
    assert len(matches) == best


def test_rescoring_after_a_gold_correction_flips_exactly_the_affected_trainers():
    # The gold said 'neutral'; the requester agrees with a contest that it is 'hateful' and corrects it.
    answers = [("ann", {"label": "hateful"}, False), ("ben", {"label": "neutral"}, True),
               ("cy", {"label": "hateful"}, False), ("dee", {"label": "spam"}, False)]
    results = rescore_after_correction("classification", answers, {"label": "hateful"})
    changed = {r.trainer: r.after.passed for r in results if r.changed}
    assert changed == {"ann": True, "ben": False, "cy": True}
    assert not [r for r in results if r.trainer == "dee"][0].changed
    # and accuracies computed from the new results move accordingly
    assert summarise([r.after for r in results]).n_passed == 2
