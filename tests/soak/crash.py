"""Crash consistency: kill -9 the server (its whole process group, at a random moment)
while clients save versions, start runs, set secrets, change schedules and create widgets;
restart it on the same data folder; check that nothing acknowledged was lost.

A write is acknowledged when its 2xx answer arrived whole; every client keeps what it
wrote. A request cut off by the kill may or may not have happened: after the restart its
effect must be either absent or exactly what was sent. After every kill:

- the database and its WAL, as the kill left them, pass `PRAGMA integrity_check` (checked
  on a copy, so the server's own recovery is what the restart exercises), and again
  through a separate read-only connection once the server runs;
- every acknowledged version is there with its files, every acknowledged widget, secret
  name and schedule rule; a run of a widget that prints its secrets' sha256 shows each
  value is the last one acknowledged (or the one in flight);
- every acknowledged run is in the history, and none is left queued or running: those
  the kill stopped while running are `interrupted`, those it left queued run after the
  restart (they had not begun) and end.

The kill is SIGKILL, a process crash: what the server had written is in the kernel's
hands. (A power cut would also drop what the kernel had not written to the disk;
`synchronous=FULL` covers that by fsyncing every commit, which this scenario cannot
observe.)
"""

from __future__ import annotations

import os
import random
import string
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.bench._report import Figure, median
from tests.soak._clients import (
    SECRET_HASHES,
    UNFINISHED,
    Api,
    integrity,
    integrity_of_copy,
    sha256,
)
from tests.soak._server import Server, make_widget

KILLS = 200
KILLS_SHORT = 10
WRITING = (0.3, 1.5)
"""Seconds of writing before each kill (uniformly random)."""
SETTINGS = {"WIDGETBOX_POOL_SIZE": "1", "WIDGETBOX_QUEUE_SIZE": "200"}
SECRET_NAMES = [f"S{n}" for n in range(6)]
RUN_CODE = "import time\ntime.sleep(0.2)\nprint('slept')\n"
REQUEUED_WAIT = 120.0
"""Seconds the runs a kill left queued (run again after the restart) have to end."""

ABSENT = "-"
"""A secret's hash (as the hashing script prints it) when there is none by that name."""


@dataclass
class Ledger:
    """What the checks found, over the whole scenario."""

    acknowledged: int = 0
    checked: int = 0
    lost: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    """Writes whose effect is not what was sent (or effects nobody sent)."""
    in_flight: int = 0
    """Writes cut off by a kill (their outcome was learnt from the server afterwards)."""
    interrupted: int = 0
    left_running: list[str] = field(default_factory=list)
    integrity: list[str] = field(default_factory=list)

    def lose(self, what: str) -> None:
        self.lost.append(what)
        print(f"  LOST: {what}")

    def change(self, what: str) -> None:
        self.changed.append(what)
        print(f"  CHANGED: {what}")


class Client:
    """One writer on its own thread. `step` makes one write and records its outcome; the
    scenario calls `verify` after each restart (the client is paused then), which checks
    everything acknowledged so far and takes the server's answer for a write in flight."""

    name = "client"

    def __init__(self, api: Api, rng: random.Random) -> None:
        self.api = api
        self.rng = rng
        self.count = 0

    def step(self) -> None:
        raise NotImplementedError

    def verify(self, ledger: Ledger, final: bool) -> None:
        raise NotImplementedError

    def acked(self, ledger: Ledger) -> None:
        self.count += 1
        ledger.acknowledged += 1


