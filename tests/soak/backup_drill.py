"""Backup and restore, as an operator would: `widgetbox backup` (the real command, in its own
process) while the server answers paced HTTP API requests and saves versions; then
`widgetbox restore --key` onto a fresh data folder and a server started there.

Everything acknowledged before the backup began must come back and work: widgets and
every version's files, the run history, the schedule with its next fire time, the secrets
(names, and their values: a run prints each one's sha256), the HTTP API, a widget's
packages (not in backups: installed again from their lock). Writes acknowledged while the
backup ran may be in it or not, but never in half. The load must not fail while the backup
runs, and restore must refuse to overwrite a database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.bench._http import Load, Request, run_paced
from tests.bench._report import Figure, percentile
from tests.package_index import PackageIndex, wheel
from tests.soak._clients import SECRET_HASHES, Api, integrity, sha256
from tests.soak._server import Server, make_widget

SETTINGS = {"WIDGETBOX_POOL_SIZE": "1"}
VERSIONS, VERSIONS_SHORT = 2000, 50
"""Versions saved before the load (a bigger database makes a longer backup)."""
VERSION_BYTES, VERSION_BYTES_SHORT = 20_000, 2_000
RATE = 50.0
"""HTTP API requests per second while the backup runs."""
LOAD_BEFORE = 1.0
LOAD_AFTER = 1.0
"""Seconds of load before the backup starts, and after it ends."""
HELLO_API = """\
import anvil.server

@anvil.server.route("/hello")
def hello(**params):
    return "hello from the backup"
