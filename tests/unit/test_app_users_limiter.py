"""Attempts counted per widget and address in a sliding window (`app_users/limiter.py`)."""

from __future__ import annotations

import pytest

from widgetbox.host.app_users.limiter import Attempts

pytestmark = pytest.mark.unit


def test_an_address_waits_once_it_reaches_the_limit() -> None:
    now = [1000.0]
    attempts = Attempts(3, 60.0, clock=lambda: now[0])
    for _ in range(3):
        assert attempts.wait(1, "203.0.113.7") == 0
        attempts.add(1, "203.0.113.7")
    assert attempts.wait(1, "203.0.113.7") == 60.0
    assert attempts.wait(1, "203.0.113.8") == 0  # another address
    assert attempts.wait(2, "203.0.113.7") == 0  # another widget
    now[0] += 30
    assert attempts.wait(1, "203.0.113.7") == 30.0
    now[0] += 31
    assert attempts.wait(1, "203.0.113.7") == 0


def test_runs_without_an_address_are_not_counted() -> None:
    attempts = Attempts(1, 60.0)
    attempts.add(1, None)
    attempts.add(1, "")
    assert attempts.wait(1, None) == 0
