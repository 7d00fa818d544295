"""Answers of every task kind through the submit service, the worker API and the work page's form: valid,
invalid and boundary answers; a valid answer is stored exactly as sent, an invalid one is refused with the field
and stores nothing."""
import pytest

from marketplace.assignment import services
from marketplace.assignment.kind_forms import response_order
from marketplace.assignment.models import Assignment
from marketplace.core.errors import ValidationFailed
from marketplace.extensions import db
from tests.assignment.kinds_helpers import RANKED, held
from tests.assignment.test_api import Api

BOX = {"label": "person", "x": 10, "y": 20, "w": 30, "h": 40}
RATED = {"scores": {"Helpfulness": 1, "Tone": 3}, "scale_comments": {"Helpfulness": "Asks for the password."}}
STATS = {"typed_chars": 40, "pasted_chars": 12, "pastes": 1}
REVIEW = {"verdict": "incorrect", "bugs": [{"line": 2, "description": "Skips the first element."}], "quality": 2}

# (kind, case, answer, the field refused or None for valid)
CASES = [
    ("bounding_boxes", "one box", {"boxes": [BOX]}, None),
    ("bounding_boxes", "no box when the job allows none", {"boxes": []}, None),
    ("bounding_boxes", "box touching the right and bottom edges", {"boxes": [{**BOX, "x": 170, "w": 30, "y": 110, "h": 40}]}, None),
    ("bounding_boxes", "box one pixel past the right edge", {"boxes": [{**BOX, "x": 171, "w": 30}]}, "boxes[0]"),
    ("bounding_boxes", "box one pixel past the bottom", {"boxes": [{**BOX, "y": 111, "h": 40}]}, "boxes[0]"),
    ("bounding_boxes", "1x1 box", {"boxes": [{**BOX, "w": 1, "h": 1}]}, None),
    ("bounding_boxes", "zero width", {"boxes": [{**BOX, "w": 0}]}, "boxes[0].w"),
    ("bounding_boxes", "negative corner", {"boxes": [{**BOX, "x": -1}]}, "boxes[0].x"),
    ("bounding_boxes", "fractional pixels", {"boxes": [{**BOX, "x": 10.5, "w": 29.25}]}, None),
    ("bounding_boxes", "as many boxes as allowed", {"boxes": [BOX, BOX, BOX]}, None),
    ("bounding_boxes", "one box too many", {"boxes": [BOX, BOX, BOX, BOX]}, "boxes"),
    ("bounding_boxes", "label not in the job", {"boxes": [{**BOX, "label": "dog"}]}, "boxes[0].label"),
    ("bounding_boxes", "coordinate as text", {"boxes": [{**BOX, "x": "10"}]}, "boxes[0].x"),
    ("bounding_boxes", "unknown field", {"boxes": [{**BOX, "colour": "red"}]}, "boxes[0]"),
    ("writing", "shortest allowed", {"text": "a" * 10}, None),
    ("writing", "one character short", {"text": "a" * 9}, "text"),
    ("writing", "spaces do not count", {"text": "   " + "a" * 9 + "   "}, "text"),
    ("writing", "longest allowed", {"text": "a" * 50}, None),
    ("writing", "one character too long", {"text": "a" * 51}, "text"),
    ("writing", "typed and pasted figures", {"text": "Ice is less dense than water.", "input_stats": STATS}, None),
    ("writing", "negative figure", {"text": "Ice is less dense.", "input_stats": {**STATS, "pastes": -1}}, "input_stats.pastes"),
    ("writing", "figures missing one count", {"text": "Ice is less dense.", "input_stats": {"typed_chars": 3, "pasted_chars": 0}}, "input_stats.pastes"),
    ("pairwise_preference", "A much better", {"preferred": "a", "strength": "much", "reason": "Canberra is right."}, None),
    ("pairwise_preference", "tie without strength", {"preferred": "tie", "reason": "Both fine."}, None),
    ("pairwise_preference", "B without strength", {"preferred": "b", "reason": "Sydney is bigger."}, "strength"),
    ("pairwise_preference", "strength not a word we use", {"preferred": "a", "strength": "very", "reason": "Right."}, "strength"),
    ("pairwise_preference", "reason at the minimum", {"preferred": "a", "strength": "slightly", "reason": "Right"}, None),
    ("pairwise_preference", "reason one short", {"preferred": "a", "strength": "slightly", "reason": "Rig "}, "reason"),
    ("pairwise_preference", "display order recorded", {"preferred": "b", "strength": "clearly", "reason": "Better.", "order": ["b", "a"]}, None),
    ("pairwise_preference", "display order with a stranger", {"preferred": "a", "strength": "clearly", "reason": "Better.", "order": ["a", "c"]}, "order"),
    ("pairwise_preference", "ranking on a two-response task", {"preferred": "a", "strength": "clearly", "reason": "Better.", "ranking": ["a", "a"]}, "ranking"),
    ("rating", "every scale and the required comment", RATED, None),
    ("rating", "top of each scale", {**RATED, "scores": {"Helpfulness": 5, "Tone": 3}}, None),
    ("rating", "above the scale", {**RATED, "scores": {"Helpfulness": 6, "Tone": 3}}, "scores.Helpfulness"),
    ("rating", "below the scale", {**RATED, "scores": {"Helpfulness": 1, "Tone": 0}}, "scores.Tone"),
    ("rating", "a scale left out", {**RATED, "scores": {"Helpfulness": 2}}, "scores.Tone"),
    ("rating", "a scale the job does not have", {**RATED, "scores": {"Helpfulness": 2, "Tone": 2, "Wit": 1}}, "scores"),
    ("rating", "required scale comment missing", {"scores": {"Helpfulness": 2, "Tone": 2}}, "scale_comments.Helpfulness"),
    ("rating", "required scale comment blank", {**RATED, "scale_comments": {"Helpfulness": "   "}}, "scale_comments.Helpfulness"),
    ("rating", "score as text", {**RATED, "scores": {"Helpfulness": "2", "Tone": 2}}, "scores.Helpfulness"),
    ("code_review", "incorrect with its bug", REVIEW, None),
    ("code_review", "correct and no bugs", {"verdict": "correct", "bugs": [], "quality": 5}, None),
    ("code_review", "correct but with bugs", {**REVIEW, "verdict": "correct"}, "bugs"),
    ("code_review", "incorrect without a bug", {**REVIEW, "bugs": []}, "bugs"),
    ("code_review", "bug on the last line", {**REVIEW, "bugs": [{"line": 3, "description": "Trailing line."}]}, None),
    ("code_review", "bug past the end", {**REVIEW, "bugs": [{"line": 4, "description": "Nowhere."}]}, "bugs[0].line"),
    ("code_review", "bug on line 0", {**REVIEW, "bugs": [{"line": 0, "description": "Nowhere."}]}, "bugs[0].line"),
    ("code_review", "quality at the top", {**REVIEW, "quality": 5}, None),
    ("code_review", "quality above the scale", {**REVIEW, "quality": 6}, "quality"),
    ("code_review", "no verdict", {"bugs": [], "quality": 3}, "verdict"),
]


