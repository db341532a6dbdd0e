"""Scheduled tasks through the real app: previewing a rule, setting, pausing, resuming and
removing a task's schedule, and the scheduler firing it. Time is a fake clock the test moves:
the app's scheduler loop is stopped and `tick()` is called on the app's event loop, so no
test waits for a real minute. The fake clock starts in 2100, so a schedule made here is never
due for a real clock (of a restarted app, say)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlite_utils

from tests.server._client import Browser, assert_error, login
from tests.server._data import widget_id
from tests.server._runs import Gates, gate, history, script_widget, wait_for_run
from tests.server.conftest import Server
from widgetbox.host.schedules.scheduler import POLL, Scheduler
from widgetbox.host.storage.times import iso

pytestmark = pytest.mark.server

T0 = datetime(2100, 1, 4, 9, 0, tzinfo=UTC)
"""A Monday, 09:00 UTC."""
EVERY_MINUTE = {"type": "interval", "every": 1, "unit": "minutes"}
TASK = "print('tick')\n"


class FakeClock:
    """The scheduler's clock, moved by the test. Sleeping records how long the loop asked
    to sleep and lasts until the loop is woken (a schedule changed, or the test pokes it)."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)

    async def sleep(self, seconds: float, wake: asyncio.Event) -> None:
        self.sleeps.append(seconds)
        await wake.wait()


class Driver:
    """The app's scheduler with its loop stopped and the fake clock in place."""

    def __init__(self, server: Server, clock: FakeClock) -> None:
        self.server = server
        self.clock = clock
        self.scheduler: Scheduler = server.app.state.scheduler
        server.call(self.scheduler.stop)
        self.scheduler.clock = clock

    def tick(self) -> int:
        """Fire what is due at the clock's time; how many fired (or were skipped)."""
        fired: int = self.server.call(self.scheduler.tick)
        return fired


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def driver(server: Server, clock: FakeClock) -> Driver:
    return Driver(server, clock)


@pytest.fixture
def gates(server: Server) -> Iterator[Gates]:
    found = Gates(server.app.state.runtime.bridge)
    yield found
    found.open_all()


def at(moment: datetime) -> str:
    """How the API writes a time."""
    return iso(moment)


def set_schedule(browser: Browser, slug: str, rule: dict[str, Any]) -> dict[str, Any]:
    response = browser.put(f"/api/widgets/{slug}/schedule", json=rule)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def task(browser: Browser, code: str = TASK, **fields: Any) -> str:
    return script_widget(browser, code, kind="scheduled", title="Task", **fields)


def stored(server: Server, slug: str) -> dict[str, Any]:
    """The schedule's row in the database."""

    def read(db: sqlite_utils.Database) -> dict[str, Any]:
        [row] = db.query("SELECT * FROM schedules WHERE widget_id = ?", [widget_id(db, slug)])
        return row

    row: dict[str, Any] = server.db.read_now(read)
    return row


# -- the API -------------------------------------------------------------------------------


def test_a_preview_shows_the_next_five_times(driver: Driver, alice: Browser, anon: Browser) -> None:
    response = alice.post(
        "/api/schedules/preview", json={"type": "interval", "every": 15, "unit": "minutes"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "description": "every 15 minutes",
        "next": [at(T0 + timedelta(minutes=15 * n)) for n in range(1, 6)],
    }
    weekdays = {"type": "cron", "cron": "0  9 * *   1-5", "timezone": "Europe/Paris"}
    preview = alice.post("/api/schedules/preview", json=weekdays).json()
    assert preview["description"] == "cron 0 9 * * 1-5 (Europe/Paris)"
    # 09:00 in Paris is 08:00 UTC in winter: Tuesday to Friday, then Monday
    assert preview["next"] == [
        at(datetime(2100, 1, day, 8, 0, tzinfo=UTC)) for day in (5, 6, 7, 8, 11)
    ]
    assert_error(alice.post("/api/schedules/preview", json={"type": "cron"}), 422)
    assert_error(anon.post("/api/schedules/preview", json=EVERY_MINUTE), 403, "login_required")


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ({"type": "interval", "every": 0, "unit": "minutes"}, '"every" must be a whole number'),
        ({"type": "interval", "every": 5}, 'needs "unit"'),
        ({"type": "interval", "every": 1, "unit": "hours", "at": "09:00"}, '"at" (a time of day)'),
        ({"type": "interval", "every": 1, "unit": "days", "at": "9am"}, "HH:MM"),
        ({"type": "cron", "cron": "61 * * * *"}, "is not valid"),
        ({"type": "cron", "cron": "* * *"}, "has 3"),
        (
            {"type": "interval", "every": 1, "unit": "days", "weekday": "monday"},
            '"weekday" applies only to intervals in weeks',
        ),
        (
            {"type": "interval", "every": 1, "unit": "days", "timezone": "Europe/Pari"},
            'did you mean "Europe/Paris"',
        ),
    ],
)
def test_an_invalid_rule_is_refused_with_what_to_fix(
    driver: Driver, alice: Browser, rule: dict[str, Any], says: str
) -> None:
    error = assert_error(alice.post("/api/schedules/preview", json=rule), 422, "invalid_schedule")
    assert says in error["message"]
    slug = task(alice)
    again = assert_error(alice.put(f"/api/widgets/{slug}/schedule", json=rule), 422)
    assert again == error  # the same answer when saving, and nothing is saved
    assert_error(alice.get(f"/api/widgets/{slug}/schedule"), 404, "no_schedule")