"""
USES_PACKAGE = "import soak_lib\nprint('soak-lib', soak_lib.VERSION)\n"
SECRETS = {"TOKEN": "the token \u2713", "DSN": "postgres://u:p@h/db", "EMPTYISH": " "}
CRON = "17 4 9 * *"


@dataclass
class Saved:
    """Versions saved by the writer during the load, with when each was acknowledged."""

    versions: dict[int, tuple[float, dict[str, str]]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def run(short: bool) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="widgetbox-soak-backup-") as folder:
        root = Path(folder)
        index = PackageIndex()
        index.add(wheel(root / "wheels", "soak-lib", "1.0"))
        with index.serving():
            return _drill(root, index.url, short)


def _drill(root: Path, index_url: str, short: bool) -> list[Figure]:
    settings = {**SETTINGS, "WIDGETBOX_PACKAGE_INDEX": index_url}
    (root / "a").mkdir()
    source = Server(root / "a" / "data", settings)
    source.start()
    problems: list[str] = []
    try:
        api = Api(source.owner())
        signed_in = Api.login(source.base, "soak")
        world = _make_world(api, short)
        hello: Request = ("GET", f"/w/{world['http']}/hello", {}, b"")
        saved, stop = Saved(), threading.Event()
        writer = threading.Thread(target=_keep_saving, args=(api, world["busy"], saved, stop))
        backup_file = root / "backups" / "widgetbox-backup.db"
        writer.start()
        try:
            before = Paced(source.base, hello).finish_after(LOAD_BEFORE)
            during = Paced(source.base, hello)
            began = time.monotonic()
            backed = _cli("backup", str(backup_file), "--data-dir", str(source.data_dir))
            ended = time.monotonic()
            during_load = during.finish_after(0)
            after = Paced(source.base, hello).finish_after(LOAD_AFTER)
        finally:
            stop.set()
            writer.join()
        if backed.returncode != 0:
            raise RuntimeError(f"widgetbox backup failed:\n{backed.stdout}{backed.stderr}")
        expected = _expected(api, world)
    except BaseException:
        print(f"server log (tail):\n{source.log_tail()}")
        raise
    finally:
        source.stop()

    # -- restore onto a fresh data folder ------------------------------------------------
    target = root / "b" / "data"
    key = source.data_dir / "secrets.key"
    keys = ["--key", str(key), "--server-key", str(source.data_dir / "server.key")]
    started = time.monotonic()
    restored = _cli("restore", str(backup_file), "--data-dir", str(target), *keys)
    restore_time = time.monotonic() - started
    if restored.returncode != 0:
        raise RuntimeError(f"widgetbox restore failed:\n{restored.stdout}{restored.stderr}")
    print("  " + restored.stderr.strip().replace("\n", "\n  "))
    again = _cli("restore", str(backup_file), "--data-dir", str(target), "--key", str(key))
    if again.returncode == 0 or "already exists" not in again.stderr:
        problems.append(f"a second restore onto the same folder was not refused: {again.stderr}")
    keyless = _cli("restore", str(backup_file), "--data-dir", str(root / "c" / "data"))
    if keyless.returncode != 0 or "cannot be read" not in keyless.stderr:
        problems.append(f"a restore without the key gave no warning: {keyless.stderr}")
    key_mode = (target / "secrets.key").stat().st_mode & 0o777
    if key_mode != 0o600:
        problems.append(f"the restored secrets key has mode {key_mode:o}")
    if integrity(target / "widgetbox.db") != "ok":
        problems.append("the restored database fails its integrity check")

    server = Server(target, settings)  # its log goes beside: root / "b"
    start = time.monotonic()
    server.start()
    server_start = time.monotonic() - start
    try:
        api = Api.login(server.base, "soak")
        missing = _missing(api, expected, saved, began, ended, problems)
        packages_after = _works(api, world, problems)
        signed_in.session.base = server.base  # a browser signed in before the backup
        whoami = signed_in.get("/api/session")
        change = signed_in.call("PATCH", f"/api/widgets/{world['http']}", {"title": "still me"})
        if not (whoami.ok and whoami.body["user"] and change.ok):
            problems.append(f"a session from before the backup: {whoami}; {change}")
    except BaseException:
        print(f"server log (tail):\n{server.log_tail()}")
        raise
    finally:
        server.stop()

    before_after = [before, after]
    errors_during = during_load.errors
    acked_before = sum(1 for acked, _ in saved.versions.values() if acked < began)
    return [
        Figure(
            "backup under load",
            ended - began,
            "s",
            note="`widgetbox backup` in its own process: "
            + backed.stderr.strip().splitlines()[0].removeprefix("widgetbox: "),
        ),
        Figure(
            "HTTP API errors while the backup ran",
            errors_during,
            "requests",
            target="= 0",
            met=errors_during == 0,
            note=f"{len(during_load.latencies)} requests at {RATE:.0f}/s; "
            f"{sum(load.errors for load in before_after)} errors before and after",
        ),
        Figure(
            "HTTP API p99 while the backup ran",
            percentile(during_load.latencies, 99) * 1000 if during_load.latencies else 0,
            "ms",
            baseline="p99 before and after the backup",
            baseline_value=percentile([x for load in before_after for x in load.latencies], 99)
            * 1000
            if any(load.latencies for load in before_after)
            else None,
        ),
        Figure(
            "saves failed during the load",
            len(saved.errors),
            "saves",
            target="= 0",
            met=not saved.errors,
            note="; ".join(saved.errors[:3]) or f"{len(saved.versions)} saves acknowledged",
        ),
        Figure("restore (check, copy, key)", restore_time, "s"),
        Figure("server start on the restored folder", server_start, "s"),
        Figure(
            "acknowledged writes missing from the restore",
            len(missing),
            "writes",
            target="= 0",
            met=not missing,
            note="; ".join(missing[:3])
            or f"{expected['count'] + acked_before} writes acknowledged before the backup "
            "began, all found",
        ),
        Figure(
            "things that did not work after the restore",
            len(problems),
            "",
            target="= 0",
            met=not problems,
            note="; ".join(problems[:3])
            or "secrets (by sha256), HTTP API, schedule's next fire time, versions, run "
            f"history, a save, a run, packages reinstalled ({packages_after:.1f} s), a "
            "session from before, restore refused over a database, warning without the key",
        ),
    ]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "widgetbox.host.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)


class Paced:
    """HTTP API requests at `RATE` per second on a thread, in slices of a quarter of a
    second, from now until `finish_after`."""

    def __init__(self, base: str, request: Request) -> None:
        self.base, self.request = base, request
        self.load = Load()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            part = run_paced(self.base, self.request, RATE, 0.25, connections=4)
            self.load.latencies += part.latencies
            for status, count in part.statuses.items():
                self.load.statuses[status] = self.load.statuses.get(status, 0) + count
            self.load.seconds += part.seconds

    def finish_after(self, seconds: float) -> Load:
        """Go on for `seconds` more, then stop; the whole load."""
        time.sleep(seconds)
        self._stop.set()
        self._thread.join()
        return self.load


def _keep_saving(api: Api, slug: str, saved: Saved, stop: threading.Event) -> None:
    head = 2
    while not stop.is_set():
        files = {"main.py": f"print({head + 1})\n", "note.txt": os.urandom(600).hex()}
        reply = api.call(
            "POST", f"/api/widgets/{slug}/versions", {"base_version": head, "files": files}
        )
        if not reply.ok:
            saved.errors.append(str(reply))
            return
        head = int(reply.body["version"])
        saved.versions[head] = (time.monotonic(), files)
        time.sleep(0.02)


def _make_world(api: Api, short: bool) -> dict[str, Any]:
    """Widgets of every kind with versions, runs, a schedule, secrets and packages."""
    session = api.session
    world: dict[str, Any] = {}
    world["secrets"] = make_widget(
        session, "script", {"main.py": SECRET_HASHES.format(names=sorted(SECRETS))}, title="secrets"
    )
    for name, value in SECRETS.items():
        api.must("PUT", f"/api/widgets/{world['secrets']}/secrets/{name}", {"value": value})
    world["task"] = make_widget(session, "scheduled", {"main.py": "print('tick')"}, title="task")
    api.must("PUT", f"/api/widgets/{world['task']}/schedule", {"type": "cron", "cron": CRON})
    world["http"] = make_widget(session, "http", {"main.py": HELLO_API}, visibility="public")
    world["busy"] = make_widget(session, "script", {"main.py": "print(0)"}, title="busy")
    world["history"] = make_widget(session, "script", {"main.py": "print(0)"}, title="history")
    size = VERSION_BYTES_SHORT if short else VERSION_BYTES
    head = 2
    for n in range(VERSIONS_SHORT if short else VERSIONS):
        files = {"main.py": f"print({n})\n", "data.txt": os.urandom(size // 2).hex()}
        head = api.must(
            "POST",
            f"/api/widgets/{world['history']}/versions",
            {"base_version": head, "files": files},
        )["version"]
    files = {"main.py": USES_PACKAGE, "requirements.txt": "soak-lib==1.0\n"}
    world["packages"] = make_widget(session, "script", files, title="packages")
    _wait_packages(api, world["packages"])
    for slug in (world["secrets"], world["packages"], world["history"]):
        api.wait_run(api.must("POST", f"/api/widgets/{slug}/runs", {})["id"])
    return world


def _wait_packages(api: Api, slug: str, deadline: float = 60.0) -> float:
    """Seconds until the widget's packages are ready."""
    started = time.monotonic()
    while True:
        status = api.must("GET", f"/api/widgets/{slug}/packages")["status"]
        if status == "ready":
            return time.monotonic() - started
        if status != "pending" or time.monotonic() - started > deadline:
            raise RuntimeError(f"the packages of {slug} are {status}")
        time.sleep(0.1)


