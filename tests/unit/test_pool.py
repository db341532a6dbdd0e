"""The pool of started guests, with stand-in guests: common guests are kept ready, a spare
is kept for each recently used packages folder, spent guests are closed off the caller's
path."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from widgetbox.runtime._pool import MAX_PACKAGE_SETS, Pool

pytestmark = pytest.mark.unit


class FakeGuest:
    def __init__(self, packages: Path | None) -> None:
        self.packages = packages
        self.closed = threading.Event()

    def close(self) -> None:
        self.closed.set()


class Maker:
    """Makes stand-in guests and remembers each, with the thread that made it."""

    def __init__(self) -> None:
        self.made: list[tuple[FakeGuest, str]] = []
        self._lock = threading.Lock()

    def __call__(self, packages: Path | None) -> Any:
        guest = FakeGuest(packages)
        with self._lock:
            self.made.append((guest, threading.current_thread().name))
        return guest

    def started_for(self, packages: Path | None) -> list[FakeGuest]:
        with self._lock:
            return [guest for guest, _ in self.made if guest.packages == packages]


def wait_until(condition: Any, timeout: float = 5.0) -> None:
    done = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("the pool did not get there in time")


def test_common_guests_are_started_ahead_and_handed_out() -> None:
    maker = Maker()
    pool = Pool(maker, 2)
    try:
        assert pool.wait_ready(5)
        guest = pool.take()
        assert guest.packages is None
        assert guest in [g for g, thread in maker.made if thread == "widgetbox-pool"]
        pool.retire(guest)
        wait_until(guest.closed.is_set)  # closed by the pool's thread
        wait_until(lambda: pool.ready == 2)  # and replaced
    finally:
        pool.close()


def test_a_packages_folder_gets_a_spare_after_its_first_run() -> None:
    maker = Maker()
    pool = Pool(maker, 1)
    env = Path("/data/packages/abc")
    try:
        pool.wait_ready(5)
        first = pool.take(packages=env)
        assert first.packages == env
        assert maker.made[-1] == (first, threading.current_thread().name)  # on the spot
        assert pool.wait_ready(5)  # "ready" includes the spare
        assert len(maker.started_for(env)) == 2  # then a spare, ahead
        spare = maker.started_for(env)[1]
        assert pool.take(packages=env) is spare
        wait_until(lambda: len(maker.started_for(env)) == 3)  # and the next spare
        assert pool.take().packages is None  # common guests never carry packages
    finally:
        pool.close()
    assert all(guest.closed.is_set() for guest, _ in maker.made[3:] if guest is not spare)


def test_only_the_most_recently_used_folders_keep_a_spare() -> None:
    maker = Maker()
    pool = Pool(maker, 1)
    folders = [Path(f"/data/packages/{n}") for n in range(MAX_PACKAGE_SETS + 1)]
    try:
        for folder in folders:
            pool.take(packages=folder)
            wait_until(lambda folder=folder: len(maker.started_for(folder)) == 2)
        oldest_spare = maker.started_for(folders[0])[1]
        wait_until(oldest_spare.closed.is_set)  # dropped for the newest folder
        for folder in folders[1:]:
            assert not maker.started_for(folder)[1].closed.is_set()
        taken = pool.take(packages=folders[0])
        assert taken is not oldest_spare  # started on the spot again
    finally:
        pool.close()


def test_a_folder_that_cannot_be_mounted_is_forgotten() -> None:
    gone = Path("/data/packages/gone")

    def make(packages: Path | None) -> Any:
        if packages == gone and len(attempts) >= 1:
            raise FileNotFoundError(packages)
        if packages == gone:
            attempts.append(packages)
        return FakeGuest(packages)

    attempts: list[Path] = []
    pool = Pool(make, 1)
    try:
        pool.take(packages=gone)  # works once; the spare's start then fails
        wait_until(lambda: gone not in pool._spares)
    finally:
        pool.close()


def test_without_a_pool_every_guest_starts_on_the_spot() -> None:
    maker = Maker()
    pool = Pool(maker, 0)
    env = Path("/data/packages/abc")
    guest = pool.take(packages=env)
    pool.retire(guest)
    assert guest.closed.is_set()
    assert len(maker.made) == 1
    pool.close()


def test_a_spare_of_a_folder_made_again_is_not_used(tmp_path: Path) -> None:
    """A folder collected and installed again under the same name is a new folder: the
    spare that mounted the old one is closed, not handed out."""
    maker = Maker()
    pool = Pool(maker, 1)
    env = tmp_path / "env"
    env.mkdir()
    try:
        pool.take(packages=env)
        assert pool.wait_ready(5)
        stale = maker.started_for(env)[1]
        env.rmdir()
        (tmp_path / "other").mkdir()
        (tmp_path / "other").rename(env)  # same path, another folder
        taken = pool.take(packages=env)
        assert taken is not stale
        assert maker.made[-1] == (taken, threading.current_thread().name)
        wait_until(stale.closed.is_set)
    finally:
        pool.close()
