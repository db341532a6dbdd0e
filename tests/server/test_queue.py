"""Admission to the sandbox (`host.run_queue.RunQueue`): how many runs execute at once, who
waits and in what order, who is refused (a request that would wait too long, at once), and
that no way of leaving the queue leaks a slot; then the same refusals through the app, in
the one error shape with `Retry-After`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import pytest

from tests._timing import LOADED_MARGIN, within
from tests.server._client import Browser, assert_error
from tests.server._runs import Gates, gate, history, script_widget, start_run, wait_for_run
from tests.server.conftest import Server
from widgetbox.host.accounts import users as accounts
from widgetbox.host.runs import admission as run_queue
from widgetbox.host.runs.admission import (
    INTERACTIVE_WAIT,
    QUEUE_FULL,
    RETRY_AFTER,
    Lane,
    RunQueue,
)
from widgetbox.host.web.errors import answer
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.starters import TEMPLATES

pytestmark = pytest.mark.server

BATCH, INTERACTIVE = Lane.BATCH, Lane.INTERACTIVE


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(test(), 10))


class Holder:
    """One piece of work: takes a slot, records when it got it, holds it until released."""

    def __init__(self, queue: RunQueue, user: int, lane: Lane, log: list[str], name: str) -> None:
        self.granted = asyncio.Event()
        self._release = asyncio.Event()
        self.task = asyncio.create_task(self._hold(queue, user, lane, log, name))

    async def _hold(
        self, queue: RunQueue, user: int, lane: Lane, log: list[str], name: str
    ) -> None:
        async with queue.slot(user, lane):
            log.append(name)
            self.granted.set()
            await self._release.wait()

    async def release(self) -> None:
        self._release.set()
        await self.task


async def settle() -> None:
    """Let every task that can run do so."""
    for _ in range(5):
        await asyncio.sleep(0)


class Clock:
    """The queue's clock, moved by the test (times here are exact in binary)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def learn(queue: RunQueue, clock: Clock, held: float) -> None:
    """One request holds its slot for `held` seconds."""
    holder = Holder(queue, 1, INTERACTIVE, [], "learn")
    await settle()
    clock.now += held
    await holder.release()


def test_at_most_workers_scripts_execute_at_once() -> None:
    async def test() -> None:
        queue = RunQueue(workers=2, per_user=10, queue_size=10)
        log: list[str] = []
        holders = [Holder(queue, user, BATCH, log, f"run{user}") for user in range(5)]
        await settle()
        assert log == ["run0", "run1"]
        assert (queue.running, queue.waiting) == (2, 3)
        for done in range(5):
            await holders[done].release()
            await settle()
            assert queue.running == min(2, 4 - done)
        assert log == [f"run{user}" for user in range(5)]  # in order of arrival
        assert (queue.running, queue.waiting) == (0, 0)

    run(test)


def test_one_user_has_at_most_per_user_scripts_running() -> None:
    async def test() -> None:
        queue = RunQueue(workers=4, per_user=1, queue_size=10)
        log: list[str] = []
        first = Holder(queue, 1, BATCH, log, "a1")
        second = Holder(queue, 1, BATCH, log, "a2")
        await settle()
        assert log == ["a1"]  # a2 waits for a1, though workers are free
        # ... and holds up no one else: another user's script and a request start at once
        other = Holder(queue, 2, BATCH, log, "b1")
        request = Holder(queue, 1, INTERACTIVE, log, "a-request")
        await settle()
        assert log == ["a1", "b1", "a-request"]
        assert queue.waiting == 1
        await first.release()
        await settle()
        assert log[-1] == "a2"
        for holder in (second, other, request):
            await holder.release()
        assert (queue.running, queue.waiting) == (0, 0)

    run(test)


