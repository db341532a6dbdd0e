"""Packages compiled into the interpreter (numpy, pandas, scipy, ...), read from the
interpreter itself: its stdlib zip holds a `NAME-VERSION.dist-info/METADATA` for each.

They count as installed at their built-in versions: a requirement on one is satisfied by
the interpreter or refused (a built-in package cannot be replaced), never installed again.
"""

from __future__ import annotations

import functools
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from widgetbox.runtime import Interpreter


@dataclass(frozen=True)
class Builtin:
    name: str
    """As its metadata spells it (`scikit-learn`)."""
    version: Version
    requires_dist: tuple[str, ...]
    """Its `Requires-Dist` lines (used for its extras: `pandas[excel]`)."""


Builtins = dict[str, Builtin]
"""By canonical name (`scikit-learn`)."""


def read(stdlib_zip: Path) -> Builtins:
    """The packages whose metadata the zip holds, by canonical name (cached per file, and
    per change to it)."""
    stat = stdlib_zip.stat()
    return dict(_read(stdlib_zip, stat.st_size, stat.st_mtime_ns))


@functools.lru_cache(maxsize=4)
def _read(path: Path, size: int, mtime: int) -> Builtins:
    del size, mtime  # part of the cache key only
    found: Builtins = {}
    parser = HeaderParser()
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            folder, _, file = member.partition("/")
            if file != "METADATA" or not folder.endswith(".dist-info"):
                continue
            headers = parser.parsestr(archive.read(member).decode("utf-8", "replace"))
            name, version = headers.get("Name"), headers.get("Version")
            if not name or not version:
                continue
            try:
                parsed = Version(version)
            except InvalidVersion:
                continue
            requires = tuple(str(line) for line in headers.get_all("Requires-Dist") or [])
            found[canonicalize_name(name)] = Builtin(str(name), parsed, requires)
    return found


def stdlib_zip(interpreter: Interpreter) -> Path:
    return interpreter.stdlib_dir / interpreter.pin.stdlib_name


def of_sandbox(interpreter: Interpreter | None = None) -> Builtins:
    """The built-in packages of the pinned, verified interpreter (`interpreter`, the one a
    runtime uses; by default the one in the default cache)."""
    return read(stdlib_zip(interpreter or _locate()))


@functools.cache
def _locate() -> Interpreter:
    from widgetbox.runtime import locate_interpreter

    return locate_interpreter()
