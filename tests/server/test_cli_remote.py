"""The command line for a remote server: the real `widgetbox` command, a process with a home
and config folder of its own, against a real server on a loopback port (uvicorn in a
thread, the real sandbox), over HTTP: logging in with a password and with a token, list,
clone, edit, status, push, conflicts and --force, pull, run with its output streamed,
logs (and --follow), open and watch."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.server._client import PASSWORD
from tests.server._live import Client, Live, serve
from widgetbox.host.cli import credentials

pytestmark = pytest.mark.server

WIDGETBOX = str(Path(sys.executable).parent / "widgetbox")
TOKEN = re.compile(r"wbt_[A-Za-z0-9]{43}")
WAIT = 30.0
"""Seconds a test waits at most for a line from a command that keeps running."""


@dataclass
class Site:
    live: Live
    alice: Client
    token: str
    """A write token of alice's, made in her browser session."""

    @property
    def base(self) -> str:
        return self.live.base

    def widget(
        self, title: str, files: dict[str, str], kind: str = "script", visibility: str = "private"
    ) -> str:
        return self.alice.widget_with(kind, files, visibility, title)

    def head(self, slug: str) -> dict[str, Any]:
        found: dict[str, Any] = self.alice.api("GET", f"/api/widgets/{slug}").json()
        return found


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with serve(tmp_path_factory.mktemp("cli-remote")) as live:
        live.user("admin")
        alice = live.user("alice")
        made = alice.api("POST", "/api/tokens", json={"name": "tests", "scope": "write"})
        assert made.status_code == 201, made.text
        yield Site(live, alice, made.json()["value"])


class Lines:
    """A running command's output, line by line, read by a thread (so a test can wait for a
    line with a deadline)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: queue.Queue[str | None] = queue.Queue()
        assert process.stdout is not None
        stdout = process.stdout
        threading.Thread(target=self._read, args=(stdout,), daemon=True).start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            self.lines.put(line)
        self.lines.put(None)

    def next(self, deadline: float = WAIT) -> str:
        try:
            line = self.lines.get(timeout=deadline)
        except queue.Empty:
            raise AssertionError(f"no line within {deadline} s") from None
        assert line is not None, f"the command ended: {self.stop()}"
        return line

    def next_json(self, event: str | None = None) -> dict[str, Any]:
        """The next JSON line (of this event, when given: others are passed over)."""
        until = time.monotonic() + WAIT
        while True:
            record: dict[str, Any] = json.loads(self.next(max(0.1, until - time.monotonic())))
            if event is None or record.get("event") == event:
                return record

    def wait(self) -> tuple[int, str]:
        """Its exit status, once it ended, and what it wrote on stderr."""
        _, stderr = self.process.communicate(timeout=WAIT)
        return self.process.returncode, stderr

    def stop(self) -> tuple[int, str]:
        """Ctrl-C, then `wait`."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.wait()