def test_one_users_burst_holds_up_another_users_run_for_one_run_at_most() -> None:
    """A whole class pressing Run, or one person's burst: the batch lane takes waiting runs
    round-robin by user, so a single run that comes after a burst starts as soon as any
    slot frees, not after the burst."""

    async def test() -> None:
        queue = RunQueue(workers=2, per_user=2, queue_size=100)
        log: list[str] = []
        burst = [Holder(queue, 1, BATCH, log, f"a{number}") for number in range(10)]
        await settle()
        late = [Holder(queue, user, BATCH, log, f"u{user}") for user in (2, 3)]
        await settle()
        assert log == ["a0", "a1"]
        await burst[0].release()
        await settle()
        assert log[-1] == "u2"  # the first slot to free: the next user's, not a2
        await burst[1].release()
        await settle()
        assert log[-1] == "u3"
        await late[0].release()
        await settle()
        assert log[-1] == "a2"  # then the burst goes on
        for holder in [*burst[2:], late[1]]:
            await settle()
            if not holder.task.done():
                await holder.release()
        assert log[:5] == ["a0", "a1", "u2", "u3", "a2"]
        assert log[5:] == [f"a{number}" for number in range(3, 10)]
        assert (queue.running, queue.waiting) == (0, 0)

    run(test)


def test_a_class_pressing_run_at_once_takes_turns() -> None:
    """Each of 30 students presses Run twice in a row, all at once: after the first
    student's two (which find the slots free), everyone's first run starts before anyone
    else's second."""

    async def test() -> None:
        queue = RunQueue(workers=2, per_user=2, queue_size=100)
        log: list[str] = []
        holders = [
            Holder(queue, student, BATCH, log, f"s{student}.{press}")
            for student in range(30)
            for press in range(2)
        ]
        await settle()
        while len(log) < len(holders):
            running = [h for h in holders if h.granted.is_set() and not h.task.done()]
            await running[0].release()
            await settle()
        assert log[:2] == ["s0.0", "s0.1"]
        assert log[2:31] == [f"s{student}.0" for student in range(1, 30)]
        assert log[31:] == [f"s{student}.1" for student in range(1, 30)]

    run(test)


def test_a_request_goes_before_scripts_queued_earlier() -> None:
    async def test() -> None:
        queue = RunQueue(workers=1, per_user=10, queue_size=10)
        log: list[str] = []
        busy = Holder(queue, 1, BATCH, log, "busy")
        await settle()
        queued = Holder(queue, 2, BATCH, log, "queued script")
        await settle()
        request = Holder(queue, 3, INTERACTIVE, log, "request")
        await settle()
        await busy.release()
        await settle()
        assert log.index("request") < log.index("queued script")
        for holder in (request, queued):
            await holder.release()
        assert (queue.running, queue.waiting) == (0, 0)

    run(test)


def test_a_full_queue_refuses_new_work_at_once() -> None:
    async def test() -> None:
        queue = RunQueue(workers=1, per_user=10, queue_size=2)
        log: list[str] = []
        holders = [Holder(queue, user, BATCH, log, f"run{user}") for user in range(3)]
        await settle()
        assert (queue.running, queue.waiting) == (1, 2)
        with pytest.raises(QUEUE_FULL) as refused:
            queue.reserve(9, BATCH)
        assert (answer(refused.value).status, refused.value.retry_after) == (503, RETRY_AFTER)
        assert "busy" in refused.value.message
        with pytest.raises(QUEUE_FULL) as also:
            async with queue.slot(9, BATCH):
                pytest.fail("a refused run must not start")
        assert answer(also.value).status == 503
        assert (queue.running, queue.waiting) == (1, 2)  # the refusal left nothing behind
        for holder in holders:
            await holder.release()
        assert (queue.running, queue.waiting) == (0, 0)

    run(test)