class Saves(Client):
    """Saves versions of its own widget, each with a base version, with random contents."""

    name = "saves"

    def __init__(self, api: Api, rng: random.Random, ledger: Ledger) -> None:
        super().__init__(api, rng)
        self.ledger = ledger
        self.slug = make_widget(api.session, "script", {"main.py": "print(0)"}, title="saves")
        self.versions: dict[int, dict[str, str]] = {}  # acknowledged: number -> files
        self.head = 2
        self.pending: dict[str, str] | None = None
        self.unchecked: set[int] = set()

    def step(self) -> None:
        n = self.head + 1
        text = "".join(self.rng.choices(string.ascii_letters, k=self.rng.randint(10, 4000)))
        files = {"main.py": f"print({n})\n", "data.txt": text}
        reply = self.api.call(
            "POST",
            f"/api/widgets/{self.slug}/versions",
            {"base_version": self.head, "files": files},
        )
        if reply.ok:
            number = int(reply.body["version"])
            self.versions[number] = files
            self.unchecked.add(number)
            self.head = number
            self.acked(self.ledger)
        elif reply.status == 0:
            self.pending = files
            self.ledger.in_flight += 1
        else:
            raise RuntimeError(f"a save was refused: {reply}")

    def verify(self, ledger: Ledger, final: bool) -> None:
        listed = self.api.must("GET", f"/api/widgets/{self.slug}/versions")
        numbers = {v["number"] for v in listed["versions"]}
        head = int(listed["head_version"])
        for number in sorted(self.versions):
            if number not in numbers:
                ledger.lose(f"version {number} of {self.slug}")
        for number in sorted(self.versions if final else self.unchecked):
            if number in numbers:
                files = self.api.must("GET", f"/api/widgets/{self.slug}/versions/{number}")["files"]
                if files != self.versions[number]:
                    ledger.change(f"version {number} of {self.slug} has other files")
            ledger.checked += 1
        self.unchecked.clear()
        extra = sorted(number for number in numbers if number > self.head)
        if extra and self.pending is not None and extra == [self.head + 1]:
            files = self.api.must("GET", f"/api/widgets/{self.slug}/versions/{extra[0]}")["files"]
            if files != self.pending:
                ledger.change(f"version {extra[0]} of {self.slug} is not the save in flight")
            self.versions[extra[0]] = files  # what the server says happened
        elif extra:
            ledger.change(f"{self.slug} has versions {extra} that nobody saved")
        self.head = max(head, self.head)
        self.pending = None


class Runs(Client):
    """Starts runs of a script that sleeps a little, so some are queued or running when
    the server is killed."""

    name = "runs"

    def __init__(self, api: Api, rng: random.Random, ledger: Ledger) -> None:
        super().__init__(api, rng)
        self.ledger = ledger
        self.slug = make_widget(api.session, "script", {"main.py": RUN_CODE}, title="runs")
        self.ids: set[int] = set()

    def step(self) -> None:
        reply = self.api.call("POST", f"/api/widgets/{self.slug}/runs", {})
        if reply.ok:
            self.ids.add(int(reply.body["id"]))
            self.acked(self.ledger)
        elif reply.status == 0:
            self.ledger.in_flight += 1
        elif reply.status not in (429, 503):  # a full queue refuses runs, as it should
            raise RuntimeError(f"a run was refused: {reply}")
        time.sleep(0.1)

    def verify(self, ledger: Ledger, final: bool) -> None:
        # what the kill left queued runs now: wait for it to end
        until = time.monotonic() + REQUEUED_WAIT
        while True:
            history = {run["id"]: run for run in self.api.all_runs(self.slug)}
            unfinished = [run for run in history.values() if run["status"] in UNFINISHED]
            if not unfinished or time.monotonic() > until:
                break
            time.sleep(0.2)
        for run_id in sorted(self.ids):
            run = history.get(run_id)
            if run is None:
                ledger.lose(f"run {run_id} of {self.slug}")
            ledger.checked += 1
        for run in history.values():
            if run["status"] in UNFINISHED:
                ledger.left_running.append(f"run {run['id']} is {run['status']}")
                print(f"  LEFT {run['status'].upper()}: run {run['id']}")
        ledger.interrupted = sum(run["status"] == "interrupted" for run in history.values())


