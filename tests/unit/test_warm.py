"""The rules by which a sandbox process keeps and discards persistent-mode guests
(`runtime/_warm.py`), with stand-in guests: the sandbox tier runs them for real."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, cast

import pytest

from widgetbox.runtime import Persistent, Recycle
from widgetbox.runtime._guest import Guest
from widgetbox.runtime._warm import Warm

pytestmark = pytest.mark.unit

FILES = {"main.py": "x = 1\n"}


class FakeGuest:
    def __init__(self) -> None:
        self.runs = 0
        self.reusable = True
        self.memory = 40 << 20

    def memory_size(self) -> int:
        return self.memory


def keep(key: str = "w", version: str = "1", **rules: Any) -> Persistent:
    return Persistent(key, version, Recycle(**rules))


class Harness:
    def __init__(self, limit: int = 8) -> None:
        self.retired: list[FakeGuest] = []
        self.warm = Warm(lambda guest: self.retired.append(cast(FakeGuest, guest)), limit)

    def run(
        self,
        persistent: Persistent,
        files: dict[str, str] = FILES,
        packages: Path | None = None,
        reusable: bool = True,
        grow: int = 0,
    ) -> FakeGuest:
        """One run: the kept guest, or a new one; returns the guest that ran."""
        kept = self.warm.take(persistent, packages, files)
        guest = cast(FakeGuest, kept.guest) if kept.guest is not None else FakeGuest()
        guest.runs += 1
        guest.reusable = reusable
        guest.memory += grow
        self.warm.give_back(kept, cast(Guest, guest))
        return guest


def test_the_same_guest_serves_its_key_and_version() -> None:
    h = Harness()
    first = h.run(keep())
    assert h.run(keep()) is first
    assert h.run(keep("other")) is not first
    assert h.warm.idle == 2
    assert h.retired == []


def test_other_files_or_packages_never_get_a_kept_guest() -> None:
    h = Harness()
    first = h.run(keep())
    assert h.run(keep(), files={"main.py": "x = 2\n"}) is not first
    assert h.retired == [first]  # the old files' guest is discarded
    second = h.run(keep())
    assert second is not first


def test_a_new_version_discards_the_old_ones() -> None:
    h = Harness()
    old = h.run(keep(version="1"))
    new = h.run(keep(version="2"))
    assert new is not old
    assert h.retired == [old]
    assert h.run(keep(version="2")) is new


def test_a_run_that_did_not_end_cleanly_is_not_kept() -> None:
    h = Harness()
    guest = h.run(keep(), reusable=False)
    assert h.retired == [guest]
    assert h.warm.idle == 0


def test_recycled_after_its_runs_and_its_memory_growth() -> None:
    h = Harness()
    guest = h.run(keep(runs=2))
    assert h.run(keep(runs=2)) is guest
    assert h.retired == [guest]
    grown = h.run(keep("m", memory_growth=10 << 20))
    assert h.run(keep("m", memory_growth=10 << 20), grow=8 << 20) is grown
    assert grown not in h.retired
    h.run(keep("m", memory_growth=10 << 20), grow=4 << 20)
    assert grown in h.retired


def test_beyond_the_limit_the_least_recently_used_goes() -> None:
    h = Harness(limit=2)
    a, b = h.run(keep("a")), h.run(keep("b"))
    h.run(keep("a"))  # a is used again: b is now the oldest
    c = h.run(keep("c"))
    assert h.retired == [b]
    assert h.warm.idle == 2
    assert h.run(keep("a")) is a
    assert h.run(keep("c")) is c


def test_idle_guests_are_discarded_after_their_idle_time() -> None:
    h = Harness()
    guest = h.run(keep(idle=0.05))
    deadline = time.monotonic() + 5
    while guest not in h.retired and time.monotonic() < deadline:
        time.sleep(0.01)
    assert h.retired == [guest]
    assert h.warm.idle == 0


def test_a_guest_that_expires_sooner_wakes_the_sweeper_and_a_later_one_waits() -> None:
    """The sweeper waits for the first guest's hour; a guest given back later with a
    shorter idle time is still discarded on time, and giving back a guest that expires
    after the one awaited does not disturb the wait."""
    h = Harness()
    patient = h.run(keep("a", idle=3600))
    time.sleep(0.1)  # the sweeper settles into waiting for the hour
    hasty = h.run(keep("b", idle=0.05))
    h.run(keep("c", idle=7200))
    deadline = time.monotonic() + 5
    while hasty not in h.retired and time.monotonic() < deadline:
        time.sleep(0.01)
    assert h.retired == [hasty]
    assert patient not in h.retired
    assert h.warm.idle == 2


def test_closing_discards_the_idle_and_later_the_running() -> None:
    h = Harness()
    idle = h.run(keep("a"))
    running = h.warm.take(keep("b"), None, FILES)
    h.warm.close()
    assert h.retired == [idle]
    guest = FakeGuest()
    guest.runs = 1
    h.warm.give_back(running, cast(Guest, guest))
    assert h.retired == [idle, guest]