def test_one_user_may_not_fill_the_queue() -> None:
    async def test() -> None:
        queue = RunQueue(workers=1, per_user=1, queue_size=1000)
        log: list[str] = []
        holders = [
            Holder(queue, 1, BATCH, log, f"run{n}") for n in range(run_queue.PER_USER_WAITING + 1)
        ]
        await settle()
        assert queue.waiting == run_queue.PER_USER_WAITING
        with pytest.raises(QUEUE_FULL) as refused:
            queue.reserve(1, BATCH)
        assert (answer(refused.value).status, refused.value.retry_after) == (429, 2 * RETRY_AFTER)
        others = queue.reserve(2, BATCH)  # another user still may
        async with queue.hold(queue.reserve(1, INTERACTIVE)):  # and so may their API callers
            pass
        queue.give_back(others)
        for holder in holders:
            await holder.release()
        assert (queue.running, queue.waiting) == (0, 0)

    run(test)


def test_a_request_waits_only_so_long(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_queue, "INTERACTIVE_WAIT", 0.05)

    async def test() -> None:
        queue = RunQueue(workers=1, per_user=10, queue_size=10)
        log: list[str] = []
        busy = Holder(queue, 1, INTERACTIVE, log, "busy")  # every slot a request may take
        await settle()
        loop = asyncio.get_running_loop()
        began = loop.time()
        with pytest.raises(QUEUE_FULL) as refused:
            async with queue.slot(2, INTERACTIVE):
                pytest.fail("no slot was free")
        assert loop.time() - began >= 0.05
        assert answer(refused.value).status == 503
        assert refused.value.retry_after == RETRY_AFTER
        assert queue.waiting == 0
        await busy.release()
        assert (queue.running, queue.waiting) == (0, 0)

    run(test)


def test_a_request_waits_only_when_its_expected_wait_is_short() -> None:
    async def test() -> None:
        clock = Clock()
        queue = RunQueue(workers=2, per_user=10, queue_size=100, clock=clock)
        await learn(queue, clock, 0.25)
        await learn(queue, clock, 0.25)
        assert queue.service_time == 0.25  # how long recent requests held their slot
        log: list[str] = []
        busy = [Holder(queue, 1, INTERACTIVE, log, f"busy{n}") for n in range(2)]
        await settle()
        # with both slots taken, the n-th to wait expects n x 0.25 s / 2 slots: eight may
        waiters = [Holder(queue, 2, INTERACTIVE, log, f"waiter{n}") for n in range(8)]
        await settle()
        assert queue.waiting == 8
        assert queue.expected_wait() == 1.125
        with pytest.raises(QUEUE_FULL) as refused:  # the ninth is refused at once
            queue.reserve(3, INTERACTIVE)
        assert answer(refused.value).status == 503
        assert refused.value.retry_after == 2  # by when the line ahead is expected to clear
        assert "busy" in refused.value.message
        assert (queue.running, queue.waiting) == (2, 8)  # the refusal left nothing behind
        script = queue.reserve(3, BATCH)  # scripts have slots of their own
        async with queue.hold(script):
            pass
        for holder in busy + waiters:
            await holder.release()
        assert log == [f"busy{n}" for n in range(2)] + [f"waiter{n}" for n in range(8)]
        assert (queue.running, queue.waiting) == (0, 0)

    run(test)


def test_while_every_slot_is_held_longer_than_usual_requests_are_refused_at_once() -> None:
    async def test() -> None:
        clock = Clock()
        queue = RunQueue(workers=2, per_user=10, queue_size=100, clock=clock)
        await learn(queue, clock, 0.25)
        log: list[str] = []
        busy = [Holder(queue, 1, INTERACTIVE, log, f"busy{n}") for n in range(2)]
        await settle()
        assert queue.expected_wait() == 0.125
        clock.now += 3.0  # both have held their slot for 3 s: the average says too little
        assert queue.expected_wait() == 1.5
        with pytest.raises(QUEUE_FULL) as refused:
            queue.reserve(2, INTERACTIVE)
        assert (answer(refused.value).status, refused.value.retry_after) == (503, 2)
        clock.now += 60.0
        with pytest.raises(QUEUE_FULL) as later:
            queue.reserve(2, INTERACTIVE)
        assert later.value.retry_after == RETRY_AFTER  # at most
        for holder in busy:
            await holder.release()
        assert queue.service_time > 0.25  # the long holds raised the average
        async with queue.slot(2, INTERACTIVE):  # a free slot is taken whatever the average
            assert queue.running == 1

    run(test)


