"""The batch lane's waiting runs, taken round-robin by user: when a whole class presses Run
at once, or one person launches a burst of tasks, each user's next run takes its turn after
every other waiting user's, so no one waits behind someone else's burst.

Turns go by when a user last had a run start (in either way: at once on arrival, or from
this queue): the waiting user who started one longest ago goes next, a user with nothing
started yet before anyone who has. Within one user, runs go in the order they came. A user
who has nothing running or waiting is forgotten, so coming back after a pause is a fresh
first turn, never a debt.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterator
from typing import Generic, Protocol, TypeVar


class Waiter(Protocol):
    @property
    def user_id(self) -> int: ...


T = TypeVar("T", bound=Waiter)


class FairQueue(Generic[T]):
    def __init__(self) -> None:
        self._by_user: dict[int, deque[T]] = {}
        """Each waiting user's runs, in the order they came (no empty deques)."""
        self._arrived: dict[int, int] = {}
        """When each waiting user's first waiting run came (ties among first turns)."""
        self._turn: dict[int, int] = {}
        """When each user last had a run start (users with runs running or waiting)."""
        self._clock = itertools.count(1)
        self._length = 0

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[T]:
        for waiting in self._by_user.values():
            yield from waiting

    def count(self, user_id: int) -> int:
        return len(self._by_user.get(user_id, ()))

    def append(self, item: T) -> None:
        user_id = item.user_id
        if user_id not in self._by_user:
            self._by_user[user_id] = deque()
            self._arrived[user_id] = next(self._clock)
        self._by_user[user_id].append(item)
        self._length += 1

    def remove(self, item: T) -> None:
        """Take a waiting item out (its run was cancelled); ValueError when not waiting."""
        waiting = self._by_user.get(item.user_id)
        if waiting is None:
            raise ValueError("not waiting")
        waiting.remove(item)
        self._length -= 1
        if not waiting:
            self._drop(item.user_id)

    def started(self, user_id: int) -> None:
        """A run of `user_id` started: their next turn comes after everyone else's."""
        self._turn[user_id] = next(self._clock)

    def ended(self, user_id: int, still_running: bool) -> None:
        """A run of `user_id` ended; with nothing else running or waiting, forget them."""
        if not still_running and user_id not in self._by_user:
            self._turn.pop(user_id, None)

    def take(self, may_start: Callable[[int], bool]) -> T | None:
        """The next waiting run by turn among the users `may_start` lets start, taken out
        of the queue (None when there is none)."""
        best: tuple[int, int, int] | None = None
        for user_id in self._by_user:
            key = (self._turn.get(user_id, 0), self._arrived[user_id], user_id)
            if (best is None or key < best) and may_start(user_id):
                best = key
        if best is None:
            return None
        user_id = best[2]
        waiting = self._by_user[user_id]
        item = waiting.popleft()
        self._length -= 1
        if not waiting:
            self._drop(user_id)
        return item

    def _drop(self, user_id: int) -> None:
        del self._by_user[user_id]
        del self._arrived[user_id]