def _expected(api: Api, world: dict[str, Any]) -> dict[str, Any]:
    """What the source server holds (read after the load, of what was written before it:
    nothing here changed during the load but the busy widget, checked apart)."""
    widgets = api.all_widgets()
    expected: dict[str, Any] = {"widgets": widgets, "versions": {}, "runs": {}, "count": 0}
    for slug in widgets:
        if slug == world["busy"]:
            continue
        for version in api.must("GET", f"/api/widgets/{slug}/versions")["versions"]:
            number = version["number"]
            expected["versions"][(slug, number)] = api.must(
                "GET", f"/api/widgets/{slug}/versions/{number}"
            )["files"]
        expected["runs"][slug] = {run["id"]: run["status"] for run in api.all_runs(slug)}
    expected["schedule"] = api.must("GET", f"/api/widgets/{world['task']}/schedule")
    expected["task"], expected["busy"] = world["task"], world["busy"]
    expected["count"] = (
        len(widgets)
        + len(expected["versions"])
        + sum(len(r) for r in expected["runs"].values())
        + len(SECRETS)
        + 1
    )
    return expected


def _missing(
    api: Api,
    expected: dict[str, Any],
    saved: Saved,
    began: float,
    ended: float,
    problems: list[str],
) -> list[str]:
    missing: list[str] = []
    widgets = api.all_widgets()
    missing += [f"widget {slug}" for slug in expected["widgets"] if slug not in widgets]
    for (slug, number), files in expected["versions"].items():
        reply = api.get(f"/api/widgets/{slug}/versions/{number}")
        if not reply.ok or reply.body["files"] != files:
            missing.append(f"version {number} of {slug} ({reply.status})")
    for slug, runs in expected["runs"].items():
        found = {run["id"]: run["status"] for run in api.all_runs(slug)} if slug in widgets else {}
        for run_id, status in runs.items():
            if found.get(run_id) != status:
                missing.append(f"run {run_id} of {slug}: {found.get(run_id)}, was {status}")
    missing += _busy(api, expected["busy"], saved, began, ended, problems)
    schedule = api.must("GET", f"/api/widgets/{expected['task']}/schedule")
    want = expected["schedule"]
    for key in ("rule", "paused", "next_run_at"):
        if schedule[key] != want[key]:
            missing.append(f"the schedule's {key}: {schedule[key]}, was {want[key]}")
    return missing