def test_requests_and_scripts_wait_in_queues_of_their_own() -> None:
    async def test() -> None:
        queue = RunQueue(workers=1, per_user=10, queue_size=2)
        log: list[str] = []
        holders = [
            Holder(queue, 1, lane, log, f"busy {lane.name}") for lane in (BATCH, INTERACTIVE)
        ]
        holders += [Holder(queue, 2, INTERACTIVE, log, f"request{n}") for n in range(2)]
        await settle()
        assert queue.waiting == 2
        with pytest.raises(QUEUE_FULL) as refused:  # the requests' queue is full ...
            queue.reserve(3, INTERACTIVE)
        assert answer(refused.value).status == 503
        holders += [Holder(queue, 3, BATCH, log, f"script{n}") for n in range(2)]
        await settle()
        assert queue.waiting == 4  # ... and scripts still get in line, and so on
        with pytest.raises(QUEUE_FULL):
            queue.reserve(4, BATCH)
        for holder in holders:
            await holder.release()
        assert (queue.running, queue.waiting) == (0, 0)

    run(test)


def test_refusing_tells_what_reserving_a_request_would_meet_and_takes_no_place() -> None:
    async def test() -> None:
        clock = Clock()
        queue = RunQueue(workers=1, per_user=10, queue_size=100, clock=clock)
        assert queue.refusing() is None  # a free slot
        await learn(queue, clock, 2.0)
        busy = Holder(queue, 1, INTERACTIVE, [], "busy")
        await settle()
        refusal = queue.refusing()
        assert refusal is not None
        assert (answer(refusal).status, refusal.retry_after) == (503, 2)
        with pytest.raises(QUEUE_FULL) as refused:
            queue.reserve(2, INTERACTIVE)
        assert (refused.value.message, refused.value.retry_after) == (
            refusal.message,
            refusal.retry_after,
        )
        assert queue.refused[INTERACTIVE] == 2  # both counted
        assert (queue.running, queue.waiting) == (1, 0)  # neither took a place
        await busy.release()
        assert queue.refusing() is None

    run(test)


@pytest.mark.parametrize("lane", [BATCH, INTERACTIVE])
def test_leaving_the_queue_while_waiting_leaks_no_slot(lane: Lane) -> None:
    async def test() -> None:
        queue = RunQueue(workers=1, per_user=10, queue_size=10)
        log: list[str] = []
        busy = Holder(queue, 1, lane, log, "busy")
        await settle()
        waiter = Holder(queue, 2, lane, log, "waiter")
        await settle()
        assert queue.waiting == 1
        waiter.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter.task
        assert queue.waiting == 0
        await busy.release()
        assert (queue.running, queue.waiting) == (0, 0)
        assert log == ["busy"]

    run(test)


@pytest.mark.parametrize("lane", [BATCH, INTERACTIVE])
def test_a_waiter_cancelled_just_as_its_turn_comes_gives_the_slot_back(lane: Lane) -> None:
    async def test() -> None:
        queue = RunQueue(workers=1, per_user=10, queue_size=10)
        log: list[str] = []
        async with queue.slot(1, lane):
            waiter = Holder(queue, 2, lane, log, "waiter")
            await settle()
            assert queue.waiting == 1
        # leaving the block handed the slot over; the waiter is cancelled before it resumes
        assert (queue.running, queue.waiting) == (1, 0)
        waiter.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter.task
        assert log == []
        assert (queue.running, queue.waiting) == (0, 0)
        async with queue.slot(3, lane):  # and the slot is free for the next one
            assert queue.running == 1

    run(test)