class Secrets(Client):
    """Sets secrets of its own widget, whose code prints each secret's sha256."""

    name = "secrets"

    def __init__(self, api: Api, rng: random.Random, ledger: Ledger) -> None:
        super().__init__(api, rng)
        self.ledger = ledger
        code = SECRET_HASHES.format(names=SECRET_NAMES)
        self.slug = make_widget(api.session, "script", {"main.py": code}, title="secrets")
        self.values: dict[str, str] = {}  # the last acknowledged value of each name
        self.pending: dict[str, str] = {}  # a value in flight at a kill

    def step(self) -> None:
        name = self.rng.choice(SECRET_NAMES)
        value = "".join(self.rng.choices(string.printable, k=self.rng.randint(1, 300)))
        reply = self.api.call("PUT", f"/api/widgets/{self.slug}/secrets/{name}", {"value": value})
        if reply.ok:
            self.values[name] = value
            self.acked(self.ledger)
        elif reply.status == 0:
            self.pending[name] = value
            self.ledger.in_flight += 1
        else:
            raise RuntimeError(f"a secret was refused: {reply}")

    def verify(self, ledger: Ledger, final: bool) -> None:
        listed = self.api.must("GET", f"/api/widgets/{self.slug}/secrets")["secrets"]
        names = {secret["name"] for secret in listed}
        hashes = self.api.secret_hashes(self.slug)
        for name in SECRET_NAMES:
            allowed = {sha256(self.values[name])} if name in self.values else {ABSENT}
            if name in self.pending:
                allowed.add(sha256(self.pending[name]))
            if name in self.values:
                ledger.checked += 1
                if name not in names:
                    ledger.lose(f"secret {name} of {self.slug}")
                    continue
            if hashes.get(name) not in allowed:
                if name in self.values and hashes.get(name) == ABSENT:
                    ledger.lose(f"the value of secret {name}")
                else:
                    ledger.change(f"secret {name} holds a value that was never acknowledged")
            elif name in self.pending and hashes[name] == sha256(self.pending[name]):
                self.values[name] = self.pending[name]
        self.pending.clear()


class Schedules(Client):
    """Sets the schedule of its own task to rules that tell writes apart (yearly cron
    rules that never fire during the scenario), and pauses and resumes it."""

    name = "schedules"

    def __init__(self, api: Api, rng: random.Random, ledger: Ledger) -> None:
        super().__init__(api, rng)
        self.ledger = ledger
        code = "print('never fires here')\n"
        self.slug = make_widget(api.session, "scheduled", {"main.py": code}, title="schedules")
        self.state: tuple[str, bool] | None = None  # acknowledged (cron, paused)
        self.pending: tuple[str, bool] | None = None
        month = (time.gmtime().tm_mon + 5) % 12 + 1  # half a year away
        self.rules = [
            f"{m} {h} {d} {month} *" for m in range(60) for h in range(24) for d in (3, 17)
        ]

    def step(self) -> None:
        path = f"/api/widgets/{self.slug}/schedule"
        if self.state is not None and self.rng.random() < 0.3:
            paused = not self.state[1]
            after = (self.state[0], paused)
            reply = self.api.call("POST", f"{path}/{'pause' if paused else 'resume'}", {})
        else:
            after = (self.rng.choice(self.rules), False)
            reply = self.api.call("PUT", path, {"type": "cron", "cron": after[0]})
        if reply.ok:
            body = reply.body
            if (body["rule"]["cron"], body["paused"]) != after:
                raise RuntimeError(f"the schedule answered {body}, not {after}")
            self.state = after
            self.acked(self.ledger)
        elif reply.status == 0:
            self.pending = after
            self.ledger.in_flight += 1
        else:
            raise RuntimeError(f"a schedule change was refused: {reply}")

    def verify(self, ledger: Ledger, final: bool) -> None:
        reply = self.api.get(f"/api/widgets/{self.slug}/schedule")
        found = (reply.body["rule"]["cron"], reply.body["paused"]) if reply.ok else None
        if reply.ok and not reply.body["paused"] and reply.body["next_run_at"] is None:
            ledger.change(f"the schedule of {self.slug} has no next fire time")
        if self.state is not None:
            ledger.checked += 1
        if found != self.state:
            if found is not None and found == self.pending:
                self.state = found
            elif self.state is not None and found is None:
                ledger.lose(f"the schedule of {self.slug} ({self.state})")
            else:
                ledger.change(f"the schedule of {self.slug} is {found}, not {self.state}")
                self.state = found
        self.pending = None


