"""Admission to the sandbox: how many runs execute at once, who waits, who is refused.

Two lanes share the machine:

- Batch (scripts and scheduled tasks): at most `workers` execute at once (default: one per
  core), and one user at most `per_user` of them; the rest wait, taken round-robin by user
  (`fair.py`): a whole class pressing Run at once, or one person's burst of tasks, makes
  nobody wait behind another's runs.
- Interactive (HTTP API requests, GUI server calls): someone is waiting for the answer, so
  they have `workers` slots of their own, on top: busy scripts never hold up an API, and a
  burst of API calls never starves scripts. A request waits for a slot only when its
  expected wait is at most `MAX_EXPECTED_WAIT`; otherwise it is refused at once (503 with
  `Retry-After`), so under overload the excess is turned away in milliseconds instead of
  queueing until it times out. The expected wait is the number of requests ahead of it plus
  one, times the lane's service time (a moving average of how long recent requests held
  their slot, or longer while every slot is held by runs older than that), divided by the
  slots. A request that was let wait is refused after `INTERACTIVE_WAIT` after all, which
  happens only when the runs holding the slots take far longer than recent ones did.

At most `queue_size` runs wait in each lane; beyond that, new work is refused at once (503
with `Retry-After`) rather than piling up. One user may keep at most `PER_USER_WAITING`
scripts waiting (429).

The queue only decides when a run may start; the sandbox work itself runs on the runtime's
threads, so waiting and running never block the event loop, page serving or database writes.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from enum import IntEnum
from typing import Protocol

from widgetbox.host.errors import Busy, TooMany
from widgetbox.host.runs.fair import FairQueue

MAX_EXPECTED_WAIT = 1.0
"""Seconds an interactive request may expect to wait for a slot; beyond it, refused at once."""
INTERACTIVE_WAIT = 10.0
"""Seconds an interactive request that was let wait waits at most."""
SERVICE_WEIGHT = 0.2
"""The weight of the latest request in the moving average of the interactive service time."""
PER_USER_WAITING = 20
RETRY_AFTER = 5


class Lane(IntEnum):
    INTERACTIVE = 0
    """HTTP API requests and GUI server calls: someone is waiting for the answer."""
    BATCH = 1
    """Scripts and scheduled tasks."""


QUEUE_FULL = (Busy, TooMany)
"""What refusing new work raises: `TooMany` when it is this user's doing (too many scripts
waiting), `Busy` when it is the server's (slots and queue full); both say when to retry."""


class _Waiting(Protocol):
    """A lane's waiting tickets: the interactive lane's a list (in order of arrival), the
    batch lane's a `FairQueue` (by user, in turns)."""

    def __len__(self) -> int: ...
    def append(self, ticket: Ticket, /) -> None: ...
    def remove(self, ticket: Ticket, /) -> None: ...


class Ticket:
    """A run's place: in the queue, then in a slot. Taken at once by `RunQueue.reserve`, so
    whoever is told "accepted" keeps their place; waited for and given back by `hold`."""

    def __init__(self, lane: Lane, user_id: int, granted: asyncio.Future[None]) -> None:
        self.lane = lane
        self.user_id = user_id
        self.granted = granted
        self.given_back = False
        self.started = 0.0
        """When it got its slot (by the queue's clock)."""