# -- through the app -----------------------------------------------------------------------


Full = Callable[..., tuple[Server, Browser, Gates]]


@pytest.fixture
def full(make_server: Callable[..., Server]) -> Iterator[Full]:
    """`full(**settings)`: a server with one script slot, taken by a run held at a gate;
    returns (server, alice, gates)."""
    opened: list[Gates] = []

    def make(**settings: Any) -> tuple[Server, Browser, Gates]:
        server = make_server(workers=1, **settings)
        server.user("admin")
        alice = server.user("alice")
        gates = Gates(server.app.state.runtime.bridge)
        opened.append(gates)
        start_run(alice, script_widget(alice, f"{gate('hold')}\n", title="Hold"))
        gates.wait_reached("hold")
        return server, alice, gates

    yield make
    for gates in opened:
        gates.open_all()


def test_a_full_queue_answers_503_with_retry_after(full: Full) -> None:
    _, alice, gates = full(queue_size=1)
    slug = script_widget(alice, "print('waited')\n", title="Waits")
    waiting = start_run(alice, slug)
    assert waiting["status"] == "queued"
    refused = alice.post(f"/api/widgets/{slug}/runs")
    error = assert_error(refused, 503, "busy")
    assert "busy" in error["message"]
    assert refused.headers["retry-after"] == str(RETRY_AFTER)
    assert [run["id"] for run in history(alice, slug)] == [waiting["id"]]  # no trace
    document = alice.get("/api/schema/openapi.json").json()
    assert "503" in document["paths"]["/api/widgets/{slug}/runs"]["post"]["responses"]
    gates.open("hold")
    assert wait_for_run(alice, waiting["id"])["stdout"] == "waited\n"
    assert wait_for_run(alice, start_run(alice, slug)["id"])["status"] == "ok"


def test_too_many_waiting_for_one_user_answers_429(
    full: Full, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_queue, "PER_USER_WAITING", 1)
    server, alice, gates = full(queue_size=10)
    slug = script_widget(alice, "print('waited')\n", title="Waits")
    waiting = start_run(alice, slug)
    refused = alice.post(f"/api/widgets/{slug}/runs")
    error = assert_error(refused, 429, "too_many_runs")
    assert "waiting" in error["message"]
    assert refused.headers["retry-after"] == str(2 * RETRY_AFTER)
    bob = server.user("bob")  # someone else still gets in line
    bobs = start_run(bob, script_widget(bob, "print('bob')\n", title="Bobs"))
    assert bobs["status"] == "queued"
    gates.open("hold")
    assert wait_for_run(alice, waiting["id"])["status"] == "ok"
    assert wait_for_run(bob, bobs["id"])["status"] == "ok"


def test_runs_started_together_for_the_last_place_one_is_refused_and_the_other_runs(
    full: Full,
) -> None:
    server, alice, gates = full(queue_size=1)
    slug = script_widget(alice, "print('accepted')\n", title="Accepted")
    runner = server.app.state.runner
    widget = server.db.read_now(widgets.find, slug)
    user = server.db.read_now(accounts.find_user, "alice")
    assert widget is not None
    assert user is not None
    owner = accounts.User.from_row(user)

    async def start_two() -> list[int | BaseException]:
        starts = (runner.start(widget, owner, "manual") for _ in range(2))
        return list(await asyncio.gather(*starts, return_exceptions=True))

    first, second = server.call(start_two)
    assert isinstance(first, int)  # the place is taken before the first run awaits anything
    assert isinstance(second, QUEUE_FULL)
    assert answer(second).status == 503
    gates.open("hold")
    finished = wait_for_run(alice, first)
    assert (finished["status"], finished["stdout"]) == ("ok", "accepted\n")


