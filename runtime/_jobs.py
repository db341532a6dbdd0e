"""What to run: a widget's code plus one of the modes (script, task, call, route), what the
run's services tell the guest up front (`services`), and for a call or a route whether it
may run in a warm interpreter kept between runs (`Persistent`)."""

from __future__ import annotations

import base64
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._codec import encode
from ._http import HttpRequest
from ._limits import MiB

MAX_FILES = 200
MAX_CODE_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Code:
    """A widget's files. Paths are relative (`main.py`, `lib/util.py`); the guest sees them
    read-only under /widget, which is also first on `sys.path`."""

    files: Mapping[str, str]
    entry: str = "main.py"
    """The script that runs top to bottom, or the module whose callables and routes count."""
    packages: Path | None = None
    """A folder of installed packages (the purelib layout) the code imports from: the guest
    sees it, and only it, read-only at /packages, which is on `sys.path` after the stdlib."""

    def __post_init__(self) -> None:
        if not self.files:
            raise ValueError("a widget needs at least one file")
        if len(self.files) > MAX_FILES:
            raise ValueError(f"a widget may have at most {MAX_FILES} files")
        total = 0
        for path, text in self.files.items():
            check_relative_path(path)
            try:
                total += len(text.encode("utf-8"))
            except UnicodeEncodeError:
                raise ValueError(f"{path!r} is not valid Unicode text") from None
        if total > MAX_CODE_BYTES:
            raise ValueError(f"a widget's files may hold at most {MAX_CODE_BYTES} bytes")
        if self.entry not in self.files:
            raise ValueError(f"the entry file {self.entry!r} is not among the widget's files")
        if not self.entry.endswith(".py"):
            raise ValueError(f"the entry file {self.entry!r} must be a .py file")
        if self.packages is not None and not self.packages.is_absolute():
            raise ValueError(f"the packages folder {str(self.packages)!r} must be absolute")

    @classmethod
    def single(cls, source: str, name: str = "main.py") -> Code:
        return cls(files={name: source}, entry=name)


def check_relative_path(path: str) -> None:
    """Refuse anything but a plain relative path made of ordinary names."""
    if not path or path.startswith("/") or "\\" in path or "\x00" in path:
        raise ValueError(f"bad file path {path!r}")
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts) or posixpath.normpath(path) != path:
        raise ValueError(f"bad file path {path!r}")


@dataclass(frozen=True)
class Recycle:
    """When a kept interpreter (persistent mode) is discarded and the next run gets a fresh
    one. Whatever these say, a run that does not end cleanly (a timeout, a cancel, a trap,
    running out of memory, the output limit, `os._exit`) discards its interpreter at once."""

    runs: int = 1000
    """Runs one interpreter serves at most."""
    idle: float = 900.0
    """Seconds an interpreter may wait unused."""
    memory_growth: int = 64 * MiB
    """Bytes its linear memory may grow beyond what it was after its first run."""

    def __post_init__(self) -> None:
        if self.runs < 1 or self.idle <= 0 or self.memory_growth < 0:
            raise ValueError("recycling needs a run, some idle time and no negative growth")


@dataclass(frozen=True)
class Persistent:
    """Run in a warm interpreter kept for `key` and `version` (Anvil's "Keep server
    running"): module state, imports and files in /tmp survive from one run to the next in
    it. Each sandbox process keeps its own (one per run in progress there at once: usually
    one), only ever for runs with the same key, version, files and packages folder; a run
    of another version of the key discards the ones kept for the old. Widgetbox's key is
    the widget's id, its version the version's number. Limits still apply to each run."""

    key: str
    version: str
    recycle: Recycle = field(default_factory=Recycle)

    def __post_init__(self) -> None:
        if not (0 < len(self.key) <= 200 and 0 < len(self.version) <= 200):
            raise ValueError("a persistent run needs a key and a version (200 characters)")


@dataclass(frozen=True)
class _Job:
    services: Mapping[str, Any] = field(default_factory=dict, kw_only=True)
    """What the run's services tell the guest before the widget's code runs, by service
    (JSON values): `{"tables": [names]}` lets `app_tables.<name>` answer without asking the
    host (`anvil.tables`, `_widgetbox.driver`). A service left out is asked when first
    used, as before."""

    def _payload(self, payload: dict[str, Any]) -> dict[str, Any]:
        if self.services:
            payload["services"] = dict(self.services)
        return payload


@dataclass(frozen=True)
class Script(_Job):
    """Run `code.entry` top to bottom with `__name__ == "__main__"`."""

    code: Code
    argv: Sequence[str] = ()
    stdin: str | None = field(default=None, kw_only=True)
    """What the script reads from `sys.stdin` (None: nothing, as ever; classroom checks give
    a student's script its input)."""

    def payload(self) -> dict[str, Any]:
        """The driver's view of this job (what `widgetbox.job` answers in the guest)."""
        payload: dict[str, Any] = {
            "mode": "script",
            "entry": self.code.entry,
            "argv": [str(a) for a in self.argv],
        }
        if self.stdin is not None:
            payload["stdin"] = self.stdin
        return self._payload(payload)


@dataclass(frozen=True)
class Call(_Job):
    """Import `code.entry` and call the `@anvil.server.callable` registered as `name`."""

    code: Code
    name: str
    args: Sequence[Any] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    persistent: Persistent | None = field(default=None, kw_only=True)
    """Run in the warm interpreter kept for this key (None: a fresh one, the default)."""

    def payload(self) -> dict[str, Any]:
        """Raises SerializationError when an argument cannot cross into the sandbox."""
        return self._payload(
            {
                "mode": "call",
                "entry": self.code.entry,
                "name": self.name,
                "args": encode(list(self.args)),
                "kwargs": encode(dict(self.kwargs)),
            }
        )


@dataclass(frozen=True)
class Route(_Job):
    """Import `code.entry` and answer one HTTP request with its `@anvil.server.route`s."""

    code: Code
    request: HttpRequest
    persistent: Persistent | None = field(default=None, kw_only=True)
    """Run in the warm interpreter kept for this key (None: a fresh one, the default)."""

    def payload(self) -> dict[str, Any]:
        request = self.request
        return self._payload(
            {
                "mode": "route",
                "entry": self.code.entry,
                "request": {
                    "method": request.method,
                    "path": request.path,
                    "query": dict(request.query),
                    "form": dict(request.form),
                    "headers": {k.lower(): v for k, v in request.headers.items()},
                    "body": base64.b64encode(request.body).decode("ascii"),
                    "origin": request.origin,
                    "remote_address": request.remote_address,
                    "app": request.app,
                },
            }
        )


@dataclass(frozen=True)
class Task(_Job):
    """Import `code.entry` and run the `@anvil.server.background_task` registered as `name`:
    a background task, which runs as a script does (the batch lane, the script limits) and
    reports the function's return value as a call does."""

    code: Code
    name: str
    args: Sequence[Any] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        """Raises SerializationError when an argument cannot cross into the sandbox."""
        return self._payload(
            {
                "mode": "task",
                "entry": self.code.entry,
                "name": self.name,
                "args": encode(list(self.args)),
                "kwargs": encode(dict(self.kwargs)),
            }
        )


Job = Script | Task | Call | Route
BATCH_JOBS = (Script, Task)
"""The jobs that run in the background, on the batch lane with the script limits."""
