"""Installed packages in the sandbox: a job's packages folder is importable in every mode,
the guest sees that folder only (read-only) and no other widget's, pooled guests are kept
per folder, and a folder compiles to bytecode that imports load without compiling."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from widgetbox.runtime import (
    Call,
    Code,
    GuestError,
    HttpRequest,
    Route,
    Runtime,
    Script,
    Status,
)

pytestmark = pytest.mark.sandbox

GREETER = """
VERSION = "1.0"

def greet(name):
    return f"Hello, {name}, from greeter {VERSION}"
"""


def environment(root: Path, name: str, modules: dict[str, str]) -> Path:
    """A packages folder as an install leaves it: importable files and a dist-info."""
    folder = root / name
    for relative, text in modules.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    info = folder / "greeter-1.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: greeter\nVersion: 1.0\n")
    return folder


@pytest.fixture
def greeter(tmp_path: Path) -> Path:
    return environment(tmp_path, "env-a", {"greeter/__init__.py": GREETER})


@pytest.fixture(scope="module")
def rt() -> Iterator[Runtime]:
    with Runtime(pool_size=2, processes=1, cache_bytecode=False) as runtime:
        yield runtime


def test_a_script_imports_its_packages(rt: Runtime, greeter: Path) -> None:
    source = "import greeter, importlib.metadata\nprint(greeter.greet('Ada'))\n"
    source += "print(importlib.metadata.version('greeter'), greeter.__file__)\n"
    result = rt.run(Script(Code({"main.py": source}, packages=greeter)))
    assert result.status is Status.OK, result.stderr
    assert result.stdout.splitlines() == [
        "Hello, Ada, from greeter 1.0",
        "1.0 /packages/greeter/__init__.py",
    ]


def test_calls_and_routes_import_their_packages(rt: Runtime, greeter: Path) -> None:
    module = (
        "import anvil.server, greeter\n"
        "@anvil.server.callable\ndef hello(name):\n    return greeter.greet(name)\n"
        "@anvil.server.route('/hello')\ndef route(name):\n    return greeter.greet(name)\n"
    )
    code = Code({"main.py": module}, packages=greeter)
    called = rt.run(Call(code, "hello", ["Grace"]))
    assert called.status is Status.OK, called.stderr
    assert called.value == "Hello, Grace, from greeter 1.0"
    routed = rt.run(Route(code, HttpRequest("GET", "/hello", query={"name": "Linus"})))
    assert routed.status is Status.OK, routed.stderr
    assert routed.response is not None
    assert routed.response.body == b"Hello, Linus, from greeter 1.0"


def test_without_packages_nothing_is_mounted(rt: Runtime, greeter: Path) -> None:
    # an empty folder: every guest has the same mounts (see runtime/_guest.py)
    source = "import os\nprint(os.listdir('/packages'))\nimport greeter\n"
    result = rt.run(Script(Code.single(source)))
    assert result.stdout == "[]\n"
    assert result.error is not None
    assert result.error.type == "ModuleNotFoundError"


def test_the_guest_sees_its_own_folder_only(rt: Runtime, tmp_path: Path) -> None:
    mine = environment(tmp_path, "mine", {"mine.py": "X = 1\n"})
    environment(tmp_path, "theirs", {"secret_lib.py": "TOKEN = 'theirs'\n"})
    probe = """
import os
print(sorted(os.listdir("/packages")))
for path in ("/packages/../theirs/secret_lib.py", "/packages/../../theirs",
             "/packages/..", "/theirs/secret_lib.py"):
    try:
        print(os.listdir(path) if not path.endswith(".py") else open(path).read())
    except OSError as e:
        print(type(e).__name__)
try:
    open("/packages/mine.py", "a").write("X = 2\\n")
except OSError as e:
    print("write", type(e).__name__)
try:
    os.mkdir("/packages/new")
except OSError as e:
    print("mkdir", type(e).__name__)
"""
    result = rt.run(Script(Code({"main.py": probe}, packages=mine)))
    assert result.status is Status.OK, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "['greeter-1.0.dist-info', 'mine.py']"
    assert "theirs" not in result.stdout
    assert all(line.endswith("Error") for line in lines[1:5]), lines
    assert lines[5].startswith("write ")
    assert lines[6].startswith("mkdir ")
    assert (mine / "mine.py").read_text() == "X = 1\n"
    assert not (mine / "new").exists()


def test_a_missing_folder_fails_clearly(rt: Runtime, tmp_path: Path) -> None:
    code = Code({"main.py": "print(1)\n"}, packages=tmp_path / "gone")
    with pytest.raises(GuestError, match=r"packages folder .* is missing"):
        rt.run(Script(code))


def test_packages_must_be_an_absolute_folder() -> None:
    with pytest.raises(ValueError, match="must be absolute"):
        Code({"main.py": ""}, packages=Path("relative/env"))


def test_a_folder_compiles_to_bytecode_that_imports_use(rt: Runtime, tmp_path: Path) -> None:
    folder = environment(
        tmp_path,
        "env-c",
        {
            "greeter/__init__.py": GREETER,
            "greeter/util.py": "def twice(x):\n    return 2 * x\n",
            "broken.py": "def (:\n",  # a module that does not compile is left as it is
        },
    )
    assert rt.compile_packages(folder) == 2
    pycs = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.pyc"))
    assert pycs == [
        "greeter/__pycache__/__init__.cpython-315.pyc",
        "greeter/__pycache__/util.cpython-315.pyc",
    ]
    # The import uses the bytecode without reading the source: with the source made
    # unreadable to the guest (emptied), the module still has its code.
    source = folder / "greeter" / "util.py"
    stat = source.stat()
    source.write_text("")
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    probe = "import greeter.util\nprint(greeter.util.twice(21), greeter.util.__spec__.cached)\n"
    result = rt.run(Script(Code({"main.py": probe}, packages=folder)))
    assert result.status is Status.OK, result.stderr
    assert result.stdout == "42 /packages/greeter/__pycache__/util.cpython-315.pyc\n"