def test_through_the_app_one_users_burst_does_not_hold_up_anothers_run(full: Full) -> None:
    """One script slot, held by alice's run; alice queues four more, then bob one: bob's
    starts next, as soon as the slot frees, not after alice's four (the order the records
    say the runs started in, not timing)."""
    server, alice, gates = full()
    mine = script_widget(alice, "print('alice')\n", title="Burst")
    burst = [start_run(alice, mine)["id"] for _ in range(4)]
    bob = server.user("bob")
    single = start_run(bob, script_widget(bob, "print('bob')\n", title="Single"))["id"]
    gates.open("hold")
    runs = {run_id: wait_for_run(alice, run_id) for run_id in burst}
    runs[single] = wait_for_run(bob, single)
    assert {run["status"] for run in runs.values()} == {"ok"}
    order = sorted(runs, key=lambda run_id: runs[run_id]["started_at"])
    assert order == [single, *burst]


def test_a_burst_of_scripts_from_a_whole_class_leaves_the_interactive_lane_free() -> None:
    async def test() -> None:
        queue = RunQueue(workers=2, per_user=2, queue_size=100)
        log: list[str] = []
        scripts = [Holder(queue, user, BATCH, log, f"s{user}") for user in range(30)]
        await settle()
        request = Holder(queue, 99, INTERACTIVE, log, "request")
        await settle()
        assert request.granted.is_set()  # at once, with 28 scripts waiting
        assert queue.waiting_in(BATCH) == 28
        await request.release()
        for holder in scripts:
            await settle()
            if not holder.task.done():
                await holder.release()
        assert (queue.running, queue.waiting) == (0, 0)

    run(test)


HOLDING_API = f"""\
import anvil.server

@anvil.server.route("/hold")
def hold(**params):
    {gate("hold")}
    return "held"

@anvil.server.route("/hello")
def hello(**params):
    return "hello"
"""
CALLABLE = """\
import anvil.server

@anvil.server.callable
def greet():
    return "hello"

@anvil.server.route("/hello")
def hello(**params):
    return "hello"
"""


class OneSlot(NamedTuple):
    """A server with one slot for requests, an API whose `/hold` holds it at a gate, and a
    GUI app with a server function `greet` and an HTTP route `/hello`."""

    server: Server
    gates: Gates
    api: str
    app_origin: str
    anon: Browser
    holder: Browser


def one_slot(make_server: Callable[..., Server]) -> OneSlot:
    server = make_server(workers=1)
    server.user("admin")
    alice = server.user("alice")
    gates = Gates(server.app.state.runtime.bridge)
    api = script_widget(alice, HOLDING_API, kind="http", title="Holds", visibility="public")
    app = alice.create_widget("gui", "Greets", visibility="public")["slug"]
    assert alice.save(app, {**TEMPLATES["gui"], "server.py": CALLABLE}, 1).status_code == 201
    app_origin = f"http://{app}.{server.config.apps_host}"
    return OneSlot(server, gates, api, app_origin, server.browser(), server.browser())


def test_a_request_or_server_call_that_would_wait_too_long_is_refused_at_once(
    make_server: Callable[..., Server],
) -> None:
    server, gates, api, app_origin, anon, holder = one_slot(make_server)

    def call() -> Any:
        body = {"name": "greet", "args": [], "kwargs": {}}
        return anon.client.post(f"{app_origin}/_/call", json=body, headers={"origin": app_origin})

    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(holder.get, f"/w/{api}/hold")
        try:
            gates.wait_reached("hold")  # the one slot for requests is taken
            # recent requests held their slot for 3 s: the next would expect to wait 3 s
            server.app.state.runner.queue.service_time = 3.0
            # Refused at once: let wait, it would have waited for the held slot (which is
            # not given back here) until INTERACTIVE_WAIT, then been refused as having waited.
            assert LOADED_MARGIN < INTERACTIVE_WAIT
            for refuse in (lambda: anon.get(f"/w/{api}/hello"), call):
                began = time.monotonic()
                refused = refuse()
                assert within(time.monotonic() - began, 0.0)  # not after waiting
                error = assert_error(refused, 503, "busy")
                assert "would wait too long" in error["message"]
                assert refused.headers["retry-after"] == "3"
        finally:
            gates.open("hold")
        assert held.result().text == "held"
    assert anon.get(f"/w/{api}/hello").text == "hello"  # a free slot is taken at once
    assert call().status_code == 200