def test_the_shortest_interval_is_a_setting(make_server: Callable[..., Server]) -> None:
    server = make_server(min_schedule_minutes=10)
    Driver(server, FakeClock(T0))
    server.user("admin")
    alice = server.user("alice")
    refused = alice.post(
        "/api/schedules/preview", json={"type": "interval", "every": 5, "unit": "minutes"}
    )
    error = assert_error(refused, 422, "invalid_schedule")
    assert "at least 10 minutes apart" in error["message"]
    cron = alice.post("/api/schedules/preview", json={"type": "cron", "cron": "*/5 * * * *"})
    assert "at least 10 minutes apart" in assert_error(cron, 422)["message"]
    fine = alice.post("/api/schedules/preview", json={"type": "cron", "cron": "*/10 * * * *"})
    assert fine.status_code == 200


def test_the_owner_sets_pauses_resumes_and_removes_a_schedule(
    server: Server, driver: Driver, clock: FakeClock, alice: Browser
) -> None:
    slug = task(alice)
    assert_error(alice.get(f"/api/widgets/{slug}/schedule"), 404, "no_schedule")
    hourly = {"type": "interval", "every": 1, "unit": "hours"}
    saved = set_schedule(alice, slug, hourly)
    assert saved == {
        "rule": {**hourly, "timezone": "UTC"},
        "description": "every hour",
        "timezone": "UTC",
        "paused": False,
        "next_run_at": at(T0 + timedelta(hours=1)),
        "last_run_at": None,
        "next": [at(T0 + timedelta(hours=n)) for n in range(1, 6)],
    }
    assert alice.get(f"/api/widgets/{slug}/schedule").json() == saved
    row = stored(server, slug)
    assert (row["next_run_at"], row["paused"], row["timezone"]) == (saved["next_run_at"], 0, "UTC")

    clock.advance(minutes=30)
    paused = alice.post(f"/api/widgets/{slug}/schedule/pause").json()
    assert (paused["paused"], paused["next"]) == (True, [])
    assert stored(server, slug)["paused"] == 1

    clock.advance(hours=5)  # slots go by while it is paused
    resumed = alice.post(f"/api/widgets/{slug}/schedule/resume").json()
    assert resumed["paused"] is False
    assert resumed["next_run_at"] == at(T0 + timedelta(hours=6))  # the next one from now
    assert stored(server, slug)["next_run_at"] == resumed["next_run_at"]

    changed = set_schedule(alice, slug, {"type": "cron", "cron": "0 12 * * *"})
    assert changed["next_run_at"] == at(datetime(2100, 1, 5, 12, 0, tzinfo=UTC))  # now 14:30
    assert changed["description"] == "cron 0 12 * * * (UTC)"

    assert alice.delete(f"/api/widgets/{slug}/schedule").status_code == 204
    assert_error(alice.get(f"/api/widgets/{slug}/schedule"), 404, "no_schedule")
    assert_error(alice.delete(f"/api/widgets/{slug}/schedule"), 404, "no_schedule")
    assert_error(alice.post(f"/api/widgets/{slug}/schedule/pause"), 404, "no_schedule")


def test_only_the_owner_schedules_and_only_tasks_have_schedules(
    server: Server, driver: Driver, alice: Browser, bob: Browser, anon: Browser
) -> None:
    public = task(alice, visibility="public")
    private = script_widget(alice, TASK, kind="scheduled", title="Hidden task")
    for slug in (public, private):
        set_schedule(alice, slug, EVERY_MINUTE)
    before = {slug: alice.get(f"/api/widgets/{slug}/schedule").json() for slug in (public, private)}
    base = "/api/widgets/{}/schedule"
    attempts = [
        ("GET", "", None),
        ("PUT", "", {"type": "cron", "cron": "0 0 1 1 *"}),
        ("DELETE", "", None),
        ("POST", "/pause", {}),
        ("POST", "/resume", {}),
    ]
    for method, tail, body in attempts:
        url = base.format(public) + tail
        assert_error(bob.request(method, url, json=body), 403, "not_owner")
        assert_error(anon.request(method, url, json=body), 403, "login_required")
        assert_error(bob.request(method, base.format(private) + tail, json=body), 404, "not_found")
    after = {slug: alice.get(f"/api/widgets/{slug}/schedule").json() for slug in (public, private)}
    assert after == before

    script = script_widget(alice, TASK, title="Just a script")
    for method, tail, body in [*attempts, ("PUT", "", EVERY_MINUTE)]:
        url = base.format(script) + tail
        error = assert_error(alice.request(method, url, json=body), 422, "not_a_task")
        assert "scheduled" in error["message"]


