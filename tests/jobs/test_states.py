"""Job states: draft -> published <-> paused -> closed; every illegal move says what to do instead."""
import pytest

from marketplace.jobs import states
from marketplace.jobs.states import IllegalTransition, allowed_actions, check_edit, next_status

LEGAL = {("draft", "publish"): "published", ("published", "pause"): "paused", ("paused", "resume"): "published",
         ("draft", "close"): "closed", ("published", "close"): "closed", ("paused", "close"): "closed"}


@pytest.mark.parametrize("status", states.STATUSES)
@pytest.mark.parametrize("action", states.ACTIONS)
def test_every_state_and_action_is_either_a_legal_move_or_a_clear_refusal(status, action):
    if (status, action) in LEGAL:
        assert next_status(status, action) == LEGAL[(status, action)]
    else:
        with pytest.raises(IllegalTransition) as caught:
            next_status(status, action)
        assert caught.value.status == 409 and len(caught.value.message) > 15


def test_a_closed_job_never_reopens():
    for action in ("publish", "resume"):
        with pytest.raises(IllegalTransition, match="cannot be"):
            next_status("closed", action)
    assert allowed_actions("closed") == []


def test_allowed_actions_match_the_buttons_a_requester_sees():
    assert allowed_actions("draft") == ["publish", "close"]
    assert allowed_actions("published") == ["pause", "close"]
    assert allowed_actions("paused") == ["resume", "close"]


def test_unknown_state_or_action_is_refused():
    with pytest.raises(IllegalTransition):
        next_status("archived", "publish")
    with pytest.raises(IllegalTransition, match="Unknown action"):
        next_status("draft", "delete")


def test_published_job_keeps_its_kind_configuration_and_overlap():
    for field in ("kind", "config", "answers_per_task"):
        with pytest.raises(IllegalTransition, match="cannot change"):
            check_edit("published", {field: "x"}, current_rate_cents=2000)
    check_edit("draft", {"kind": "writing"}, current_rate_cents=2000)


def test_published_rate_can_rise_but_never_fall():
    check_edit("paused", {"hourly_rate_cents": 2500}, current_rate_cents=2000)
    with pytest.raises(IllegalTransition, match="never down"):
        check_edit("published", {"hourly_rate_cents": 1900}, current_rate_cents=2000)


def test_closed_job_cannot_be_edited():
    with pytest.raises(IllegalTransition, match="closed job cannot be edited"):
        check_edit("closed", {"title": "x"}, current_rate_cents=2000)
