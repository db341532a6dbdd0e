"""`Cancel`: setting it tells its subscribers once, at once, from the setting thread."""

from __future__ import annotations

import pytest

from widgetbox.runtime import Cancel

pytestmark = pytest.mark.unit


def test_subscribers_hear_of_a_cancel_once() -> None:
    cancel, heard = Cancel(), []
    cancel.when_set(lambda: heard.append("a"))
    unsubscribe = cancel.when_set(lambda: heard.append("b"))
    unsubscribe()
    cancel.set()
    cancel.set()
    assert heard == ["a"]
    assert cancel.is_set()


def test_a_subscriber_after_the_cancel_hears_at_once() -> None:
    cancel, heard = Cancel(), []
    cancel.set()
    cancel.when_set(lambda: heard.append("late"))()
    assert heard == ["late"]


def test_a_cancel_may_say_why_the_first_time() -> None:
    cancel = Cancel()
    assert cancel.reason == ""
    cancel.set("the caller left")
    cancel.set("something else")
    assert cancel.reason == "the caller left"
