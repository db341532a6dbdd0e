"""Wall-clock bounds in tests.

A test asserts time only where the bound is the guarantee itself (a run ends by its
deadline, a cancel stops a run rather than its time limit), and then with room for a loaded
machine: the whole suite shares two cores with browsers, servers and sandboxes, and a bound
like "a 5 s deadline ends under 4 s" once failed there. How fast things are is measured in
the benchmarks (`just bench`), never asserted here.
"""

from __future__ import annotations

LOADED_MARGIN = 5.0
"""Seconds a busy machine may add to any guarantee a test checks."""


def by_deadline(elapsed: float, deadline: float) -> bool:
    """Whether something that must end at `deadline` seconds ended by then (with the margin),
    and not before it."""
    return deadline <= elapsed <= deadline + LOADED_MARGIN


def within(elapsed: float, bound: float) -> bool:
    """Whether something that must take at most `bound` seconds did (with the margin)."""
    return elapsed <= bound + LOADED_MARGIN