# -- firing --------------------------------------------------------------------------------


def test_a_due_schedule_starts_a_run(
    server: Server, driver: Driver, clock: FakeClock, alice: Browser
) -> None:
    slug = task(alice)
    set_schedule(alice, slug, EVERY_MINUTE)
    assert driver.tick() == 0  # not yet
    clock.advance(seconds=59)
    assert driver.tick() == 0
    clock.advance(seconds=1)
    assert driver.tick() == 1
    [run] = history(alice, slug)
    assert (run["trigger"], run["user"], run["version"]) == ("schedule", None, 2)
    done = wait_for_run(alice, run["id"])
    assert (done["status"], done["stdout"]) == ("ok", "tick\n")
    schedule = alice.get(f"/api/widgets/{slug}/schedule").json()
    assert schedule["last_run_at"] == at(T0 + timedelta(minutes=1))
    assert schedule["next_run_at"] == at(T0 + timedelta(minutes=2))
    assert stored(server, slug)["next_run_at"] == schedule["next_run_at"]
    assert driver.tick() == 0  # once per slot


def test_after_downtime_a_missed_schedule_runs_once(
    driver: Driver, clock: FakeClock, alice: Browser
) -> None:
    slug = task(alice)
    set_schedule(alice, slug, EVERY_MINUTE)
    clock.advance(minutes=1000, seconds=30)  # a thousand slots went by
    assert driver.tick() == 1
    [run] = history(alice, slug)
    assert wait_for_run(alice, run["id"])["status"] == "ok"
    schedule = alice.get(f"/api/widgets/{slug}/schedule").json()
    assert schedule["next_run_at"] == at(T0 + timedelta(minutes=1001))  # the next after now
    assert driver.tick() == 0
    assert len(history(alice, slug)) == 1


def test_a_fire_while_the_last_run_still_goes_is_skipped(
    driver: Driver, clock: FakeClock, alice: Browser, gates: Gates
) -> None:
    slug = task(alice, f"print('slow')\n{gate('task')}\n")
    set_schedule(alice, slug, EVERY_MINUTE)
    clock.advance(minutes=1)
    assert driver.tick() == 1
    gates.wait_reached("task")  # the first run is still going ...
    clock.advance(minutes=1)
    assert driver.tick() == 1  # ... when the next slot comes
    skipped, first = history(alice, slug)
    assert (skipped["status"], skipped["trigger"]) == ("skipped", "schedule")
    assert skipped["message"] == "The previous scheduled run was still going"
    assert skipped["finished_at"] is not None
    assert first["status"] == "running"
    gates.open("task")
    assert wait_for_run(alice, first["id"])["status"] == "ok"
    clock.advance(minutes=1)
    assert driver.tick() == 1  # the next slot runs again
    newest = history(alice, slug)[0]
    assert newest["id"] > skipped["id"]
    assert newest["status"] != "skipped"
    assert wait_for_run(alice, newest["id"])["status"] == "ok"


def test_a_paused_schedule_does_not_fire_and_resuming_skips_missed_slots(
    driver: Driver, clock: FakeClock, alice: Browser
) -> None:
    slug = task(alice)
    set_schedule(alice, slug, EVERY_MINUTE)
    alice.post(f"/api/widgets/{slug}/schedule/pause")
    clock.advance(minutes=10)
    assert driver.tick() == 0
    resumed = alice.post(f"/api/widgets/{slug}/schedule/resume").json()
    assert resumed["next_run_at"] == at(T0 + timedelta(minutes=11))
    assert driver.tick() == 0  # the ten missed slots are not made up for
    assert history(alice, slug) == []
    clock.advance(minutes=1)
    assert driver.tick() == 1
    assert len(history(alice, slug)) == 1


