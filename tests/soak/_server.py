"""A real Widgetbox server for the soak scenarios: `widgetbox serve` as its own process
group on loopback, on a data folder that outlives it, so a scenario can kill it with
SIGKILL, start it again on the same data, and read its processes' memory."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests.bench._http import Session, free_port

PASSWORD = "soak test password"
WORKER_MODULE = "widgetbox.runtime._worker"


class Server:
    """One `widgetbox serve` on `data_dir` with `settings` (WIDGETBOX_* variables) added to
    its environment. Its stderr goes to `data_dir.parent / "server-<port>.log"`."""

    def __init__(self, data_dir: Path, settings: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.settings = {
            "WIDGETBOX_LOG_LEVEL": "warning",
            "WIDGETBOX_LOGIN_ATTEMPTS_PER_MINUTE": "10000",
            "WIDGETBOX_HTTP_REQUESTS_PER_MINUTE": "10000000",
            **(settings or {}),
        }
        self.log_path = data_dir.parent / f"server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> None:
        """Start it and wait until it answers HTTP."""
        command = [sys.executable, "-m", "widgetbox.host.cli", "serve"]
        command += ["--port", str(self.port), "--data-dir", str(self.data_dir)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                env={**os.environ, **self.settings},
                stdout=log,
                stderr=log,
                start_new_session=True,  # its own process group: killed as a whole
            )
        deadline = time.monotonic() + timeout
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{self.log_tail()}")
            time.sleep(0.05)

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.base + "/api/session", timeout=2) as response:
                return bool(response.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def kill(self) -> None:
        """SIGKILL the server and its sandbox processes at once, as a power cut would."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def stop(self, timeout: float = 30.0) -> None:
        """Stop it as an operator would (SIGTERM); whatever is left of its process group
        after `timeout` is killed."""
        if self.process is None:
            return
        self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    @property
    def pid(self) -> int:
        assert self.process is not None, "the server is not running"
        return self.process.pid

    def sandbox_pids(self, role: str | None = None) -> list[int]:
        """The server's sandbox processes (its children running the sandbox worker); with
        `role`, only those for "requests" or for "scripts" (told apart by their settings,
        the worker's last argument: only a request process has a slot of its own)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent != self.pid or WORKER_MODULE.encode() not in cmdline:
                continue
            if role is not None:
                settings = json.loads(cmdline[-2] if cmdline[-1] == b"" else cmdline[-1])
                if role != ("scripts" if settings.get("slot") is None else "requests"):
                    continue
            found.append(int(entry.name))
        return sorted(found)

    def memory(self) -> dict[str, int]:
        """Resident bytes (anonymous: see `rss`) of the server process and of all its
        sandbox processes."""
        return {
            "server": rss(self.pid),
            "sandbox": sum(rss(pid) for pid in self.sandbox_pids()),
        }

    def log_tail(self, size: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-size:]
        except OSError:
            return ""

    def owner(self, username: str = "soak") -> Session:
        """A signed-in session; the first account signs up (and is the admin)."""
        session = Session(self.base)
        try:
            session.call("POST", "/api/auth/signup", {"username": username, "password": PASSWORD})
        except urllib.error.HTTPError as e:
            if e.code != 409:
                raise
            session.call("POST", "/api/auth/login", {"username": username, "password": PASSWORD})
        return session


def rss(pid: int) -> int:
    """The resident memory a process owns, in bytes (0 when it has gone): its anonymous
    pages (`RssAnon`), where a leak would grow. Not the whole resident set: that also counts
    the pages of files it maps as it touches them, such as the compiled interpreter every
    sandbox process maps from the cache, which grows for minutes as more of its code runs
    and is shared by all of them."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@contextlib.contextmanager
def running(data_dir: Path, settings: dict[str, str] | None = None) -> Iterator[Server]:
    """A started server that is stopped (or killed) when the block ends."""
    server = Server(data_dir, settings)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def make_widget(session: Session, kind: str, files: dict[str, str], **fields: object) -> str:
    """Create a widget of `kind` with `files` as its second version; its slug."""
    created = session.call(
        "POST", "/api/widgets", {"kind": kind, "title": f"soak {kind}", **fields}
    )
    slug = str(created["slug"])  # type: ignore[index]
    session.call("POST", f"/api/widgets/{slug}/versions", {"base_version": 1, "files": files})
    return slug
