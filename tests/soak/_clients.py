"""What the fault scenarios (crash, disk_full, backup_drill) share: a JSON API client that
reports every outcome instead of raising (a request cut off by a kill is an outcome too),
runs followed to their end, SQLite integrity checks from outside the server, and a
size-limited tmpfs."""

from __future__ import annotations

import contextlib
import errno
import http.client
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.bench._http import Session
from tests.soak._server import PASSWORD
from widgetbox.runtime import FINISHED

UNFINISHED = ("queued", "running")

SECRET_HASHES = """\
import hashlib
import anvil.secrets

for name in {names!r}:
    try:
        value = anvil.secrets.get_secret(name)
    except Exception:
        print(name, "-")
    else:
        print(name, hashlib.sha256(value.encode()).hexdigest())
"""
"""A script printing each named secret's sha256 ("-" when it has none)."""


def sha256(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Reply:
    """One request's outcome. `status` is 0 when no complete answer arrived (the server was
    killed, or did not answer within the timeout): then the write may or may not have
    happened."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    problem: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def code(self) -> str:
        """The error's `code` in the one error shape ("" otherwise)."""
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return str(self.body["error"].get("code", ""))
        return ""

    @property
    def message(self) -> str:
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return str(self.body["error"].get("message", ""))
        return ""

    def __str__(self) -> str:
        shown = self.problem or (json.dumps(self.body)[:300] if self.body is not None else "")
        return f"{self.status} {shown}"


class Api:
    """A signed-in client of one server (cookies and the CSRF header, like the IDE)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @classmethod
    def login(cls, base: str, username: str) -> Api:
        session = Session(base)
        session.call("POST", "/api/auth/login", {"username": username, "password": PASSWORD})
        return cls(session)

    def call(self, method: str, path: str, body: object = None, timeout: float = 30.0) -> Reply:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.session.base + path, data=data, method=method)
        request.add_header("content-type", "application/json")
        token = self.session.cookies.get("wb_csrf")
        if token:
            request.add_header("x-csrf-token", token)
        started = time.perf_counter()
        try:
            with self.session.opener.open(request, timeout=timeout) as response:
                status, headers, text = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as e:
            try:
                status, headers, text = e.code, dict(e.headers), e.read()
            except (OSError, http.client.HTTPException) as cut:
                return Reply(0, seconds=time.perf_counter() - started, problem=repr(cut))
        except (OSError, http.client.HTTPException) as e:  # refused, reset, cut off, timed out
            return Reply(0, seconds=time.perf_counter() - started, problem=repr(e))
        seconds = time.perf_counter() - started
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text.decode(errors="replace")
        headers = {name.lower(): value for name, value in headers.items()}
        return Reply(status, parsed, headers, seconds)

    def get(self, path: str, timeout: float = 30.0) -> Reply:
        return self.call("GET", path, timeout=timeout)

    def must(self, method: str, path: str, body: object = None) -> Any:
        """The body of a request that has to succeed (setting up, verifying)."""
        reply = self.call(method, path, body)
        if not reply.ok:
            raise RuntimeError(f"{method} {path}: {reply}")
        return reply.body

    def all_widgets(self) -> dict[str, dict[str, Any]]:
        """Every widget of this user, by slug."""
        found: dict[str, dict[str, Any]] = {}
        offset = 0
        while True:
            page = self.must("GET", f"/api/widgets?limit=200&offset={offset}")["widgets"]
            found.update({widget["slug"]: widget for widget in page})
            if len(page) < 200:
                return found
            offset += 200

    def all_runs(self, slug: str) -> list[dict[str, Any]]:
        """The widget's whole run history (scripts and scheduled runs)."""
        found: list[dict[str, Any]] = []
        while True:
            page = self.must("GET", f"/api/widgets/{slug}/runs?limit=200&offset={len(found)}")
            found += page["runs"]
            if len(page["runs"]) < 200:
                return found

    def wait_run(self, run_id: int, deadline: float = 60.0) -> dict[str, Any]:
        """The run's record once it has finished."""
        until = time.monotonic() + deadline
        while True:
            detail: dict[str, Any] = self.must("GET", f"/api/runs/{run_id}")
            if detail["status"] in FINISHED:
                return detail
            if time.monotonic() > until:
                raise RuntimeError(f"run {run_id} did not finish in {deadline} s: {detail}")
            time.sleep(0.05)

    def secret_hashes(self, slug: str) -> dict[str, str]:
        """Run the widget (whose code is SECRET_HASHES) and read what it printed: each
        secret's sha256, or "-"."""
        run = self.wait_run(int(self.must("POST", f"/api/widgets/{slug}/runs", {})["id"]))
        if run["status"] != "ok":
            raise RuntimeError(f"the secrets run failed: {run['status']} {run['message']}")
        return dict(line.split(" ", 1) for line in run["stdout"].splitlines())


# -- SQLite, from outside the server -------------------------------------------------------


def integrity(database: Path) -> str:
    """`PRAGMA integrity_check` through a read-only connection of its own (safe while the
    server runs: it never checkpoints or deletes the WAL); "ok" when the file is whole."""
    connection = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
        return "; ".join(str(row[0]) for row in rows[:5])
    except sqlite3.DatabaseError as e:
        return f"cannot be checked: {e}"
    finally:
        connection.close()


def integrity_of_copy(database: Path) -> str:
    """The integrity check of a copy of the database and its WAL, as a stopped (or killed)
    server left them: the copy recovers the WAL as the next start will, and the files the
    server will open are left exactly as they were."""
    with tempfile.TemporaryDirectory(prefix="widgetbox-check-") as folder:
        copy = Path(folder) / database.name
        shutil.copy2(database, copy)
        wal = Path(f"{database}-wal")
        if wal.exists():
            shutil.copy2(wal, Path(f"{copy}-wal"))
        connection = sqlite3.connect(copy)
        try:
            rows = connection.execute("PRAGMA integrity_check").fetchall()
            return "; ".join(str(row[0]) for row in rows[:5])
        except sqlite3.DatabaseError as e:
            return f"cannot be checked: {e}"
        finally:
            connection.close()


# -- a small file system -------------------------------------------------------------------


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """`folder` (created) with a tmpfs of `size` (e.g. "64m") mounted on it, unmounted when
    the block ends. RuntimeError saying why when it cannot be mounted (not root, no mount)."""
    folder.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None:
        raise RuntimeError("there is no mount command")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        why = mounted.stderr.strip() or f"mount exited with {mounted.returncode}"
        raise RuntimeError(f"cannot mount a tmpfs on {folder} (uid {os.geteuid()}): {why}")
    try:
        yield folder
    finally:
        for _ in range(50):  # a process may still be leaving it
            if subprocess.run(["umount", str(folder)], check=False).returncode == 0:
                break
            time.sleep(0.1)
        else:
            subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> tuple[Path, int]:
    """Fill `folder`'s file system with one file until ENOSPC, to the last byte; the file
    and its size."""
    filler = folder / "filler.bin"
    written = 0
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for chunk in (1 << 20, 1 << 12, 1):
            block = b"\0" * chunk
            try:
                while count := os.write(fd, block):
                    written += count
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
    finally:
        os.close(fd)
    return filler, written


def free_bytes(folder: Path) -> int:
    stat = os.statvfs(folder)
    return stat.f_bavail * stat.f_frsize