@pytest.mark.parametrize("kind, case, answer, field", CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_submit_service_stores_valid_answers_exactly_and_refuses_invalid_ones_by_field(kind, case, answer, field):
    assignment, trainer = held(kind)
    if field is None:
        done = services.submit(assignment.id, trainer, answer)
        db.session.commit()
        assert done.status in ("submitted", "approved")
        assert db.session.get(Assignment, assignment.id).answer == answer
    else:
        with pytest.raises(ValidationFailed) as refused:
            services.submit(assignment.id, trainer, answer)
        db.session.rollback()
        assert field in refused.value.errors, refused.value.errors
        stored = db.session.get(Assignment, assignment.id)
        assert (stored.status, stored.answer) == ("reserved", None)


RANKED_CASES = [
    ("ranking agrees with the preference", {"preferred": "b", "strength": "clearly", "reason": "Best one.",
                                            "ranking": ["c", "b", "d", "a"]}, None),
    ("ranking missing", {"preferred": "a", "strength": "clearly", "reason": "Best one."}, "ranking"),
    ("ranking leaves one out", {"preferred": "a", "strength": "clearly", "reason": "Best one.",
                                "ranking": ["a", "b", "c"]}, "ranking"),
    ("preference disagrees with the ranking", {"preferred": "a", "strength": "clearly", "reason": "Best one.",
                                               "ranking": ["b", "a", "c", "d"]}, "preferred"),
    ("tie while ranking", {"preferred": "tie", "reason": "Best one.", "ranking": ["b", "a", "c", "d"]}, "preferred"),
]


@pytest.mark.parametrize("case, answer, field", RANKED_CASES, ids=[c[0] for c in RANKED_CASES])
def test_a_task_with_more_responses_is_ranked_and_the_preference_follows_the_ranking(case, answer, field):
    assignment, trainer = held("pairwise_preference", payload=RANKED)
    if field is None:
        services.submit(assignment.id, trainer, answer)
        db.session.commit()
        assert db.session.get(Assignment, assignment.id).answer == answer
    else:
        with pytest.raises(ValidationFailed) as refused:
            services.submit(assignment.id, trainer, answer)
        assert field in refused.value.errors


def test_ties_are_refused_when_the_job_does_not_allow_them():
    assignment, trainer = held("pairwise_preference", config={"allow_tie": False})
    with pytest.raises(ValidationFailed) as refused:
        services.submit(assignment.id, trainer, {"preferred": "tie", "reason": "Both are fine answers."})
    assert "must be one of: a, b" in refused.value.errors["preferred"]


def test_rating_comments_required_by_the_job(db):
    config = {"rubric": [{"name": "Helpfulness", "scale_max": 5}], "comments_required": True}
    assignment, trainer = held("rating", config=config)
    with pytest.raises(ValidationFailed) as refused:
        services.submit(assignment.id, trainer, {"scores": {"Helpfulness": 3}})
    assert refused.value.errors == {"comments": "are required for this job"}


# --- through the worker API -------------------------------------------------------------------------------------

API_CASES = [(kind, answer, field) for kind, _case, answer, field in CASES
             if _case in ("one box", "one box too many", "shortest allowed", "one character short", "A much better",
                          "B without strength", "every scale and the required comment", "above the scale",
                          "incorrect with its bug", "bug past the end")]


@pytest.mark.parametrize("kind, answer, field", API_CASES, ids=[f"{c[0]}-{'ok' if c[2] is None else c[2]}" for c in API_CASES])
def test_the_worker_api_applies_the_same_schema(client, kind, answer, field):
    assignment, trainer = held(kind)
    response = Api(client, trainer).post(f"/api/v1/work/assignments/{assignment.id}/submit", json={"answer": answer})
    if field is None:
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["assignment"]["answer"] == answer
    else:
        assert response.status_code == 422
        error = response.get_json()["error"]
        assert error["code"] == "validation_failed" and field in error["details"]
        assert db.session.get(Assignment, assignment.id).answer is None


# --- through the work page's form -------------------------------------------------------------------------------

def post_form(client, assignment, data):
    return client.post(f"/work/tasks/{assignment.id}/submit", data={**data, "then": "stop"})


def stored(assignment):
    db.session.expire_all()
    return db.session.get(Assignment, assignment.id).answer


def test_box_fields_become_boxes_in_image_pixels(client, login):
    assignment, trainer = held("bounding_boxes")
    login(trainer)
    response = post_form(client, assignment, {
        "box_label": ["person", "car", ""], "box_x": ["10", "0", ""], "box_y": ["20", "100.5", ""],
        "box_w": ["30", "199", ""], "box_h": ["40", "49", ""], "current_label": "car"})
    assert response.status_code == 302
    assert stored(assignment) == {"boxes": [{"label": "person", "x": 10, "y": 20, "w": 30, "h": 40},
                                            {"label": "car", "x": 0, "y": 100.5, "w": 199, "h": 49}]}


def test_an_empty_image_needs_the_nothing_to_box_tick(client, login):
    assignment, trainer = held("bounding_boxes")
    login(trainer)
    refused = post_form(client, assignment, {"box_label": [""], "box_x": [""]})
    assert refused.status_code == 422 and "Nothing to box" in refused.get_data(as_text=True)
    assert stored(assignment) is None
    assert post_form(client, assignment, {"nothing_to_box": "on"}).status_code == 302
    assert stored(assignment) == {"boxes": []}


def test_a_box_number_that_is_not_a_number_is_named(client, login):
    assignment, trainer = held("bounding_boxes")
    login(trainer)
    response = post_form(client, assignment, {"box_label": ["person"], "box_x": ["ten"], "box_y": ["1"],
                                              "box_w": ["2"], "box_h": ["3"]})
    assert response.status_code == 422
    assert "Box 1 x must be a number" in response.get_data(as_text=True)


def test_writing_form_counts_line_breaks_as_one_character_and_keeps_the_typing_figures(client, login):
    assignment, trainer = held("writing")
    login(trainer)
    response = post_form(client, assignment, {"text": "Ice floats.\r\nIt is less dense.", "typed_chars": "30",
                                              "pasted_chars": "0", "pastes": "0"})
    assert response.status_code == 302
    assert stored(assignment) == {"text": "Ice floats.\nIt is less dense.",
                                  "input_stats": {"typed_chars": 30, "pasted_chars": 0, "pastes": 0}}


def test_writing_without_javascript_says_nothing_about_typing(client, login):
    assignment, trainer = held("writing")
    login(trainer)
    post_form(client, assignment, {"text": "Ice floats on water.", "typed_chars": "", "pasted_chars": "",
                                   "pastes": ""})
    assert stored(assignment) == {"text": "Ice floats on water."}


def test_pairwise_form_records_the_order_the_server_showed_not_one_the_page_sends(client, login):
    assignment, trainer = held("pairwise_preference")
    login(trainer)
    response = post_form(client, assignment, {"preferred": "a", "strength": "clearly",
                                              "reason": "Canberra is the capital.", "order": ["z", "y"]})
    assert response.status_code == 302
    order = response_order(assignment.task_id, trainer.id, assignment.task.payload)
    assert stored(assignment) == {"preferred": "a", "strength": "clearly", "reason": "Canberra is the capital.",
                                  "order": order}


def test_pairwise_tie_drops_a_strength_left_checked(client, login):
    assignment, trainer = held("pairwise_preference")
    login(trainer)
    post_form(client, assignment, {"preferred": "tie", "strength": "much", "reason": "Both are right."})
    assert "strength" not in stored(assignment)


def test_ranking_form_reads_the_order_and_derives_the_preference(client, login):
    assignment, trainer = held("pairwise_preference", payload=RANKED)
    login(trainer)
    response = post_form(client, assignment, {"ranking": ["d", "b", "a", "c"], "strength": "slightly",
                                              "reason": "D is the best haiku."})
    assert response.status_code == 302
    answer = stored(assignment)
    assert (answer["ranking"], answer["preferred"], answer["strength"]) == (["d", "b", "a", "c"], "b", "slightly")
    assert sorted(answer["order"]) == ["a", "b", "c", "d"]


def test_the_order_is_shuffled_per_trainer_and_stable_per_trainer():
    payload = {**RANKED, "more_responses": ["C", "D", "E", "F", "G", "H"]}
    orders = {tuple(response_order(7, worker, payload)) for worker in range(1, 30)}
    assert len(orders) > 10  # different trainers see different orders
    assert response_order(7, 3, payload) == response_order(7, 3, payload)


def test_rating_form_reads_scores_and_per_scale_comments(client, login):
    assignment, trainer = held("rating")
    login(trainer)
    response = post_form(client, assignment, {"score-0": "2", "score-1": "3", "scale-comment-0": " Unsafe advice. ",
                                              "scale-comment-1": "", "comments": "Never ask for passwords."})
    assert response.status_code == 302
    assert stored(assignment) == {"scores": {"Helpfulness": 2, "Tone": 3},
                                  "scale_comments": {"Helpfulness": "Unsafe advice."},
                                  "comments": "Never ask for passwords."}


def test_rating_form_missing_a_required_comment_shows_the_page_again_with_the_scores_kept(client, login):
    assignment, trainer = held("rating")
    login(trainer)
    response = post_form(client, assignment, {"score-0": "2", "score-1": "3"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Comment on helpfulness is required for this scale" in page
    assert 'name="score-0" value="2"\n            checked' in page or 'value="2"\n            checked' in page


def test_code_review_form_reads_bug_rows_and_skips_empty_ones(client, login):
    assignment, trainer = held("code_review")
    login(trainer)
    response = post_form(client, assignment, {"verdict": "incorrect", "bug_line": ["2", "", ""],
                                              "bug_description": ["Skips the first element.", "", ""],
                                              "quality": "2", "comments": ""})
    assert response.status_code == 302
    assert stored(assignment) == REVIEW


def test_code_review_form_says_which_bug_line_is_not_a_number(client, login):
    assignment, trainer = held("code_review")
    login(trainer)
    response = post_form(client, assignment, {"verdict": "incorrect", "bug_line": ["two"],
                                              "bug_description": ["Skips."], "quality": "2"})
    assert response.status_code == 422
    assert "Bug 1 line must be a line number" in response.get_data(as_text=True)