class RunQueue:
    def __init__(
        self,
        workers: int,
        per_user: int,
        queue_size: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.workers = workers
        self.per_user = per_user
        self.queue_size = queue_size
        self._running = {Lane.INTERACTIVE: 0, Lane.BATCH: 0}
        self._running_by_user: dict[int, int] = {}
        self._interactive: list[Ticket] = []
        self._batch: FairQueue[Ticket] = FairQueue()
        self._waiting: dict[Lane, _Waiting] = {
            Lane.INTERACTIVE: self._interactive,
            Lane.BATCH: self._batch,
        }
        self._serving: set[Ticket] = set()
        """The interactive tickets holding a slot."""
        self.service_time = 0.0
        """Moving average of the seconds interactive runs held their slot (0: none yet)."""
        self.refused = {Lane.INTERACTIVE: 0, Lane.BATCH: 0}
        """Runs refused so far (Busy, TooMany), by lane: for the metrics."""
        self._clock = clock

    @property
    def capacity(self) -> int:
        """Runs that may execute at once across both lanes (the runtime's worker threads)."""
        return 2 * self.workers

    @property
    def running(self) -> int:
        return sum(self._running.values())

    @property
    def waiting(self) -> int:
        return sum(len(tickets) for tickets in self._waiting.values())

    def running_in(self, lane: Lane) -> int:
        return self._running[lane]

    def waiting_in(self, lane: Lane) -> int:
        return len(self._waiting[lane])

    def set_limits(self, per_user: int, queue_size: int) -> None:
        """Change the per-user and queue limits while the server runs (an admin's site-wide
        limits, `admin/limits.py`): waiting scripts a higher per-user limit lets start, start
        now; a lower one only holds back the next runs, never stops running ones."""
        self.per_user, self.queue_size = per_user, queue_size
        self._dispatch(Lane.BATCH)

    def expected_wait(self) -> float:
        """Seconds a new interactive request would wait for a slot, as far as can be told:
        the requests ahead of it and itself, each taking the service time on one of the
        `workers` slots. While every slot is held by a run older than the average, that
        age is the better guess of the service time."""
        now = self._clock()
        youngest = min((now - ticket.started for ticket in self._serving), default=0.0)
        service = max(self.service_time, youngest)
        return (len(self._interactive) + 1) * service / self.workers

    def reserve(self, user_id: int, lane: Lane) -> Ticket:
        """Take a place for a new run at once, or raise Busy or TooMany (before anything is
        recorded, so a refused run leaves no trace). Every ticket must be held or given
        back."""
        try:
            return self._reserve(user_id, lane)
        except QUEUE_FULL:
            self.refused[lane] += 1
            raise

    def _reserve(self, user_id: int, lane: Lane) -> Ticket:
        ticket = Ticket(lane, user_id, asyncio.get_running_loop().create_future())
        # Whoever waits cannot start yet (every release dispatches the waiters), so a run
        # that may start now takes a free slot at once: one user's scripts held back by the
        # per-user limit do not hold up other users' runs while workers are idle.
        if self._may_start(user_id, lane):
            self._start(ticket)
            return ticket
        busy = self._busy(lane)
        if busy is not None:
            raise busy
        mine = self._batch.count(user_id)
        if lane is Lane.BATCH and mine >= PER_USER_WAITING:
            raise TooMany(
                "too_many_runs",
                f"You have {mine} runs waiting already; wait for them to finish.",
                retry_after=RETRY_AFTER * 2,
            )
        self._waiting[lane].append(ticket)
        return ticket

    def _busy(self, lane: Lane) -> Busy | None:
        """Why a run of `lane` that cannot start at once is refused, if it is: the lane's
        queue is full, or (interactive) it would wait too long."""
        if len(self._waiting[lane]) >= self.queue_size:
            return Busy(
                "busy",
                "Widgetbox is busy: too many runs are waiting. Try again soon.",
                retry_after=RETRY_AFTER,
            )
        if lane is Lane.INTERACTIVE and (expected := self.expected_wait()) > MAX_EXPECTED_WAIT:
            return Busy(
                "busy",
                "Widgetbox is busy: the request would wait too long for a free slot.",
                retry_after=min(RETRY_AFTER, math.ceil(expected)),
            )
        return None

    def refusing(self) -> Busy | None:
        """The refusal a new interactive request would meet now (counted as one), or None:
        so the web layer can turn the excess away before doing any of its work (see
        `endpoints/early.py`). Whatever this says, `reserve` decides for a request let in."""
        if self._may_start(0, Lane.INTERACTIVE):
            return None
        busy = self._busy(Lane.INTERACTIVE)
        if busy is not None:
            self.refused[Lane.INTERACTIVE] += 1
        return busy

    @asynccontextmanager
    async def hold(self, ticket: Ticket) -> AsyncIterator[None]:
        """Wait for the ticket's slot and hold it for the duration of the `async with` block;
        however the block is left (cancelled, timed out), the place is given back."""
        try:
            if ticket.granted.done() and not ticket.granted.cancelled():
                pass  # granted as it was reserved (the usual case): no timer to set
            elif ticket.lane is Lane.INTERACTIVE:
                try:
                    async with asyncio.timeout(INTERACTIVE_WAIT):
                        await asyncio.shield(ticket.granted)
                except TimeoutError:
                    self.refused[ticket.lane] += 1
                    raise Busy(
                        "busy",
                        "Widgetbox is busy: the request waited too long for a free slot.",
                        retry_after=RETRY_AFTER,
                    ) from None
            else:
                # shielded: only dispatch decides the future, so give_back can tell a
                # granted slot from a place in the queue
                await asyncio.shield(ticket.granted)
            yield
        finally:
            self.give_back(ticket)

    @asynccontextmanager
    async def slot(self, user_id: int, lane: Lane) -> AsyncIterator[None]:
        """Reserve and hold a slot in one step (for callers that wait for their answer)."""
        async with self.hold(self.reserve(user_id, lane)):
            yield

    def give_back(self, ticket: Ticket) -> None:
        """Free the ticket's slot, or its place in the queue. Safe to call more than once."""
        if ticket.given_back:
            return
        ticket.given_back = True
        if ticket.granted.done():
            self._release(ticket)
        else:
            ticket.granted.cancel()
            self._waiting[ticket.lane].remove(ticket)
            if ticket.lane is Lane.BATCH:
                running = ticket.user_id in self._running_by_user
                self._batch.ended(ticket.user_id, still_running=running)

    def _may_start(self, user_id: int, lane: Lane) -> bool:
        if self._running[lane] >= self.workers:
            return False
        return lane is Lane.INTERACTIVE or self._running_by_user.get(user_id, 0) < self.per_user

    def _start(self, ticket: Ticket) -> None:
        self._running[ticket.lane] += 1
        ticket.started = self._clock()
        if ticket.lane is Lane.INTERACTIVE:
            self._serving.add(ticket)
        else:
            user_id = ticket.user_id
            self._running_by_user[user_id] = self._running_by_user.get(user_id, 0) + 1
            self._batch.started(user_id)
        ticket.granted.set_result(None)

    def _release(self, ticket: Ticket) -> None:
        lane = ticket.lane
        self._running[lane] -= 1
        if lane is Lane.INTERACTIVE:
            self._serving.discard(ticket)
            held = self._clock() - ticket.started
            average = self.service_time
            self.service_time = held if not average else average + SERVICE_WEIGHT * (held - average)
        else:
            left = self._running_by_user[ticket.user_id] - 1
            if left:
                self._running_by_user[ticket.user_id] = left
            else:
                del self._running_by_user[ticket.user_id]
            self._batch.ended(ticket.user_id, still_running=left > 0)
        self._dispatch(lane)

    def _dispatch(self, lane: Lane) -> None:
        """Start waiters of `lane` while there are free slots: the interactive lane's in
        order of arrival, the batch lane's by user in turns (`FairQueue.take`)."""
        if lane is Lane.INTERACTIVE:
            while self._interactive and self._running[lane] < self.workers:
                self._start(self._interactive.pop(0))
            return
        while self._running[lane] < self.workers:
            ticket = self._batch.take(lambda user_id: self._may_start(user_id, lane))
            if ticket is None:
                return
            self._start(ticket)