def test_a_request_or_call_is_refused_before_any_of_its_work_as_its_handler_refuses_it(
    make_server: Callable[..., Server],
) -> None:
    """Under overload the app refuses the interactive lane's requests before routing
    (`endpoints/early.py`): an HTTP API request under `/w/` (whatever widget it names), a
    GUI app's own HTTP API request and its server call get the answer their handler's
    refusal has, and are counted."""
    server, gates, api, app_origin, anon, holder = one_slot(make_server)
    queue = server.app.state.runner.queue
    requests = server.app.state.metrics.requests
    counted = {
        "api": requests.labels("/w/{slug}/{path}", "GET", "503"),
        "call": requests.labels("/_apps/{slug}/_/call", "POST", "503"),
        "app_api": requests.labels("/_apps/{slug}/_/api/{path}", "GET", "503"),
    }
    asks = {
        "api": lambda: anon.get(f"/w/{api}/hello"),
        "unknown": lambda: anon.get("/w/no-such-widget/hello"),  # busy whatever it names
        "call": lambda: anon.client.post(
            f"{app_origin}/_/call",
            json={"name": "greet", "args": [], "kwargs": {}},
            headers={"origin": app_origin},
        ),
        "app_api": lambda: anon.client.get(f"{app_origin}/_/api/hello"),
    }
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(holder.get, f"/w/{api}/hold")
        try:
            gates.wait_reached("hold")
            queue.service_time = 3.0  # the next request would expect to wait 3 s
            before = {kind: c._value.get() for kind, c in counted.items()}
            refused_before = queue.refused[INTERACTIVE]
            refuse_early = server.app.refuse_early
            answered_early = []

            async def spied(scope: Any, send: Any) -> bool:
                answered_early.append(await refuse_early(scope, send))
                return answered_early[-1]

            server.app.refuse_early = spied
            try:
                early = {kind: ask() for kind, ask in asks.items()}
            finally:
                server.app.refuse_early = refuse_early
            assert answered_early == [True] * len(asks)
            assert counted["api"]._value.get() == before["api"] + 2
            assert counted["call"]._value.get() == before["call"] + 1
            assert counted["app_api"]._value.get() == before["app_api"] + 1
            server.app.refuse_early = None
            try:  # the handlers' own refusals
                late = {kind: asks[kind]() for kind in ("api", "call", "app_api")}
            finally:
                server.app.refuse_early = refuse_early
            assert queue.refused[INTERACTIVE] == refused_before + 7
            # counted under the same routes as the handlers' refusals
            assert counted["api"]._value.get() == before["api"] + 3
            assert counted["call"]._value.get() == before["call"] + 2
            assert counted["app_api"]._value.get() == before["app_api"] + 2
        finally:
            gates.open("hold")
        assert held.result().text == "held"
    for kind, answered in early.items():
        handled = late["api" if kind == "unknown" else kind]
        assert (answered.status_code, answered.json()) == (handled.status_code, handled.json())
        assert "would wait too long" in assert_error(answered, 503, "busy")["message"]
        own = {name for name in handled.headers if not name.startswith("ratelimit-")}
        own -= {"date", "server", "content-length"}
        assert {name: answered.headers.get(name) for name in own} == {
            name: handled.headers[name] for name in own
        }
        assert answered.headers["retry-after"] == "3"
    assert anon.get(f"/w/{api}/hello").text == "hello"  # a free slot is taken at once
