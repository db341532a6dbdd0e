"""A lock: the exact set of packages a widget version's requirements resolved to, and the
key of the environment that holds the ones installed.

The key is the sha256 of the installed set (each `name==version sha256-of-its-wheel`,
sorted) and of the layout version, so the same set is installed once and shared by every
widget that resolves to it. Packages built into the interpreter are recorded (for the
record, and so a lock can be read on its own) but installed by nobody and not part of the
key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

LAYOUT = "widgetbox-environment-1"
"""Changes when the folder layout of an environment changes, so old ones are never reused."""


@dataclass(frozen=True)
class Locked:
    """One package of a lock."""

    name: str
    version: str
    builtin: bool = False
    """Compiled into the interpreter: not installed."""
    filename: str | None = None
    url: str | None = None
    sha256: str | None = None
    size: int | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {k: v for k, v in data.items() if v is not None and (k != "builtin" or v)}


@dataclass(frozen=True)
class Lock:
    requirements: str
    """The canonical requirements it was resolved from."""
    python: str
    """The sandbox Python it was resolved for."""
    packages: tuple[Locked, ...]
    """Sorted by name."""

    @property
    def installed(self) -> tuple[Locked, ...]:
        return tuple(p for p in self.packages if not p.builtin)

    @property
    def key(self) -> str | None:
        """The environment's key, or None when there is nothing to install."""
        if not self.installed:
            return None
        lines = sorted(f"{p.name}=={p.version} {p.sha256}" for p in self.installed)
        return hashlib.sha256("\n".join([LAYOUT, *lines]).encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {
            "requirements": self.requirements,
            "python": self.python,
            "packages": [p.to_json() for p in self.packages],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Lock:
        return cls(
            requirements=data["requirements"],
            python=data["python"],
            packages=tuple(Locked(**p) for p in data["packages"]),
        )

    @classmethod
    def loads(cls, text: str) -> Lock:
        return cls.from_json(json.loads(text))