def test_schedules_survive_a_restart(make_server: Callable[..., Server]) -> None:
    first = make_server()
    Driver(first, FakeClock(T0))
    first.user("admin")
    alice = first.user("alice")
    slug = task(alice)
    saved = set_schedule(
        alice, slug, {"type": "interval", "every": 2, "unit": "hours", "timezone": "Asia/Tokyo"}
    )

    second = make_server()  # the same data folder
    restarted = Driver(second, FakeClock(T0))
    browser = second.browser()
    assert login(browser, "alice").status_code == 200
    assert browser.get(f"/api/widgets/{slug}/schedule").json() == saved
    # every 2 hours from midnight in Tokyo (UTC+9): at odd hours UTC, so T0 + 2 h is next
    assert saved["next_run_at"] == at(T0 + timedelta(hours=2))
    restarted.clock.advance(hours=2)
    assert restarted.tick() == 1
    [run] = history(browser, slug)
    assert run["trigger"] == "schedule"
    assert wait_for_run(browser, run["id"])["status"] == "ok"
    assert browser.get(f"/api/widgets/{slug}/schedule").json()["next_run_at"] == at(
        T0 + timedelta(hours=4)
    )


def test_a_daily_schedule_keeps_its_local_time_across_a_dst_change(
    driver: Driver, clock: FakeClock, alice: Browser
) -> None:
    """Paris moves to summer time on Sunday 28 March 2100: 09:00 local is 08:00 UTC before
    and 07:00 UTC after."""
    clock.moment = datetime(2100, 3, 26, 12, 0, tzinfo=UTC)
    slug = task(alice)
    daily = {"type": "interval", "every": 1, "unit": "days", "at": "09:00"}
    saved = set_schedule(alice, slug, {**daily, "timezone": "Europe/Paris"})
    assert saved["description"] == "every day at 09:00 (Europe/Paris)"
    assert saved["next"] == [
        at(datetime(2100, 3, 27, 8, 0, tzinfo=UTC)),
        at(datetime(2100, 3, 28, 7, 0, tzinfo=UTC)),
        at(datetime(2100, 3, 29, 7, 0, tzinfo=UTC)),
        at(datetime(2100, 3, 30, 7, 0, tzinfo=UTC)),
        at(datetime(2100, 3, 31, 7, 0, tzinfo=UTC)),
    ]
    for fire in saved["next"][:2]:
        clock.moment = datetime.fromisoformat(fire.replace("Z", "+00:00"))
        assert driver.tick() == 1
        assert wait_for_run(alice, history(alice, slug)[0]["id"])["status"] == "ok"
    assert len(history(alice, slug)) == 2
    schedule = alice.get(f"/api/widgets/{slug}/schedule").json()
    assert schedule["next_run_at"] == saved["next"][2]


def test_the_loop_sleeps_until_the_next_fire_and_wakes_when_a_schedule_changes(
    server: Server, driver: Driver, clock: FakeClock, alice: Browser
) -> None:
    def asleep(times: int) -> None:
        """Wait until the loop has gone to sleep `times` times."""
        deadline = time.monotonic() + 10
        while len(clock.sleeps) < times:
            assert time.monotonic() < deadline, clock.sleeps
            time.sleep(0.005)

    server.call(driver.scheduler.start)
    asleep(1)
    assert clock.sleeps == [POLL]  # nothing scheduled: it looks again now and then
    clock.advance(seconds=45)
    slug = task(alice)
    set_schedule(alice, slug, EVERY_MINUTE)  # wakes the loop: due in 15 s
    asleep(2)
    assert clock.sleeps == [POLL, 15.0]
    assert history(alice, slug) == []
    clock.advance(seconds=15)
    server.call(driver.scheduler.poke)  # as if the 15 s were over
    asleep(3)
    [run] = history(alice, slug)
    assert run["trigger"] == "schedule"
    assert clock.sleeps == [POLL, 15.0, POLL]  # the next fire is a minute away
    assert wait_for_run(alice, run["id"])["status"] == "ok"


def test_a_disabled_owners_schedule_is_skipped_until_enabled(
    driver: Driver, clock: FakeClock, admin: Browser, alice: Browser
) -> None:
    slug = task(alice)
    set_schedule(alice, slug, EVERY_MINUTE)
    assert admin.patch("/api/admin/users/alice", json={"disabled": True}).status_code == 200
    clock.advance(minutes=1)
    assert driver.tick() == 1
    [skipped] = history(admin, slug)  # the admin still sees the widget and its runs
    assert (skipped["status"], skipped["message"]) == ("skipped", "Its owner's account is disabled")
    assert admin.patch("/api/admin/users/alice", json={"disabled": False}).status_code == 200
    clock.advance(minutes=1)
    assert driver.tick() == 1
    newest = history(admin, slug)[0]
    assert newest["status"] != "skipped"
    assert wait_for_run(admin, newest["id"])["status"] == "ok"