class Creates(Client):
    """Creates widgets of every kind that has code, with slugs of its choosing."""

    name = "creates"

    def __init__(self, api: Api, rng: random.Random, ledger: Ledger) -> None:
        super().__init__(api, rng)
        self.ledger = ledger
        self.widgets: dict[str, str] = {}  # acknowledged: slug -> kind
        self.pending: dict[str, str] = {}
        self.unchecked: set[str] = set()

    def step(self) -> None:
        slug = f"made-{len(self.widgets) + len(self.pending)}-{self.rng.randrange(10**6)}"
        kind = self.rng.choice(["script", "scheduled", "http"])
        reply = self.api.call("POST", "/api/widgets", {"kind": kind, "title": slug, "slug": slug})
        if reply.ok:
            self.widgets[slug] = kind
            self.unchecked.add(slug)
            self.acked(self.ledger)
        elif reply.status == 0:
            self.pending[slug] = kind
            self.ledger.in_flight += 1
        else:
            raise RuntimeError(f"a new widget was refused: {reply}")

    def verify(self, ledger: Ledger, final: bool) -> None:
        mine = self.api.all_widgets()
        for slug, kind in self.widgets.items():
            found = mine.get(slug)
            if found is None:
                ledger.lose(f"widget {slug}")
            elif found["kind"] != kind or found["head_version"] < 1:
                ledger.change(f"widget {slug} is {found['kind']} v{found['head_version']}")
            ledger.checked += 1
        for slug in sorted(self.unchecked if not final else self.widgets):
            if slug in mine:  # its first version (the template) is readable too
                self.api.must("GET", f"/api/widgets/{slug}/versions/1")
        self.unchecked.clear()
        for slug, kind in self.pending.items():
            found = mine.get(slug)
            if found is not None:
                if found["kind"] != kind:
                    ledger.change(f"widget {slug} in flight is {found['kind']}, not {kind}")
                self.widgets[slug] = found["kind"]
        self.pending.clear()


class Crew:
    """The clients on their threads: they write while `go` is set and park in between."""

    def __init__(self, clients: list[Client]) -> None:
        self.clients = clients
        self.go = threading.Event()
        self.stop = threading.Event()
        self.parked = [threading.Event() for _ in clients]
        self.errors: list[str] = []
        self.threads = [
            threading.Thread(target=self._work, args=(i,), name=f"soak-{c.name}", daemon=True)
            for i, c in enumerate(clients)
        ]
        for thread in self.threads:
            thread.start()

    def _work(self, index: int) -> None:
        client, parked = self.clients[index], self.parked[index]
        while not self.stop.is_set():
            if not self.go.is_set():
                parked.set()
                self.go.wait(0.1)
                continue
            parked.clear()
            try:
                client.step()
            except Exception as e:  # a wrong answer: the scenario reports it
                self.errors.append(f"{client.name}: {e}")
                self.go.clear()

    def resume(self) -> None:
        for parked in self.parked:
            parked.clear()
        self.go.set()

    def pause(self, timeout: float = 60.0) -> None:
        """Stop writing and wait until every client has finished its request."""
        self.go.clear()
        deadline = time.monotonic() + timeout
        for parked in self.parked:
            if not parked.wait(max(0.0, deadline - time.monotonic())):
                raise RuntimeError("a client did not stop writing")

    def close(self) -> None:
        self.stop.set()
        self.go.set()
        for thread in self.threads:
            thread.join(5)