def _busy(
    api: Api, busy: str, saved: Saved, began: float, ended: float, problems: list[str]
) -> list[str]:
    """The widget saved during the backup: every version acknowledged before it began is
    in the copy; those acknowledged while it ran may be, whole; later ones are not."""
    missing = []
    listed = api.must("GET", f"/api/widgets/{busy}/versions")
    numbers = {version["number"] for version in listed["versions"]}
    if listed["head_version"] != max(numbers):
        problems.append(f"the busy widget's head is {listed['head_version']}, not {max(numbers)}")
    for number, (acked, files) in sorted(saved.versions.items()):
        if acked < began and number not in numbers:
            missing.append(f"version {number} of {busy}, saved before the backup")
        elif number in numbers and acked < ended:
            body = api.must("GET", f"/api/widgets/{busy}/versions/{number}")
            if body["files"] != files:
                problems.append(f"version {number} of {busy} has other files")
        elif number in numbers and acked > ended + 1:
            problems.append(f"version {number} of {busy}, saved after the backup, is in it")
    return missing


def _works(api: Api, world: dict[str, Any], problems: list[str]) -> float:
    """The restored server works: secrets by value, the HTTP API, a save, a run, and the
    packages (installed again from their lock); seconds until the packages were ready."""
    hashes = api.secret_hashes(world["secrets"])
    wanted = {name: sha256(value) for name, value in SECRETS.items()}
    if hashes != wanted:
        problems.append(f"the secrets' hashes are {hashes}")
    reply = api.get(f"/w/{world['http']}/hello")
    if reply.body != "hello from the backup":
        problems.append(f"the HTTP API answered {reply}")
    head = api.must("GET", f"/api/widgets/{world['history']}")["head_version"]
    saved = api.call(
        "POST",
        f"/api/widgets/{world['history']}/versions",
        {"base_version": head, "files": {"main.py": "print('restored')"}},
    )
    if not saved.ok:
        problems.append(f"a save failed: {saved}")
    run = api.wait_run(api.must("POST", f"/api/widgets/{world['history']}/runs", {})["id"])
    if (run["status"], run["stdout"]) != ("ok", "restored\n"):
        problems.append(f"a run ended {run['status']}: {run['stdout']!r}")
    try:
        ready = _wait_packages(api, world["packages"])
    except RuntimeError as e:
        problems.append(str(e))
        return 0.0
    run = api.wait_run(api.must("POST", f"/api/widgets/{world['packages']}/runs", {})["id"])
    if (run["status"], run["stdout"]) != ("ok", "soak-lib 1.0\n"):
        problems.append(
            f"the packages widget ran {run['status']}: {run['stdout']!r} {run['message']}"
        )
    return ready
