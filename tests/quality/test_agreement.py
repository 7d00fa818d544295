"""Agreement: Krippendorff's alpha against values worked out by hand, and pairwise percent agreement / kappa."""
from __future__ import annotations

from collections import Counter

import pytest

from marketplace.quality.agreement import (
    AlphaResult,
    agreement_by_trainer,
    alpha_per_label,
    alpha_per_scale,
    cohens_kappa,
    krippendorff_alpha,
    pairwise_agreement,
)


def triples(matrix: dict[str, list]) -> list[tuple]:
    """{trainer: [value per task or None]} -> (trainer, task, value) rows, as the room will pass them."""
    return [(t, task, v) for t, row in matrix.items() for task, v in enumerate(row, start=1) if v is not None]


# Hand computation recipe (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability"):
#   each task u with m_u >= 2 answers adds, for every ordered pair of answers (c, k) from different trainers,
#   1/(m_u - 1) to the coincidence o_ck. n_c = sum_k o_ck, n = sum n_c (pairable answers).
#   alpha = 1 - (n - 1) * sum_{c,k} o_ck d(c,k) / sum_{c,k} n_c n_k d(c,k)
#   nominal d = 0 if c == k else 1; interval d = (c - k)^2; ordinal d = (sum_{g from c to k} n_g - (n_c+n_k)/2)^2.

def test_nominal_alpha_two_trainers_by_hand():
    # tasks:  1  2  3  4
    # ann:    a  a  b  b
    # ben:    a  b  b  b
    # coincidences: task1 (a,a) -> o_aa += 2; task2 -> o_ab += 1, o_ba += 1; tasks 3,4 -> o_bb += 2 + 2
    # o_aa = 2, o_ab = o_ba = 1, o_bb = 4; n_a = 3, n_b = 5, n = 8
    # alpha = 1 - 7 * (1 + 1) / (3*5 + 5*3) = 1 - 14/30 = 16/30 = 0.5333...
    rows = triples({"ann": ["a", "a", "b", "b"], "ben": ["a", "b", "b", "b"]})
    result = krippendorff_alpha(rows, "nominal")
    assert result.alpha == pytest.approx(16 / 30)
    assert (result.n_tasks, result.n_answers) == (4, 8)


def test_nominal_alpha_with_missing_answers_by_hand():
    # tasks:  1  2  3  4
    # ann:    x  x  y  x
    # ben:    x  y  y  .
    # cy:     x  .  y  .
    # task1 has 3 answers, all x: 6 ordered pairs x 1/(3-1) -> o_xx += 3
    # task2 (x, y): o_xy += 1, o_yx += 1;  task3 three y's -> o_yy += 3;  task4 has one answer: not pairable
    # n_x = 4, n_y = 4, n = 8;  alpha = 1 - 7 * 2 / (4*4 + 4*4) = 1 - 14/32 = 18/32 = 0.5625
    rows = triples({"ann": ["x", "x", "y", "x"], "ben": ["x", "y", "y", None], "cy": ["x", None, "y", None]})
    result = krippendorff_alpha(rows)
    assert result.alpha == pytest.approx(18 / 32)
    assert (result.n_tasks, result.n_answers) == (3, 8)  # task 4 carries no information


# One small rating matrix, three levels of measurement:
#   tasks:  1  2  3
#   ann:    1  2  3
#   ben:    1  3  3
# o_11 = 2, o_23 = o_32 = 1, o_33 = 2; n_1 = 2, n_2 = 1, n_3 = 3, n = 6
RATINGS = {"ann": [1, 2, 3], "ben": [1, 3, 3]}


def test_interval_alpha_by_hand():
    # observed: (o_23 + o_32) * (2-3)^2 = 2
    # expected: 2*[n1 n2 (1-2)^2 + n1 n3 (1-3)^2 + n2 n3 (2-3)^2] = 2*[2*1*1 + 2*3*4 + 1*3*1] = 2*29 = 58
    # alpha = 1 - 5 * 2 / 58 = 48/58 = 0.8276
    assert krippendorff_alpha(triples(RATINGS), "interval").alpha == pytest.approx(48 / 58)


def test_ordinal_alpha_by_hand():
    # d(1,2) = (n1 + n2 - (n1+n2)/2)^2 = 1.5^2 = 2.25;  d(2,3) = (n2 + n3 - (n2+n3)/2)^2 = 2^2 = 4
    # d(1,3) = (n1 + n2 + n3 - (n1+n3)/2)^2 = (6 - 2.5)^2 = 12.25
    # observed: 2 * 4 = 8;  expected: 2*[2*1*2.25 + 2*3*12.25 + 1*3*4] = 2*90 = 180
    # alpha = 1 - 5 * 8 / 180 = 1 - 40/180 = 0.7778
    assert krippendorff_alpha(triples(RATINGS), "ordinal").alpha == pytest.approx(1 - 40 / 180)