def run(short: bool) -> list[Figure]:
    kills = KILLS_SHORT if short else KILLS
    seed = int(os.environ.get("WIDGETBOX_SOAK_SEED") or random.SystemRandom().randrange(10**9))
    print(f"crash: {kills} kills, seed {seed} (WIDGETBOX_SOAK_SEED={seed} repeats it)")
    rng = random.Random(seed)
    ledger = Ledger()
    restarts: list[float] = []
    survived = 0
    with tempfile.TemporaryDirectory(prefix="widgetbox-soak-crash-") as folder:
        server = Server(Path(folder) / "data", SETTINGS)
        server.start()
        database = server.data_dir / "widgetbox.db"
        crew: Crew | None = None
        try:
            server.owner()  # signs up: the first account
            makers: list[Callable[[Api, random.Random, Ledger], Client]] = [
                Saves, Saves, Runs, Secrets, Schedules, Creates
            ]  # fmt: skip
            clients = [make(Api.login(server.base, "soak"), random.Random(rng.random()), ledger)
                       for make in makers]  # fmt: skip
            crew = Crew(clients)
            for kill in range(1, kills + 1):
                crew.resume()
                time.sleep(rng.uniform(*WRITING))
                crew.go.clear()  # no new request starts; those under way are cut off
                server.kill()
                crew.pause()
                if crew.errors:
                    raise RuntimeError("; ".join(crew.errors))
                _check(ledger, "after the kill", integrity_of_copy(database), kill)
                started = time.monotonic()
                server.start()
                restarts.append(time.monotonic() - started)
                _check(ledger, "after the restart", integrity(database), kill)
                for client in clients:
                    client.verify(ledger, final=kill == kills)
                survived += 1
                if kill % 10 == 0 or kill == kills:
                    print(
                        f"  kill {kill}: {ledger.acknowledged} writes acknowledged, "
                        f"{len(ledger.lost)} lost, restart {restarts[-1]:.2f} s"
                    )
        except BaseException:
            print(f"server log (tail):\n{server.log_tail()}")
            raise
        finally:
            if crew is not None:
                crew.close()
            server.stop()
    return [
        Figure(
            "kills survived (restarted, everything checked)",
            survived,
            "kills",
            target=f"= {kills}",
            met=survived == kills,
            note=f"seed {seed}; {ledger.in_flight} writes were in flight at a kill",
        ),
        Figure(
            "acknowledged writes checked",
            ledger.acknowledged,
            "writes",
            note=f"{ledger.checked} checks in all (every write after each later kill)",
        ),
        Figure(
            "acknowledged writes lost",
            len(ledger.lost),
            "writes",
            target="= 0",
            met=not ledger.lost,
            note="; ".join(ledger.lost[:3]),
        ),
        Figure(
            "writes changed or invented",
            len(ledger.changed),
            "writes",
            target="= 0",
            met=not ledger.changed,
            note="; ".join(ledger.changed[:3]),
        ),
        Figure(
            "integrity check failures",
            len(ledger.integrity),
            "checks",
            target="= 0",
            met=not ledger.integrity,
            note="; ".join(ledger.integrity[:3])
            or f"{2 * survived} checks: after each kill "
            "(a copy) and after each restart (the live file)",
        ),
        Figure(
            "runs left queued or running after a restart (and its queue's runs)",
            len(ledger.left_running),
            "runs",
            target="= 0",
            met=not ledger.left_running,
            note=f"{ledger.interrupted} runs were marked interrupted by the restarts",
        ),
        Figure("restart time p50", median(restarts) if restarts else 0, "s"),
        Figure(
            "restart time max",
            max(restarts, default=0),
            "s",
            note="from starting the process to its first HTTP answer",
        ),
    ]


def _check(ledger: Ledger, when: str, result: str, kill: int) -> None:
    if result != "ok":
        ledger.integrity.append(f"kill {kill}, {when}: {result}")
        print(f"  INTEGRITY: kill {kill}, {when}: {result}")
