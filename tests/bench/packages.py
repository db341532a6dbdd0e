"""Installed packages in the sandbox: what mounting a widget's packages costs a request, and
whether importing an installed package is as fast as importing the stdlib.

The package is a real pure-Python one, `idna` (9 modules, 550 kB of source, two large data
tables), copied from this checkout's own virtual environment and compiled for the sandbox
as an install does (`Runtime.compile_packages`). "As the stdlib is imported" means the same
bytecode from a zip archive on `sys.path`, which is how the interpreter's stdlib is stored.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import zipfile
from pathlib import Path

import idna

from widgetbox.runtime import Code, HttpRequest, Route, Runtime, Status

from ._report import Figure, median, percentile

HELLO = """
import anvil.server

@anvil.server.route("/hello")
def hello(**q):
    return "hello"
"""
IMPORT = """
import sys, time
{setup}
started = time.perf_counter()
import idna
elapsed = time.perf_counter() - started
import anvil.server

@anvil.server.route("/hello")
def hello(**q):
    return str(elapsed)
"""
ZIP_NAME = "as-stdlib.zip"


def environment(root: Path) -> Path:
    """A packages folder holding `idna` as an install leaves it (without bytecode yet)."""
    folder = root / "env"
    source = Path(idna.__file__).parent
    shutil.copytree(source, folder / "idna", ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def zip_like_the_stdlib(folder: Path) -> None:
    """The folder's compiled modules in a zip archive laid out as the stdlib's."""
    with zipfile.ZipFile(folder / ZIP_NAME, "w") as archive:
        for pyc in (folder / "idna" / "__pycache__").glob("*.pyc"):
            module = pyc.name.split(".")[0]
            archive.write(pyc, f"idna/{module}.pyc")


def request(runtime: Runtime, source: str, packages: Path | None) -> tuple[float, str]:
    """One request in a fresh interpreter (the pool refilled first): wall ms and the body."""
    runtime.wait_ready(10)
    code = Code({"main.py": source}, packages=packages)
    started = time.perf_counter()
    result = runtime.run(Route(code, HttpRequest("GET", "/hello")))
    elapsed = (time.perf_counter() - started) * 1000
    if result.status is not Status.OK or result.response is None:
        raise RuntimeError(f"the benchmark request failed: {result.message}\n{result.stderr}")
    return elapsed, result.response.body.decode()


def samples(runtime: Runtime, source: str, packages: Path | None, count: int) -> list[float]:
    request(runtime, source, packages)  # the first one starts the folder's spare guest
    return [request(runtime, source, packages)[0] for _ in range(count)]


def import_ms(runtime: Runtime, setup: str, packages: Path, count: int) -> list[float]:
    """Milliseconds `import idna` takes inside the guest."""
    source = IMPORT.format(setup=setup)
    request(runtime, source, packages)
    return [float(request(runtime, source, packages)[1]) * 1000 for _ in range(count)]


def run(quick: bool = False) -> list[Figure]:
    count = 40 if quick else 200
    with tempfile.TemporaryDirectory() as tmp, Runtime(pool_size=2, processes=1) as runtime:
        plain = environment(Path(tmp) / "plain")  # no bytecode: compiled on every import
        folder = environment(Path(tmp) / "compiled")
        modules = runtime.compile_packages(folder)
        zip_like_the_stdlib(folder)

        without = samples(runtime, HELLO, None, count)
        mounted = samples(runtime, HELLO, folder, count)
        first = []
        for n in range(10 if quick else 30):
            fresh = Path(tmp) / f"first-{n}"
            shutil.copytree(folder, fresh)
            first.append(request(runtime, HELLO, fresh)[0])
        importing = samples(runtime, IMPORT.format(setup=""), folder, count)

        from_env = import_ms(runtime, "", folder, count)
        as_stdlib = import_ms(runtime, f"sys.path.insert(0, '/packages/{ZIP_NAME}')", folder, count)
        from_source = import_ms(runtime, "", plain, count // 4)

    p50 = median(without)
    return [
        Figure(
            "hello route with packages mounted: p50",
            median(mounted),
            "ms",
            "the same route without packages, p50",
            p50,
            "<= 2x",
            median(mounted) <= 2 * p50,
            note="the folder's guest is started ahead, as the pool does for folders in use",
        ),
        Figure("hello route with packages mounted: p99", percentile(mounted, 99), "ms"),
        Figure(
            "hello route importing idna from its packages: p50",
            median(importing),
            "ms",
            "hello route without packages, p50",
            p50,
            note="the cold start of a widget that uses a package: its import included",
        ),
        Figure(
            "first request with a new packages folder: p50",
            median(first),
            "ms",
            "hello route without packages, p50",
            p50,
            note="no guest started ahead for it yet: the interpreter starts in the request",
        ),
        Figure(
            "import idna from installed packages: p50",
            median(from_env),
            "ms",
            "the same bytecode imported as the stdlib is (zip)",
            median(as_stdlib),
            "about 1x",
            median(from_env) <= 1.25 * median(as_stdlib),
            note=f"{modules} modules compiled for the sandbox when installed",
        ),
        Figure(
            "import idna without precompiled bytecode: p50",
            median(from_source),
            "ms",
            "with the bytecode an install compiles",
            median(from_env),
        ),
    ]
