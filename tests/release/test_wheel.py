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

import json
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.release import _smoke as smoke
from tests.release._smoke import REPO, Person, Served, outside_environment, run, serve, signed_up

pytestmark = pytest.mark.release

MAX_WHEEL_BYTES = 48 * 1024 * 1024
"""A bound on the wheel's size (24 MB when written: the client's runtimes are most of it), so
that something large slipping into the package data is noticed."""


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


@pytest.fixture(scope="module")
def served(installed: Installed) -> Iterator[Served]:
    """`widgetbox serve` from the installed package, on a free loopback port and a new data
    folder, with the machine's interpreter cache."""
    with serve([str(installed.widgetbox)], installed.root, outside_environment()) as site:
        yield site


@pytest.fixture(scope="module")
def admin(served: Served) -> Iterator[Person]:
    with signed_up(served) as person:
        yield person


def test_the_ide_is_served_with_its_built_scripts(admin: Person) -> None:
    smoke.check_the_ide(admin)


def test_a_script_runs_in_the_sandbox(admin: Person) -> None:
    smoke.check_a_script(admin)


def test_an_http_api_answers(served: Served, admin: Person) -> None:
    smoke.check_an_http_api(served, admin)


def test_a_gui_app_opens_with_its_loader_and_runtimes(served: Served, admin: Person) -> None:
    smoke.check_a_gui_app(served, admin)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_first_start_fetches_and_compiles_the_interpreter(installed: Installed) -> None:
    """A machine that never ran Widgetbox: an empty interpreter cache (see
    `smoke.check_the_first_start`)."""
    cache = installed.root / "cold-cache"
    env = outside_environment(WIDGETBOX_CACHE_DIR=str(cache))
    smoke.check_the_first_start([str(installed.widgetbox)], installed.root, env)