class Cli:
    """The `widgetbox` command with a home of its own (so its config folder too)."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.started: list[subprocess.Popen[str]] = []
        home.mkdir(parents=True, exist_ok=True)
        self.env = {
            **{key: value for key, value in os.environ.items() if not key.startswith("WIDGETBOX_")},
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
        }

    @property
    def credentials(self) -> Path:
        return self.home / ".config" / "widgetbox" / credentials.FILE_NAME

    def __call__(
        self, *args: str, cwd: Path | None = None, stdin: str = ""
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [WIDGETBOX, *args],
            cwd=cwd or self.home,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def json(self, *args: str, cwd: Path | None = None) -> dict[str, Any]:
        done = self(*args, "--json", cwd=cwd)
        assert done.returncode == 0, (done.stdout, done.stderr)
        record: dict[str, Any] = json.loads(done.stdout)
        return record

    def start(self, *args: str, cwd: Path | None = None) -> Lines:
        process = subprocess.Popen(
            [WIDGETBOX, *args],
            cwd=cwd or self.home,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.started.append(process)
        return Lines(process)

    def close(self) -> None:
        """End what a failed test left running."""
        for process in self.started:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=WAIT)


@pytest.fixture
def cli(tmp_path: Path, site: Site) -> Iterator[Cli]:
    """The command, logged in to the site as alice with her write token (the file `login`
    writes; the tests of `login` itself start without it)."""
    command = Cli(tmp_path / "home")
    login = credentials.Login(site.base, "alice", site.token)
    logins = credentials.Logins(site.base, {site.base: login})
    command.credentials.parent.mkdir(parents=True)
    command.credentials.write_text(credentials.text_of(logins))
    command.credentials.chmod(0o600)
    yield command
    command.close()


def never_shows(token: str, *outputs: subprocess.CompletedProcess[str]) -> None:
    for done in outputs:
        assert token not in done.stdout + done.stderr
        assert not TOKEN.search(done.stdout + done.stderr)


# -- logging in ----------------------------------------------------------------------------


def test_login_with_a_password_makes_a_token_kept_privately(site: Site, tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    wrong = cli("login", site.base, "-u", "alice", "--password-stdin", stdin="not it\n")
    assert wrong.returncode == 7, wrong.stderr
    assert "That username and password do not match." in wrong.stderr
    assert not cli.credentials.exists()

    done = cli("login", site.base, "-u", "alice", "--password-stdin", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Logged in to {site.base} as alice (token 'cli on ")
    assert stat.S_IMODE(cli.credentials.stat().st_mode) == 0o600
    assert stat.S_IMODE(cli.credentials.parent.stat().st_mode) == 0o700
    [kept] = TOKEN.findall(cli.credentials.read_text())
    never_shows(kept, wrong, done)
    tokens = site.alice.api("GET", "/api/tokens").json()["tokens"]
    made = [t for t in tokens if t["prefix"] and kept.startswith(t["prefix"].rstrip("…"))]
    assert [(t["name"].startswith("cli on "), t["scope"]) for t in made] == [(True, "write")]

    slug = site.widget("Listed widget", {"main.py": "print(1)\n"})
    listed = cli.json("list")
    assert slug in [widget["slug"] for widget in listed["widgets"]]

    out = cli("logout")
    assert out.returncode == 0, out.stderr
    assert f"Logged out of {site.base}" in out.stdout
    assert not TOKEN.search(cli.credentials.read_text())
    after = cli("list")
    assert after.returncode == 7
    assert "Not logged in: run `widgetbox login URL` first." in after.stderr


def test_login_with_a_token_made_in_settings(site: Site, tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    done = cli("login", site.base, "--token", "-", stdin=site.token + "\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"Logged in to {site.base} as alice.\n"
    bad = cli("login", site.base, "--token", "-", stdin="wbt_" + "x" * 43 + "\n")
    assert bad.returncode == 7
    assert f"Error: {site.base} refused the token: invalid." in bad.stderr
    never_shows(site.token, done, bad)
    assert site.token in cli.credentials.read_text()  # the refused one changed nothing


# -- a widget as a folder ------------------------------------------------------------------


def test_clone_edit_status_push_open(site: Site, cli: Cli, tmp_path: Path) -> None:
    slug = site.widget("Round trip", {"main.py": "print('one')\n", "old.py": "x = 1\n"})
    done = cli("clone", slug, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"Cloned {slug} (version 2, 2 files) into {slug}\n"
    folder = tmp_path / slug
    assert (folder / "main.py").read_text() == "print('one')\n"
    assert 'kind = "script"' in (folder / ".widgetbox.toml").read_text()
    assert "version = 2" in (folder / ".widgetbox" / "remote.toml").read_text()

    (folder / "main.py").write_text("from helper import greet\nprint(greet())\n")
    (folder / "helper.py").write_text("def greet():\n    return 'two'\n")
    (folder / "old.py").unlink()
    (folder / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff binary")
    status = cli.json("status", cwd=folder)
    assert status["local"] == {
        "helper.py": "added",
        "logo.png": "added",
        "main.py": "modified",
        "old.py": "deleted",
    }
    assert (status["version"], status["head_version"], status["server_changes"]) == (2, 2, {})

    pushed = cli("push", "-m", "From my editor", cwd=folder)
    assert pushed.returncode == 0, pushed.stderr
    assert pushed.stdout.startswith(f"Pushed {slug} version 3 to {site.base}:\n")
    assert "  modified  main.py\n" in pushed.stdout
    head = site.head(slug)
    assert head["head_version"] == 3
    assert sorted(head["files"]) == ["helper.py", "logo.png", "main.py"]
    assert head["files"]["logo.png"].startswith("data:image/png;base64,")
    versions = site.alice.api("GET", f"/api/widgets/{slug}/versions").json()["versions"]
    assert versions[0]["message"] == "From my editor"

    again = cli("status", cwd=folder)
    assert again.returncode == 0, again.stderr
    assert f"{slug} on {site.base}: folder at version 3 (the server's latest)" in again.stdout
    assert "No changes in this folder since version 3." in again.stdout

    opened = cli.json("open", cwd=folder)
    assert opened["url"] == f"{site.base}/widgets/{slug}"


def test_a_folder_follows_its_widget_to_a_new_address(site: Site, cli: Cli, tmp_path: Path) -> None:
    slug = site.widget("Moving", {"main.py": "print('one')\n"})
    assert cli("clone", slug, cwd=tmp_path).returncode == 0
    renamed = site.alice.api("PATCH", f"/api/widgets/{slug}", json={"slug": f"{slug}-moved"})
    assert renamed.status_code == 200, renamed.text
    folder = tmp_path / slug
    (folder / "main.py").write_text("print('two')\n")
    # the folder still names the former address: the server redirects (308, the body kept)
    pushed = cli("push", cwd=folder)
    assert pushed.returncode == 0, pushed.stderr
    assert site.head(f"{slug}-moved")["files"]["main.py"] == "print('two')\n"
    # and the link now names the new address, so the former one may go to another widget
    assert f'slug = "{slug}-moved"' in (folder / ".widgetbox" / "remote.toml").read_text()
    listed = cli("list")
    assert f"{slug}-moved" in listed.stdout
    assert f"alice/{slug}" not in listed.stdout


def test_a_push_never_overwrites_a_newer_version_unless_forced(
    site: Site, cli: Cli, tmp_path: Path
) -> None:
    slug = site.widget("Contested", {"main.py": "print('base')\n"})
    assert cli("clone", slug, "here", cwd=tmp_path).returncode == 0
    folder = tmp_path / "here"
    (folder / "main.py").write_text("print('mine')\n")
    theirs = site.alice.save(slug, {"main.py": "print('theirs')\n"})
    assert theirs == 3

    refused = cli("push", cwd=folder)
    assert refused.returncode == 1
    assert f"Not pushed: {slug} was saved elsewhere since this folder's version 2; the " in (
        refused.stderr
    )
    assert "latest is version 3. Nothing was overwritten." in refused.stderr
    assert "`widgetbox push --force` to save yours over them as version 4" in refused.stderr
    assert site.head(slug)["files"]["main.py"] == "print('theirs')\n"

    forced = cli.json("push", "--force", cwd=folder)
    assert (forced["pushed"], forced["version"], forced["changed"]) == (
        True,
        4,
        {"main.py": "modified"},
    )
    assert site.head(slug)["files"]["main.py"] == "print('mine')\n"


def test_pull_takes_the_servers_changes_and_keeps_the_folders(
    site: Site, cli: Cli, tmp_path: Path
) -> None:
    slug = site.widget("Merged", {"main.py": "print('a')\n", "util.py": "A = 1\n"})
    assert cli("clone", slug, cwd=tmp_path).returncode == 0
    folder = tmp_path / slug
    (folder / "util.py").write_text("A = 2\n")
    site.alice.save(slug, {"main.py": "print('b')\n", "util.py": "A = 1\n", "new.py": ""})

    status = cli.json("status", cwd=folder)
    assert (status["local"], status["server_changes"], status["conflicts"]) == (
        {"util.py": "modified"},
        {"main.py": "modified", "new.py": "added"},
        [],
    )
    pulled = cli.json("pull", cwd=folder)
    assert (pulled["version"], pulled["taken"], pulled["kept"]) == (
        3,
        {"main.py": "modified", "new.py": "added"},
        {"util.py": "modified"},
    )
    assert (folder / "main.py").read_text() == "print('b')\n"
    assert (folder / "util.py").read_text() == "A = 2\n"
    assert cli.json("push", cwd=folder)["version"] == 4
    assert site.head(slug)["files"] == {
        "main.py": "print('b')\n",
        "util.py": "A = 2\n",
        "new.py": "",
    }

    (folder / "main.py").write_text("print('mine')\n")
    site.alice.save(slug, {"main.py": "print('theirs')\n", "util.py": "A = 2\n", "new.py": ""})
    both = cli("pull", cwd=folder)
    assert both.returncode == 1
    assert (
        "Not pulled: changed both in this folder and on the server since version 4: main.py."
        in (both.stderr)
    )
    assert (folder / "main.py").read_text() == "print('mine')\n"


# -- runs and logs -------------------------------------------------------------------------

STREAMED = """\
import sys, time
print("first", flush=True)
time.sleep(1.5)
print("second")
print("careful", file=sys.stderr)
raise ValueError("no")
"""


def test_run_streams_the_output_and_logs_keep_it(site: Site, cli: Cli) -> None:
    slug = site.widget("Streamed", {"main.py": STREAMED})
    run = cli.start("run", slug)
    assert run.next() == "first\n"
    printed = time.monotonic()
    assert run.next() == "second\n"
    assert time.monotonic() - printed >= 1.0  # the first line came while the run slept
    status, stderr = run.wait()
    assert status == 1  # the code raised, as `widgetbox run FILE` says it
    assert "careful\n" in stderr
    assert 'raise ValueError("no")' in stderr
    assert "ValueError: no" in stderr

    logs = cli("logs", slug, "--json")
    assert logs.returncode == 0, logs.stderr
    [entry] = [json.loads(line) for line in logs.stdout.splitlines()]
    assert (entry["number"], entry["trigger"], entry["status"]) == (1, "manual", "error")
    assert entry["stdout"] == "first\nsecond\n"


HTTP_API = """\
import anvil.server