def test_nominal_alpha_on_ratings_ignores_distance_by_hand():
    # observed: o_23 + o_32 = 2; expected: 2*(n1 n2 + n1 n3 + n2 n3) = 2*(2 + 6 + 3) = 22
    # alpha = 1 - 5 * 2 / 22 = 12/22 = 0.5455 (lower than interval: a 2-vs-3 miss counts as fully wrong)
    assert krippendorff_alpha(triples(RATINGS), "nominal").alpha == pytest.approx(12 / 22)


def test_alpha_matches_krippendorffs_published_example():
    # Krippendorff (2011), section C: four observers, twelve units, values 1..5 with gaps.
    data = {"A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
            "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
            "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
            "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]}
    assert krippendorff_alpha(triples(data), "nominal").alpha == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha(triples(data), "ordinal").alpha == pytest.approx(0.815, abs=5e-4)
    assert krippendorff_alpha(triples(data), "interval").alpha == pytest.approx(0.849, abs=5e-4)


def test_perfect_agreement_gives_one_and_is_called_reliable():
    result = krippendorff_alpha(triples({"a": ["x", "y", "x"], "b": ["x", "y", "x"]}))
    assert result.alpha == pytest.approx(1.0)
    assert result.verdict() == "Reliable agreement."


def test_alpha_is_undefined_without_overlap_and_says_why():
    result = krippendorff_alpha(triples({"a": ["x", None], "b": [None, "y"]}))
    assert result.alpha is None and result.n_tasks == 0
    assert "No task has answers from two trainers" in result.verdict()


def test_alpha_is_undefined_when_every_answer_is_the_same():
    result = krippendorff_alpha(triples({"a": ["x", "x"], "b": ["x", "x"]}))
    assert result.alpha is None
    assert "Every answer was 'x'" in result.reason


def test_verdict_bands_follow_krippendorffs_guide():
    assert AlphaResult(0.8, "nominal", 5, 10).verdict() == "Reliable agreement."
    assert AlphaResult(0.7, "nominal", 5, 10).verdict().startswith("Tentative agreement")
    assert AlphaResult(0.666, "nominal", 5, 10).verdict().startswith("Low agreement")


def test_duplicate_answers_from_one_trainer_are_refused():
    with pytest.raises(ValueError, match="two answers"):
        krippendorff_alpha([("a", 1, "x"), ("a", 1, "y"), ("b", 1, "x")])


def test_interval_alpha_needs_numbers():
    with pytest.raises(ValueError, match="numeric"):
        krippendorff_alpha(triples({"a": ["x", "y"], "b": ["x", "x"]}), "interval")


def test_multi_label_answers_compare_as_sets():
    rows = [("a", 1, ["spam", "ad"]), ("b", 1, ["ad", "spam"]), ("a", 2, ["spam"]), ("b", 2, ["spam"])]
    assert krippendorff_alpha(rows).alpha == pytest.approx(1.0)


def test_alpha_per_label_finds_the_label_trainers_disagree_about():
    # Multi-label job. On 'spam' both trainers always agree; on 'ad' they disagree on task 2.
    #   task:      1              2              3           4
    #   ann:  {spam, ad}        {ad}           {}          {spam}
    #   ben:  {spam, ad}        {}             {}          {spam}
    # 'spam' as yes/no: ann 1,0,0,1; ben 1,0,0,1 -> alpha 1.
    # 'ad'   as yes/no: ann 1,1,0,0; ben 1,0,0,0 -> o_11 = 2, o_10 = o_01 = 1, o_00 = 4; n_1 = 3, n_0 = 5
    #        alpha = 1 - 7 * 2 / 30 = 16/30 (the same table as the first hand example)
    rows = [("ann", 1, ["spam", "ad"]), ("ben", 1, ["spam", "ad"]), ("ann", 2, ["ad"]), ("ben", 2, []),
            ("ann", 3, []), ("ben", 3, []), ("ann", 4, ["spam"]), ("ben", 4, ["spam"])]
    per_label = alpha_per_label(rows, labels=["spam", "ad", "scam"])
    assert per_label["spam"].alpha == pytest.approx(1.0)
    assert per_label["ad"].alpha == pytest.approx(16 / 30)
    assert per_label["scam"].alpha is None  # nobody ever picked it: undefined, but listed


def test_alpha_per_label_on_single_label_answers():
    rows = triples({"ann": ["a", "a", "b", "b"], "ben": ["a", "b", "b", "b"]})
    per_label = alpha_per_label(rows)
    # with two labels, "is it a?" is the same decision as the label itself
    assert per_label["a"].alpha == pytest.approx(16 / 30)
    assert per_label["b"].alpha == pytest.approx(16 / 30)


def test_alpha_per_scale_for_rubric_ratings():
    rows = [(t, task, {"helpfulness": h, "honesty": 7})
            for t, row in RATINGS.items() for task, h in enumerate(row, start=1)]
    rows.append(("ann", 4, {"helpfulness": None, "honesty": 6}))
    rows.append(("ben", 4, {"honesty": 6}))
    per_scale = alpha_per_scale(rows, "interval")
    assert per_scale["helpfulness"].alpha == pytest.approx(48 / 58)
    assert per_scale["honesty"].alpha == pytest.approx(1.0)


# -- pairwise --------------------------------------------------------------------------------------------------

def test_cohens_kappa_two_labels_by_hand():
    # 10 shared tasks:        ben yes  ben no
    #             ann yes        4        1
    #             ann no         1        4
    # p_o = 8/10; each trainer said yes half the time, so p_e = .5*.5 + .5*.5 = .5; kappa = (.8-.5)/.5 = 0.6
    table = Counter({("y", "y"): 4, ("y", "n"): 1, ("n", "y"): 1, ("n", "n"): 4})
    assert cohens_kappa(table) == pytest.approx(0.6)


def test_cohens_kappa_three_labels_by_hand():
    #                 ben x  ben y  ben z
    #        ann x      3      1      0      (ann: x 4, y 3, z 3)
    #        ann y      0      2      1      (ben: x 4, y 3, z 3)
    #        ann z      1      0      2
    # p_o = 7/10; p_e = (4*4 + 3*3 + 3*3)/100 = 0.34; kappa = (0.7 - 0.34) / 0.66 = 0.5454...
    table = Counter({("x", "x"): 3, ("x", "y"): 1, ("y", "y"): 2, ("y", "z"): 1, ("z", "x"): 1, ("z", "z"): 2})
    assert cohens_kappa(table) == pytest.approx(0.36 / 0.66)


def test_kappa_is_undefined_when_both_always_used_one_value():
    assert cohens_kappa(Counter({("x", "x"): 5})) is None
    assert cohens_kappa(Counter()) is None


def test_pairwise_agreement_per_pair_by_hand():
    # tasks:   1  2  3  4  5
    # ann:     y  y  n  n  y
    # ben:     y  n  n  n  .
    # cy:      .  y  n  y  y
    # ann-ben share tasks 1-4: agree on 1,3,4 -> 3/4.  table: (y,y)1 (y,n)1 (n,n)2
    #   ann marginals y2 n2, ben y1 n3: p_e = (2*1 + 2*3)/16 = 0.5; kappa = (0.75-0.5)/0.5 = 0.5
    # ann-cy share 2-5: agree on 2,3,5 -> 3/4.  table: (y,y)2 (n,n)1 (n,y)1
    #   ann y2 n2, cy y3 n1: p_e = (2*3 + 2*1)/16 = 0.5; kappa = 0.5
    # ben-cy share 2-4: agree on 3 only -> 1/3.  table: (n,y)2 (n,n)1
    #   ben n3, cy y2 n1: p_e = (3*1)/9 = 1/3; kappa = (1/3 - 1/3)/(2/3) = 0
    rows = triples({"ann": ["y", "y", "n", "n", "y"], "ben": ["y", "n", "n", "n", None],
                    "cy": [None, "y", "n", "y", "y"]})
    pairs = {(p.trainer_a, p.trainer_b): p for p in pairwise_agreement(rows)}
    assert set(pairs) == {("ann", "ben"), ("ann", "cy"), ("ben", "cy")}
    assert (pairs["ann", "ben"].n_common, pairs["ann", "ben"].percent) == (4, 0.75)
    assert pairs["ann", "ben"].kappa == pytest.approx(0.5)
    assert pairs["ann", "cy"].percent == 0.75 and pairs["ann", "cy"].kappa == pytest.approx(0.5)
    assert pairs["ben", "cy"].percent == pytest.approx(1 / 3) and pairs["ben", "cy"].kappa == pytest.approx(0.0)

    # min_common drops pairs with too little overlap to mean anything
    assert {(p.trainer_a, p.trainer_b) for p in pairwise_agreement(rows, min_common=4)} == {("ann", "ben"),
                                                                                             ("ann", "cy")}
    # per trainer: ann compared 8 times, agreed 6; ben 7 times, agreed 4 (3 + 1)
    per = agreement_by_trainer(pairs.values())
    assert (per["ann"].n_comparisons, per["ann"].percent) == (8, 0.75)
    assert per["ann"].mean_kappa == pytest.approx(0.5)
    assert per["ben"].percent == pytest.approx(4 / 7)
    assert per["ben"].mean_kappa == pytest.approx((0.5 * 4 + 0 * 3) / 7)


def test_pairs_are_ordered_by_numeric_trainer_id():
    rows = [(10, 1, "a"), (9, 1, "a"), (2, 1, "b")]
    assert [(p.trainer_a, p.trainer_b) for p in pairwise_agreement(rows)] == [(2, 9), (2, 10), (9, 10)]
