"""Pure grading rules, table-driven: no database, no Flask."""
import random
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.assessments import grading
from marketplace.assessments.grading import GradableItem

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("kind, gold, selected, expected", [
    ("single_choice", ["a"], ["a"], True),
    ("single_choice", ["a"], ["b"], False),
    ("single_choice", ["a"], [], False),                 # unanswered is wrong
    ("single_choice", ["a"], ["a", "b"], False),         # two picks for a single choice is wrong even with gold
    ("multiple_choice", ["a", "d"], ["d", "a"], True),   # order does not matter
    ("multiple_choice", ["a", "d"], ["a"], False),       # no partial credit: one missing
    ("multiple_choice", ["a", "d"], ["a", "d", "b"], False),  # one extra
    ("multiple_choice", ["a", "d"], [], False),
    ("multiple_choice", ["c"], ["c"], True),
])
def test_choice_is_right_only_with_exactly_the_gold_options(kind, gold, selected, expected):
    assert grading.choice_is_correct(kind, gold, selected) is expected


@pytest.mark.parametrize("item, credit", [
    (GradableItem("single_choice", ("a",), ("a",)), True),
    (GradableItem("single_choice", ("a",), ("b",)), False),
    # a required rationale: unmarked -> awaiting; right label + acceptable -> point; right label + not -> no point
    (GradableItem("single_choice", ("a",), ("a",), True, None), None),
    (GradableItem("single_choice", ("a",), ("a",), True, "acceptable"), True),
    (GradableItem("single_choice", ("a",), ("a",), True, "not_acceptable"), False),
    # a wrong label fails the item whatever the rationale (no review needed to know)
    (GradableItem("single_choice", ("a",), ("b",), True, None), False),
    (GradableItem("single_choice", ("a",), ("b",), True, "acceptable"), False),
    # free text: only the reviewer's mark decides
    (GradableItem("free_text", (), (), False, None), None),
    (GradableItem("free_text", (), (), False, "acceptable"), True),
    (GradableItem("free_text", (), (), False, "not_acceptable"), False),
])
def test_item_credit_table(item, credit):
    assert grading.item_credit(item) is credit


@pytest.mark.parametrize("correct, scored, mark, passed", [
    (12, 15, 80, True),    # exactly 80% passes an 80% mark (integer comparison, no float rounding)
    (11, 15, 80, False),   # 73.3%
    (9, 12, 75, True),
    (8, 12, 75, False),    # 66.7%
    (1, 3, 34, False),     # 33.3% < 34
    (1, 3, 33, True),
    (0, 0, 50, False),     # nothing scored never passes
    (15, 15, 100, True),
])
def test_pass_mark_is_a_percentage_of_scored_items(correct, scored, mark, passed):
    assert grading.passes(correct, scored, mark) is passed


def test_score_counts_every_item_and_reports_those_awaiting_review():
    items = [GradableItem("single_choice", ("a",), ("a",)), GradableItem("single_choice", ("a",), ("c",)),
             GradableItem("single_choice", ("a",), ("a",), True), GradableItem("free_text", (), ())]
    result = grading.score(items)
    assert (result.scored, result.correct, result.awaiting_review) == (4, 1, 2)
    assert result.percent == 25


@pytest.mark.parametrize("items, requires_review, mark, outcome", [
    ([GradableItem("single_choice", ("a",), ("a",))] * 4, False, 75, "passed"),
    ([GradableItem("single_choice", ("a",), ("a",))] * 2 + [GradableItem("single_choice", ("a",), ("b",))] * 2,
     False, 75, "failed"),
    ([GradableItem("single_choice", ("a",), ("a",)), GradableItem("single_choice", ("a",), ("a",), True)],
     True, 50, "pending_review"),
    ([GradableItem("single_choice", ("a",), ("a",))] * 2, True, 50, "passed"),  # nothing written: graded at once
])
def test_outcome_after_submit(items, requires_review, mark, outcome):
    assert grading.outcome_after_submit(items, requires_review, mark) == outcome