@anvil.server.route("/hello")
def hello(**params):
    print("saying hello to", params.get("name"))
    return "hello"
"""


def test_logs_follow_shows_each_request_as_it_ends(site: Site, cli: Cli) -> None:
    slug = site.widget("Followed", {"main.py": HTTP_API}, kind="http", visibility="public")
    follow = cli.start("logs", slug, "--follow", "--json", "--interval", "0.2")
    anon = site.live.client()
    for name in ("ann", "bob"):
        assert anon.get(f"/w/{slug}/hello", params={"name": name}).text == "hello"
        entry = follow.next_json()
        assert entry["request"]["path"] == "/hello"
        assert entry["stdout"] == f"saying hello to {name}\n"
    status, _ = follow.stop()
    assert status == 0


def test_watch_pushes_once_after_a_save(site: Site, cli: Cli, tmp_path: Path) -> None:
    slug = site.widget("Watched", {"main.py": "print('before')\n"})
    assert cli("clone", slug, cwd=tmp_path).returncode == 0
    folder = tmp_path / slug
    watch = cli.start("watch", str(folder), "--json", "--debounce", "100")
    assert watch.next_json("watching")["version"] == 2
    (folder / "main.py").write_text("print('after')\n")
    pushed = watch.next_json()
    assert (pushed["event"], pushed["version"], pushed["changed"]) == (
        "pushed",
        3,
        {"main.py": "modified"},
    )
    status, stderr = watch.stop()
    assert status == 0, stderr
    head = site.head(slug)
    assert (head["head_version"], head["files"]["main.py"]) == (3, "print('after')\n")
