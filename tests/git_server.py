"""A real git server for tests: bare repositories under one folder, served over smart HTTP by
`git http-backend` (run as a CGI program behind `http.server`) on loopback, on a port of its
own. `redirect` answers every request under one path with a redirect elsewhere."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

GIT = shutil.which("git") or "git"


def _git(*args: str, cwd: Path | None = None) -> str:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd or Path.cwd()),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }
    done = subprocess.run([GIT, *args], cwd=cwd, env=env, check=True, capture_output=True)
    return done.stdout.decode()


def make_repo(
    root: Path, name: str, tree: Mapping[str, bytes], links: Mapping[str, str] = {}
) -> Path:
    """A bare repository `root/name` whose one commit holds `tree` (and symbolic `links`)."""
    work = root / f"{name}.work"
    work.mkdir(parents=True)
    _git("init", "-q", "-b", "main", cwd=work)
    for path, data in tree.items():
        target = work / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    for path, points_to in links.items():
        (work / path).symlink_to(points_to)
    _git("add", "-A", cwd=work)
    _git("commit", "-q", "-m", "The app", cwd=work)
    bare = root / name
    _git("clone", "-q", "--bare", str(work), str(bare), cwd=root)
    shutil.rmtree(work)
    return bare


def make_empty_repo(root: Path, name: str) -> Path:
    bare = root / name
    _git("init", "-q", "--bare", str(bare), cwd=root)
    return bare


@dataclass
class GitServer:
    root: Path
    port: int = 0
    redirects: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds every answer waits (a slow server)."""
    requests: list[str] = field(default_factory=list)

    def url(self, name: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/{name}"


class _Handler(BaseHTTPRequestHandler):
    server_state: GitServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        state = self.server_state
        path, _, query = self.path.partition("?")
        state.requests.append(path)
        if state.delay:
            time.sleep(state.delay)
        for prefix, location in state.redirects.items():
            if path.startswith(prefix):
                self.send_response(301)
                self.send_header(
                    "location", location + path[len(prefix) :] + (f"?{query}" if query else "")
                )
                self.send_header("content-length", "0")
                self.end_headers()
                return
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(state.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(state.root),
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("content-type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "GIT_PROTOCOL": self.headers.get("git-protocol", ""),
            "REMOTE_ADDR": "127.0.0.1",
        }
        if self.headers.get("content-encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["content-encoding"]
        done = subprocess.run(
            [GIT, "http-backend"], input=body, env=env, capture_output=True, check=False
        )
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = done.stdout.partition(b"\n\n")
        status = 200
        headers: list[tuple[str, str]] = []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _Quiet(ThreadingHTTPServer):
    """A client that hangs up early (git stops reading once it has what it wants) is no
    error: said nothing of, since a request thread may outlive its test and print into
    another's captured output."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def serving(root: Path) -> Iterator[GitServer]:
    """Serve the bare repositories under `root` on 127.0.0.1 until the block ends."""
    state = GitServer(root)
    handler = type("Handler", (_Handler,), {"server_state": state})
    httpd = _Quiet(("127.0.0.1", 0), handler)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
