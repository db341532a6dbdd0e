"""The single-file executable as an operator gets it: one file, run where there is no
Python for it, with `./widgetbox-linux-x86_64 serve`, used over real HTTP.

The executable is built once per session from the wheel under test
(`release/build_executable.py`: PyInstaller in a build environment of its own, as `just dist`
does; about three minutes with the wheel when measured on a busy two-core machine), or taken
from `WIDGETBOX_EXECUTABLE` (one built already, such as `just dist`'s). It runs with a
minimal environment, as `env -i` gives: a `HOME` of its own, `PATH=/usr/bin:/bin` (no
virtual environment, no Python of the project's), the working directory in a temporary
folder, and nothing else but the cache setting below.
The test of its processes checks that the server and every sandbox process is the executable
itself, not a Python found elsewhere.

The server uses the machine's compiled interpreter but not its included packages (requests,
httpx): its first start downloads those with the pip the executable carries and compiles
them, so the short version run by `just test` checks that path too. The slow variant starts
from an empty cache, as a new machine does (the interpreter downloaded, about 100 MB, and
compiled for a minute or more).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.release import _smoke as smoke
from tests.release._smoke import REPO, Person, Served, run, serve, signed_up
from widgetbox.runtime._paths import cache_dir

pytestmark = pytest.mark.release

MAX_EXECUTABLE_BYTES = 128 * 1024 * 1024
"""A bound on the executable's size (78 MB when written: Python, wasmtime's library and
the client's runtimes are most of it), so that something large slipping in is noticed."""
MACHINE_CACHE = cache_dir()
"""The machine's interpreter cache, which `just setup` fills (the executable's own wasmtime
is the wheel's, so it loads the same compiled interpreter)."""


@pytest.fixture(scope="session")
def executable(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The executable under test: WIDGETBOX_EXECUTABLE, or one built from the wheel now."""
    given = os.environ.get("WIDGETBOX_EXECUTABLE")
    if given:
        return Path(given).resolve()
    out = tmp_path_factory.mktemp("executable")
    script = REPO / "release" / "build_executable.py"
    return Path(run([sys.executable, str(script), str(wheel), str(out)], out).strip())


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary folder outside the checkout: the working directory and the home."""
    folder = tmp_path_factory.mktemp("executable-run")
    assert not folder.is_relative_to(REPO)
    (folder / "home").mkdir()
    return folder


def minimal_environment(root: Path, **extra: str) -> dict[str, str]:
    """What `env -i HOME=... PATH=/usr/bin:/bin` leaves, and `extra`."""
    return {"HOME": str(root / "home"), "PATH": "/usr/bin:/bin", **extra}


def cache_without_included_packages(folder: Path) -> Path:
    """An interpreter cache that shares the machine's interpreter, its compiled forms and the
    guest's bytecode, but has no included packages yet."""
    folder.mkdir()
    for part in ("interpreter", "compiled", "guest"):
        (folder / part).symlink_to(MACHINE_CACHE / part, target_is_directory=True)
    return folder


@pytest.fixture(scope="module")
def served(executable: Path, root: Path) -> Iterator[Served]:
    cache = cache_without_included_packages(root / "cache")
    env = minimal_environment(root, WIDGETBOX_CACHE_DIR=str(cache))
    with serve([str(executable)], root, env) as site:
        yield site


@pytest.fixture(scope="module")
def admin(served: Served) -> Iterator[Person]:
    with signed_up(served) as person:
        yield person


def test_it_is_one_file_that_needs_nothing_from_its_environment(
    executable: Path, root: Path
) -> None:
    assert executable.stat().st_size < MAX_EXECUTABLE_BYTES, f"{executable.stat().st_size} bytes"
    # an empty environment, and the variables that would lead a Python elsewhere: the
    # executable's Python ignores them (as `python -I` does) and imports only what it carries
    shadow = root / "shadow"
    shadow.mkdir()
    (shadow / "click.py").write_text("raise SystemExit('imported from PYTHONPATH')\n")
    # (and the working directory, where a stray click.py lies, is not on its `sys.path`)
    for env in ({}, {"PYTHONPATH": str(shadow), "PYTHONHOME": str(shadow)}):
        version = run([str(executable), "--version"], shadow, env)
        assert version.strip().endswith("version 0.1.0"), version


def test_the_first_start_downloads_the_included_packages_with_its_own_pip(
    served: Served, admin: Person
) -> None:
    log = served.log.read_text()
    assert "downloading the included packages" in log, log
    slug = admin.create("script", "Included", {"main.py": "import requests, httpx\nprint('ok')"})
    run = smoke.run_script(admin, slug)
    assert (run["status"], run["stdout"]) == ("ok", "ok\n"), run


def test_the_ide_is_served_with_its_built_scripts(admin: Person) -> None:
    smoke.check_the_ide(admin)


def test_a_script_runs_in_the_sandbox(admin: Person) -> None:
    smoke.check_a_script(admin)


def test_an_http_api_answers(served: Served, admin: Person) -> None:
    smoke.check_an_http_api(served, admin)


def test_a_gui_app_opens_with_its_loader_and_runtimes(served: Served, admin: Person) -> None:
    smoke.check_a_gui_app(served, admin)


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # ended meanwhile
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def test_the_server_and_its_sandbox_processes_are_the_executable(
    executable: Path, served: Served, admin: Person
) -> None:
    smoke.check_a_script(admin)  # so a sandbox process has run something
    processes = [served.process.pid, *descendants(served.process.pid)]
    programs = {pid: Path(f"/proc/{pid}/exe").resolve() for pid in processes}
    assert set(programs.values()) == {executable.resolve()}, programs
    commands = [Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") for pid in processes]
    workers = [c for c in commands if c[1:3] == [b"--python-module", b"widgetbox.runtime._worker"]]
    assert workers, commands


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_first_start_fetches_and_compiles_the_interpreter(executable: Path, root: Path) -> None:
    """A machine that never ran Widgetbox: an empty interpreter cache (see
    `smoke.check_the_first_start`)."""
    env = minimal_environment(root, WIDGETBOX_CACHE_DIR=str(root / "cold-cache"))
    smoke.check_the_first_start([str(executable)], root, env)
