"""A full disk: the data folder on a small file system (a 64 MiB tmpfs this scenario
mounts; it needs root, as CI has) that a filler file fills to the last byte.

While it is full, every write that cannot be stored (saves, new widgets, secrets, schedule
and title changes) must be refused with 507 `disk_full`, and a run that cannot be recorded
with 503 `disk_full`, each with a message naming the cause, within a bound (never a 500
with an incident id, never a hang); reads, pages and widgets' HTTP APIs go on; the database
stays whole. Once the filler is deleted everything works again without a restart, the
request logs kept meanwhile are written, no run is left unfinished, and every write made
before (or acknowledged during) the fill is still there.

Writes may still succeed for a while after the disk is full, until the WAL's spare room is
used up: the scenario saves big versions until the first refusal, and checks those that
were acknowledged like every other write.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.bench._report import Figure
from tests.soak._clients import (
    SECRET_HASHES,
    UNFINISHED,
    Api,
    Reply,
    fill,
    free_bytes,
    integrity,
    sha256,
    tmpfs,
)
from tests.soak._server import Server, make_widget

SIZE = "64m"
SETTINGS = {"WIDGETBOX_POOL_SIZE": "1"}
BOUND = 10.0
"""Seconds within which every request must be answered while the disk is full."""
ROUNDS, ROUNDS_SHORT = 20, 3
"""How many times each refused action is tried while the disk is full."""
FULL_FOR, FULL_FOR_SHORT = 30.0, 2.0
"""Seconds the disk stays full (background writers keep trying meanwhile)."""
BIG = 256 * 1024
HELLO_API = """\
import anvil.server

@anvil.server.route("/hello")
def hello(**params):
    return "hi"
"""
NAMES = ["TOKEN", "OTHER"]
SLOW = "import time\ntime.sleep(1.5)\nprint('x' * 200_000)\nprint('end')\n"
"""A run that ends after the disk is full, with output that needs room to be recorded."""
SLOW_OUTPUT = "x" * 200_000 + "\nend\n"


@dataclass
class Tally:
    """Answers while the disk was full, and after."""

    refused: int = 0
    """Writes refused with `disk_full` (507, or 503 for runs)."""
    stored: int = 0
    """Writes that still fitted (acknowledged: checked later like every other)."""
    wrong: list[str] = field(default_factory=list)
    reads: int = 0
    reads_failed: list[str] = field(default_factory=list)
    slowest: float = 0.0
    api_requests: int = 0
    after: list[str] = field(default_factory=list)
    """What failed once there was room again."""

    def answer(self, what: str, reply: Reply, refusal: int) -> bool:
        """A write's answer while the disk is full: stored (True), or refused clearly."""
        self.slowest = max(self.slowest, reply.seconds)
        if reply.ok:
            self.stored += 1
            return True
        message = reply.message
        clear = (
            reply.status == refusal
            and reply.code == "disk_full"
            and "disk is full" in message
            and "incident" not in message
            and reply.headers.get("retry-after", "").isdigit()
        )
        if clear:
            self.refused += 1
        else:
            self.wrong.append(f"{what}: {reply}")
            print(f"  WRONG: {what}: {reply}")
        return False

    def read(self, what: str, reply: Reply) -> None:
        self.slowest = max(self.slowest, reply.seconds)
        self.reads += 1
        if not reply.ok:
            self.reads_failed.append(f"{what}: {reply}")
            print(f"  READ FAILED: {what}: {reply}")


@dataclass
class Written:
    """Everything acknowledged, to be found again at the end."""

    versions: dict[tuple[str, int], dict[str, str]] = field(default_factory=dict)
    widgets: set[str] = field(default_factory=set)
    secrets: dict[str, str] = field(default_factory=dict)
    cron: str = ""
    runs: set[int] = field(default_factory=set)


def run(short: bool) -> list[Figure]:
    with (
        tempfile.TemporaryDirectory(prefix="widgetbox-soak-disk-") as folder,
        contextlib.ExitStack() as mounted,  # unmounted before the folder is removed
    ):
        data = Path(folder) / "data"
        try:
            mounted.enter_context(tmpfs(data, SIZE))
        except RuntimeError as e:
            return [
                Figure(
                    "the data folder's file system could be made and filled",
                    0,
                    "",
                    target="mounted",
                    met=False,
                    note=f"{e}; this scenario needs root (CI runs it as root)",
                )
            ]
        return _scenario(data, short)


