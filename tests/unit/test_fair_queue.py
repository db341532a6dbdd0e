"""The batch lane's round-robin by user (`host/runs/fair.py`): turns, order within a user,
users held back by their own limit, removal, and forgetting idle users."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from widgetbox.host.runs.fair import FairQueue

pytestmark = pytest.mark.unit


@dataclass(eq=False)
class Run:
    user_id: int
    name: str


def everyone(user_id: int) -> bool:
    return True


def drain(queue: FairQueue[Run]) -> list[str]:
    """Take every run in the order the queue gives them, each started as it is taken and
    ended at once (as on a one-worker machine)."""
    order = []
    while (run := queue.take(everyone)) is not None:
        queue.started(run.user_id)
        order.append(run.name)
        queue.ended(run.user_id, still_running=False)
    return order


def test_a_burst_and_single_runs_take_turns() -> None:
    queue: FairQueue[Run] = FairQueue()
    for number in range(4):
        queue.append(Run(1, f"a{number}"))
    queue.append(Run(2, "b0"))
    queue.append(Run(3, "c0"))
    queue.append(Run(2, "b1"))
    assert len(queue) == 7
    assert drain(queue) == ["a0", "b0", "c0", "a1", "b1", "a2", "a3"]
    assert len(queue) == 0


def test_a_user_whose_runs_started_on_arrival_goes_after_one_who_has_had_none() -> None:
    queue: FairQueue[Run] = FairQueue()
    queue.started(1)  # two of user 1's runs took free slots at once
    queue.started(1)
    queue.append(Run(1, "a2"))
    queue.append(Run(2, "b0"))  # came later, but has had no turn yet
    assert drain(queue) == ["b0", "a2"]


def test_first_turns_go_in_order_of_arrival() -> None:
    queue: FairQueue[Run] = FairQueue()
    for user in (5, 3, 9):
        queue.append(Run(user, f"u{user}"))
    assert drain(queue) == ["u5", "u3", "u9"]


def test_a_user_held_back_by_their_own_limit_gives_their_turn_to_the_next() -> None:
    queue: FairQueue[Run] = FairQueue()
    queue.append(Run(1, "a0"))
    queue.append(Run(2, "b0"))
    taken = queue.take(lambda user_id: user_id != 1)
    assert taken is not None
    assert taken.name == "b0"
    assert queue.take(lambda user_id: user_id != 1) is None  # only user 1 waits
    taken = queue.take(everyone)
    assert taken is not None
    assert taken.name == "a0"


def test_removed_runs_leave_no_trace() -> None:
    queue: FairQueue[Run] = FairQueue()
    gone = Run(1, "a0")
    queue.append(gone)
    queue.append(Run(1, "a1"))
    queue.append(Run(2, "b0"))
    queue.remove(gone)
    assert queue.count(1) == 1
    assert len(queue) == 2
    queue.remove(next(run for run in queue if run.name == "a1"))
    assert queue.count(1) == 0
    with pytest.raises(ValueError, match="not waiting"):
        queue.remove(gone)
    assert drain(queue) == ["b0"]


def test_a_user_who_went_idle_is_forgotten_and_one_still_running_is_not() -> None:
    queue: FairQueue[Run] = FairQueue()
    queue.started(1)
    queue.started(2)
    queue.ended(1, still_running=False)  # user 1 is idle: forgotten
    queue.ended(2, still_running=True)  # user 2 has another run going: keeps their turn
    queue.append(Run(2, "b"))
    queue.append(Run(1, "a"))
    assert drain(queue) == ["a", "b"]
