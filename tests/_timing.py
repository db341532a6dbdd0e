"""Wall-clock bounds in tests.

A test asserts time only where the bound is the guarantee itself (a run ends by its
deadline, a cancel stops a run rather than its time limit), and then with room for a loaded
machine: the whole suite shares two cores with browsers, servers and sandboxes, and a bound
like "a 5 s deadline ends under 4 s" once failed there. How fast things are is measured in
the benchmarks (`just bench`), never asserted here.

How work grows with its input (linear, not quadratic; bounded whatever the size) is a
guarantee too, and is checked as a ratio: `growth` times a small and a large input in this
thread's CPU time, which a busy machine does not inflate.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable

LOADED_MARGIN = 5.0
"""Seconds a busy machine may add to any guarantee a test checks."""


def by_deadline(elapsed: float, deadline: float) -> bool:
    """Whether something that must end at `deadline` seconds ended by then (with the margin),
    and not before it."""
    return deadline <= elapsed <= deadline + LOADED_MARGIN


def within(elapsed: float, bound: float) -> bool:
    """Whether something that must take at most `bound` seconds did (with the margin)."""
    return elapsed <= bound + LOADED_MARGIN


GROWTH = 8
"""How many times larger the large input of a complexity check is than the small one."""


def growth(small: Callable[[], object], large: Callable[[], object], repeat: int = 5) -> float:
    """How many times longer `large()` takes than `small()`: the best of `repeat` timings of
    each, taken in turns, in this thread's CPU time with the garbage collector paused (a
    collection would walk whatever else the test holds). Time other processes take from
    this one counts in neither, so the ratio tells how the work grows, not how busy the
    machine is."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        best_small = best_large = math.inf
        for _ in range(repeat):
            best_small = min(best_small, _cpu_seconds(small))
            best_large = min(best_large, _cpu_seconds(large))
    finally:
        if collecting:
            gc.enable()
    return best_large / max(best_small, 1e-6)


def grows_linearly(ratio: float, factor: float = GROWTH) -> bool:
    """Whether work whose input grew `factor` times, taking `ratio` times as long, is linear
    at most: below the midpoint (on a log scale) between linear (`factor`) and quadratic
    (`factor` squared)."""
    return ratio < factor**1.5


def stays_bounded(ratio: float, factor: float = GROWTH) -> bool:
    """Whether work whose input grew `factor` times, taking `ratio` times as long, did not
    grow with it: below the midpoint (on a log scale) between bounded (1) and linear."""
    return ratio < factor**0.5


def _cpu_seconds(work: Callable[[], object]) -> float:
    started = time.thread_time()
    work()
    return time.thread_time() - started