def _scenario(data: Path, short: bool) -> list[Figure]:
    rounds = ROUNDS_SHORT if short else ROUNDS
    tally, written = Tally(), Written()
    server = Server(data, SETTINGS)
    server.start()
    try:
        api = Api(server.owner())
        secrets_slug = make_widget(
            api.session, "script", {"main.py": SECRET_HASHES.format(names=NAMES)}, title="secrets"
        )
        task = make_widget(api.session, "scheduled", {"main.py": "print(1)"}, title="task")
        http = make_widget(api.session, "http", {"main.py": HELLO_API}, visibility="public")
        saves = make_widget(api.session, "script", {"main.py": "print(2)"}, title="saves")
        written.widgets |= {secrets_slug, task, http, saves}
        head = 2
        for n in range(3):  # some history, and a run of each
            files = {"main.py": f"print({n})\n", "data.txt": "x" * 1000 * n}
            head = api.must("POST", f"/api/widgets/{saves}/versions", _save(head, files))["version"]
            written.versions[(saves, head)] = files
        for name in NAMES:
            written.secrets[name] = f"{name} value before"
            api.must(
                "PUT",
                f"/api/widgets/{secrets_slug}/secrets/{name}",
                {"value": f"{name} value before"},
            )
        written.cron = "7 5 3 2 *"
        api.must("PUT", f"/api/widgets/{task}/schedule", {"type": "cron", "cron": written.cron})
        for slug in (saves, secrets_slug):
            written.runs.add(
                api.wait_run(api.must("POST", f"/api/widgets/{slug}/runs", {})["id"])["id"]
            )
        assert api.must("GET", f"/w/{http}/hello") == "hi"
        slow = make_widget(api.session, "script", {"main.py": SLOW}, title="slow")
        written.widgets.add(slow)
        pid = server.pid
        logs_before = len(api.must("GET", f"/api/widgets/{http}/logs?limit=200")["runs"])
        log_start = server.log_path.stat().st_size

        ending = api.must("POST", f"/api/widgets/{slow}/runs", {})["id"]  # ends while full
        written.runs.add(ending)
        filler, filled = fill(data)
        print(f"disk_full: filled {filled / 2**20:.1f} MiB; {free_bytes(data)} bytes free")
        for n in range(100):  # the WAL's spare room first: until the first refusal
            files = {"main.py": f"print('big {n}')\n", "big.txt": os.urandom(BIG // 2).hex()}
            reply = api.call("POST", f"/api/widgets/{saves}/versions", _save(head, files), BOUND)
            if not tally.answer("a big save", reply, 507):
                break
            head = reply.body["version"]
            written.versions[(saves, head)] = files
        print(f"  {tally.stored} big saves still fitted before the first refusal")

        head = _while_full(api, tally, written, rounds, saves, secrets_slug, task, http, head)
        while_full = integrity(server.data_dir / "widgetbox.db")
        time.sleep(FULL_FOR_SHORT if short else FULL_FOR)  # background writers keep trying
        alive_while_full = server.process is not None and server.process.poll() is None

        waiting = api.must("GET", f"/api/runs/{ending}")["status"]  # its record waits
        filler.unlink()
        room_again = time.monotonic()
        back = _after(api, tally, written, saves, secrets_slug, task, http, head)
        recovered = time.monotonic() - room_again
        logs = api.must("GET", f"/api/widgets/{http}/logs?limit=200")["runs"]
        logged = len(logs) - logs_before - 1  # the request made once there was room
        lost = _lost(api, written, secrets_slug, task)
        unfinished = _unfinished(api, [saves, secrets_slug, task, slow])
        ended = api.must("GET", f"/api/runs/{ending}")
        whole = ended["status"] == "ok" and ended["stdout"] == SLOW_OUTPUT
        after = integrity(server.data_dir / "widgetbox.db")
        same_process = server.process is not None and server.pid == pid
        with server.log_path.open(errors="replace") as log:
            log.seek(log_start)
            tracebacks = log.read().count("Traceback (most recent call last)")
    except BaseException:
        print(f"server log (tail):\n{server.log_tail()}")
        raise
    finally:
        server.stop()
    problems = [] if while_full == after == "ok" else [while_full, after]
    return [
        Figure(
            "writes refused with disk_full while full",
            tally.refused,
            "writes",
            target=">= 1",
            met=tally.refused > 0,
            note=f"{tally.stored} writes still fitted in the WAL's spare room (checked later)",
        ),
        Figure(
            "wrong answers while full (500, other errors)",
            len(tally.wrong),
            "answers",
            target="= 0",
            met=not tally.wrong,
            note="; ".join(tally.wrong[:3]),
        ),
        Figure(
            "slowest answer while full",
            tally.slowest,
            "s",
            target=f"< {BOUND:.0f} s",
            met=tally.slowest < BOUND,
        ),
        Figure(
            "reads, pages and HTTP API requests failed while full",
            len(tally.reads_failed),
            "requests",
            target="= 0",
            met=not tally.reads_failed,
            note="; ".join(tally.reads_failed[:3]) or f"{tally.reads} requests",
        ),
        Figure(
            "server died or restarted",
            0 if alive_while_full and same_process else 1,
            "",
            target="= 0",
            met=alive_while_full and same_process,
        ),
        Figure(
            "tracebacks in the server's log",
            tracebacks,
            "",
            target="= 0",
            met=tracebacks == 0,
            note="a full disk is logged as one line when it starts and when it ends",
        ),
        Figure(
            "integrity check failures",
            len([p for p in problems if p != "ok"]),
            "checks",
            target="= 0",
            met=not problems,
            note="; ".join(problems) or "while full and after",
        ),
        Figure(
            "actions failing once there was room (no restart)",
            len(tally.after),
            "actions",
            target="= 0",
            met=not tally.after,
            note="; ".join(tally.after[:3])
            or f"{back} actions: save, new widget, secret, "
            "schedule, title, run (its output), HTTP API",
        ),
        Figure("time from room again to every action working", recovered, "s"),
        Figure(
            "HTTP API requests made while full, logged after",
            logged,
            "requests",
            target=f"= {tally.api_requests}",
            met=logged == tally.api_requests,
            note="their logs waited in memory and were written once there was room",
        ),
        Figure(
            "earlier writes lost",
            len(lost),
            "writes",
            target="= 0",
            met=not lost,
            note="; ".join(lost[:3])
            or f"{len(written.versions)} versions, {len(written.widgets)} widgets, "
            f"{len(written.secrets)} secrets (values by sha256), a schedule, "
            f"{len(written.runs)} runs",
        ),
        Figure(
            "a run that ended while full, recorded whole after",
            int(whole),
            "runs",
            target="= 1",
            met=whole,
            note=f"while full it was still {waiting}; then {ended['status']}, with "
            f"{len(ended['stdout']):,} characters of output",
        ),
        Figure(
            "runs left queued or running",
            len(unfinished),
            "runs",
            target="= 0",
            met=not unfinished,
            note="; ".join(unfinished[:3]),
        ),
    ]


def _while_full(
    api: Api,
    tally: Tally,
    written: Written,
    rounds: int,
    saves: str,
    secrets_slug: str,
    task: str,
    http: str,
    head: int,
) -> int:
    """Every kind of write, `rounds` times, with reads, pages and an HTTP API between; the
    head version after them (a save may still fit)."""
    for n in range(rounds):
        files = {"main.py": f"print('while full {n}')\n"}
        reply = api.call("POST", f"/api/widgets/{saves}/versions", _save(head, files), BOUND)
        if tally.answer("a save", reply, 507):
            head = reply.body["version"]
            written.versions[(saves, head)] = files
        slug = f"while-full-{n}"
        new = {"kind": "script", "title": slug, "slug": slug}
        if tally.answer("a new widget", api.call("POST", "/api/widgets", new, BOUND), 507):
            written.widgets.add(slug)
        value = f"set while full {n}"
        reply = api.call(
            "PUT", f"/api/widgets/{secrets_slug}/secrets/TOKEN", {"value": value}, BOUND
        )
        if tally.answer("a secret", reply, 507):
            written.secrets["TOKEN"] = value
        reply = api.call("POST", f"/api/widgets/{secrets_slug}/runs", {}, BOUND)
        if tally.answer("a script run", reply, 503):
            written.runs.add(reply.body["id"])
        cron = f"{n} 6 3 2 *"
        reply = api.call(
            "PUT", f"/api/widgets/{task}/schedule", {"type": "cron", "cron": cron}, BOUND
        )
        if tally.answer("a schedule", reply, 507):
            written.cron = cron
        reply = api.call("PATCH", f"/api/widgets/{task}", {"title": f"task {n}"}, BOUND)
        tally.answer("a title change", reply, 507)
        # reads, pages and widgets' HTTP APIs go on
        for path in (
            f"/api/widgets/{saves}",
            f"/api/widgets/{saves}/versions",
            f"/api/widgets/{secrets_slug}/runs",
            f"/api/widgets/{secrets_slug}/secrets",
            f"/api/widgets/{task}/schedule",
            f"/api/widgets/{http}/logs",
            "/api/widgets",
            f"/widgets/{saves}",
        ):
            tally.read(f"GET {path}", api.call("GET", path, timeout=BOUND))
        reply = api.call("GET", f"/w/{http}/hello", timeout=BOUND)
        tally.read(f"GET /w/{http}/hello", reply)
        tally.api_requests += 1
    return head


def _save(base: int, files: dict[str, str]) -> dict[str, object]:
    return {"base_version": base, "files": files}


def _after(
    api: Api,
    tally: Tally,
    written: Written,
    saves: str,
    secrets_slug: str,
    task: str,
    http: str,
    head: int,
) -> int:
    """Every kind of action, once there is room again; how many were tried. The first
    is retried for a moment: the server needs no restart, but it may take a beat."""
    actions = 0

    def expect(what: str, reply: Reply) -> bool:
        nonlocal actions
        actions += 1
        if not reply.ok:
            tally.after.append(f"{what}: {reply}")
            print(f"  AFTER: {what}: {reply}")
        return reply.ok

    files = {"main.py": "print('room again')\n"}
    until = time.monotonic() + 5
    while True:
        reply = api.call("POST", f"/api/widgets/{saves}/versions", _save(head, files), BOUND)
        if reply.ok or time.monotonic() > until:
            break
        time.sleep(0.1)
    if expect("a save", reply):
        written.versions[(saves, reply.body["version"])] = files
    new = {"kind": "http", "title": "room again", "slug": "room-again"}
    if expect("a new widget", api.call("POST", "/api/widgets", new)):
        written.widgets.add("room-again")
    value = "set with room again"
    if expect(
        "a secret", api.call("PUT", f"/api/widgets/{secrets_slug}/secrets/OTHER", {"value": value})
    ):
        written.secrets["OTHER"] = value
    if expect(
        "a schedule",
        api.call("PUT", f"/api/widgets/{task}/schedule", {"type": "cron", "cron": "9 9 9 9 *"}),
    ):
        written.cron = "9 9 9 9 *"
    expect("a title change", api.call("PATCH", f"/api/widgets/{task}", {"title": "task again"}))
    reply = api.call("POST", f"/api/widgets/{secrets_slug}/runs", {})
    if expect("a script run", reply):
        written.runs.add(reply.body["id"])
        done = api.wait_run(reply.body["id"])
        hashes = dict(line.split(" ", 1) for line in done["stdout"].splitlines())
        wanted = {name: sha256(value) for name, value in written.secrets.items()}
        if done["status"] != "ok" or hashes != wanted:
            tally.after.append(f"the run printed {done['status']} {done['stdout']!r}")
    reply = api.call("GET", f"/w/{http}/hello")
    if expect("an HTTP API request", reply) and reply.body != "hi":
        tally.after.append(f"the HTTP API answered {reply.body!r}")
    return actions


def _lost(api: Api, written: Written, secrets_slug: str, task: str) -> list[str]:
    lost = []
    mine = api.all_widgets()
    lost += [f"widget {slug}" for slug in sorted(written.widgets - set(mine))]
    for (slug, number), files in sorted(written.versions.items()):
        reply = api.get(f"/api/widgets/{slug}/versions/{number}")
        if not reply.ok or reply.body["files"] != files:
            lost.append(f"version {number} of {slug}: {reply.status}")
    names = {s["name"] for s in api.must("GET", f"/api/widgets/{secrets_slug}/secrets")["secrets"]}
    lost += [f"secret {name}" for name in sorted(set(written.secrets) - names)]
    hashes = api.secret_hashes(secrets_slug)
    lost += [
        f"the value of secret {name}"
        for name, value in written.secrets.items()
        if hashes.get(name) != sha256(value)
    ]
    schedule = api.get(f"/api/widgets/{task}/schedule")
    if not schedule.ok or schedule.body["rule"]["cron"] != written.cron:
        lost.append(f"the schedule {written.cron}: {schedule}")
    elif schedule.body["next_run_at"] is None:
        lost.append("the schedule's next fire time")
    history = {run["id"] for run in api.all_runs(secrets_slug)}
    history |= {run["id"] for slug in mine for run in api.all_runs(slug) if slug != secrets_slug}
    lost += [f"run {run_id}" for run_id in sorted(written.runs - history)]
    return lost


def _unfinished(api: Api, slugs: list[str], wait: float = 15.0) -> list[str]:
    """Runs still queued or running after `wait` seconds (runs started after the fill finish
    in well under that)."""
    until = time.monotonic() + wait
    while True:
        left = [
            f"run {run['id']} of {slug} is {run['status']}"
            for slug in slugs
            for run in api.all_runs(slug)
            if run["status"] in UNFINISHED
        ]
        if not left or time.monotonic() > until:
            return left
        time.sleep(0.2)