def test_review_outcome_refuses_while_a_written_answer_is_unmarked():
    with pytest.raises(ValueError):
        grading.review_outcome([GradableItem("free_text", (), ())], 50)


@pytest.mark.parametrize("elapsed, limit, paid", [
    (timedelta(minutes=12, seconds=30), 1800, 750),
    (timedelta(minutes=45), 1800, 1800),      # capped at the time limit
    (timedelta(seconds=0), 1800, 0),
    (timedelta(seconds=-5), 1800, 0),         # a clock step backwards never pays negative time
    (timedelta(seconds=59, microseconds=999_999), 600, 59),  # whole seconds, rounded down
])
def test_paid_seconds_are_start_to_submit_capped_at_the_limit(elapsed, limit, paid):
    assert grading.paid_seconds(T0, T0 + elapsed, limit) == paid


@pytest.mark.parametrize("after_deadline, late", [
    (timedelta(seconds=-60), False), (timedelta(0), False),
    (timedelta(seconds=grading.GRACE_SECONDS), False),       # within the grace for the browser's trip
    (timedelta(seconds=grading.GRACE_SECONDS + 1), True),
    (timedelta(hours=2), True),
])
def test_late_means_after_the_deadline_plus_grace(after_deadline, late):
    deadline = T0 + timedelta(minutes=30)
    assert grading.is_late(deadline, deadline + after_deadline) is late
    assert grading.accepts_answers_at(deadline, deadline + after_deadline) is (not late)


@pytest.mark.parametrize("kind, options, selected, problem", [
    ("single_choice", ["a", "b"], ["a"], None),
    ("single_choice", ["a", "b"], [], None),  # clearing an answer is allowed
    ("single_choice", ["a", "b"], ["a", "b"], "Choose one option only."),
    ("single_choice", ["a", "b"], ["z"], "'z' is not one of this item's options (a, b)."),
    ("multiple_choice", ["a", "b"], ["a", "a"], "An option was chosen twice."),
    ("free_text", [], ["a"], "This item takes a written answer, not a choice."),
])
def test_check_selection(kind, options, selected, problem):
    assert grading.check_selection(kind, options, selected) == problem


def test_written_answers_have_a_length_limit():
    assert grading.check_written("x" * grading.ANSWER_MAX_CHARS) is None
    assert "at most" in grading.check_written("x" * (grading.ANSWER_MAX_CHARS + 1))


def test_draw_takes_n_distinct_items_in_shuffled_order():
    bank = [(i, False) for i in range(1, 41)]
    orders = {tuple(grading.draw(bank, 10, random.Random(seed))) for seed in range(20)}
    assert all(len(set(o)) == 10 for o in orders)
    assert len(orders) > 15  # different draws and orders
    assert any(list(o) != sorted(o) for o in orders)


def test_draw_refuses_more_items_than_the_bank_has():
    with pytest.raises(ValueError):
        grading.draw([(1, False)], 2, random.Random(1))


@given(bank_size=st.integers(1, 60), written_share=st.floats(0, 1), n=st.integers(1, 60), seed=st.integers(0, 10**6))
def test_draw_always_includes_writing_when_the_bank_has_some(bank_size, written_share, n, seed):
    n = min(n, bank_size)
    written = round(bank_size * written_share)
    bank = [(i, i < written) for i in range(bank_size)]
    chosen = grading.draw(bank, n, random.Random(seed))
    assert len(chosen) == n == len(set(chosen))
    drawn_written = sum(1 for c in chosen if c < written)
    if written:
        assert drawn_written >= 1
    # in proportion (within one) unless the bank forces more
    expected = round(n * written / bank_size)
    assert drawn_written <= max(expected, 1, n - (bank_size - written))


def test_hate_speech_sized_draw_asks_for_about_four_rationales():
    bank = [(i, i < 13) for i in range(49)]
    for seed in range(10):
        chosen = grading.draw(bank, 15, random.Random(seed))
        assert sum(1 for c in chosen if c < 13) == 4
