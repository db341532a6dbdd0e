"""What every fuzz target shares: a contract's checks (`require`, `within`), the error that
says one broke (`ContractError`, whose `rule` names what broke: the same rule for the same
bug, whatever the input, so that the runner can tell distinct bugs apart), `checked` (any
other exception escaping the code under test is itself a broken contract, and says where it
came from), and `Target`, what `python -m tests.fuzz` runs."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from tests._timing import LOADED_MARGIN
from tests.fuzz.strategies import short

Check = Callable[[Any], None]
"""A target's check of one input: returns, or raises ContractError."""

WATCHDOG = False
"""Interrupt an input that runs past its bound (SIGALRM, main thread only). `python -m
tests.fuzz` turns it on; pytest leaves it off (pytest-timeout uses the same signal)."""


class ContractError(AssertionError):
    """A target broke its contract; `rule` says which part (the same for the same bug)."""

    def __init__(self, rule: str, detail: str = "") -> None:
        super().__init__(f"{rule}: {detail}" if detail else rule)
        self.rule = rule


class Hung(Exception):
    """Raised by the watchdog in an input that runs past its bound."""


def require(ok: bool, rule: str, detail: str = "") -> None:
    if not ok:
        raise ContractError(rule, detail)


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Hung("the input ran past its bound (interrupted by the watchdog)")


@contextlib.contextmanager
def within(seconds: float, what: str) -> Iterator[None]:
    """Fail when the block takes longer than `seconds` (plus a loaded machine's margin);
    with WATCHDOG on, interrupt it well past that instead of waiting for it forever."""
    armed = WATCHDOG and threading.current_thread() is threading.main_thread()
    if armed:
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, 2 * (seconds + LOADED_MARGIN))
    started = time.monotonic()
    try:
        yield
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    elapsed = time.monotonic() - started
    require(
        elapsed <= seconds + LOADED_MARGIN,
        f"{what} is slow",
        f"{elapsed:.2f} s for one input (bound {seconds} s + {LOADED_MARGIN} s margin)",
    )


def where(error: BaseException) -> str:
    """The innermost frame of Widgetbox's own code the exception passed through."""
    frames = list(traceback.extract_tb(error.__traceback__))
    ours = [f for f in frames if "/runtime/" in f.filename or "/host/" in f.filename]
    if not (ours or frames):
        return "?"
    last = (ours or frames)[-1]
    return f"{Path(last.filename).parent.name}/{Path(last.filename).name}:{last.lineno}"


@dataclass(frozen=True)
class Target:
    name: str
    contract: str
    session: Callable[[], contextlib.AbstractContextManager[Check]]
    """Sets up what the checks need (servers, databases, a runtime) and yields the check."""
    strategy: Any
    """The hypothesis strategy of its inputs."""
    weight: float
    """Its share of `just fuzz`'s time budget."""
    chunk: int
    """Examples per hypothesis run in `just fuzz` (each run with its own seed)."""
    shrink: bool = True
    """Whether hypothesis shrinks a failure (each try of a batch end to end runs a guest; its
    failure names the frame, which the door target can then shrink on its own)."""


def checked(check: Check) -> Check:
    """`check`, with any exception other than ContractError turned into one that says what
    escaped and from where, and the input noted (cut short) on the error."""

    def run(case: Any) -> None:
        try:
            try:
                check(case)
            except ContractError:
                raise
            except Exception as e:
                rule = f"{type(e).__name__} escaped from {where(e)}"
                raise ContractError(rule, str(e)[:300]) from e
        except ContractError as e:
            e.add_note(f"the input: {short(case, 3000)}")
            raise

    return run
