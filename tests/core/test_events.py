"""Domain events run their subscribers in the caller's transaction."""
import pytest

from marketplace.core import events


def test_subscribers_run_in_order_and_exceptions_propagate():
    calls = []

    @events.subscribe("test.happened")
    def first(**payload):
        calls.append(("first", payload["n"]))
        return 1

    @events.subscribe("test.happened")
    def second(**payload):
        calls.append(("second", payload["n"]))
        if payload["n"] < 0:
            raise ValueError("refused")
        return 2

    assert events.emit("test.happened", n=5) == [1, 2]
    assert calls == [("first", 5), ("second", 5)]
    with pytest.raises(ValueError):
        events.emit("test.happened", n=-1)
    assert events.emit("nobody.listens", n=1) == []
