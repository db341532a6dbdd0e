"""What a run produced: its status, output, value or response, error and measurements."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum, auto
from typing import Any

from ._http import HttpResponse
from ._statuses import OUTCOMES


class Status(StrEnum):
    """How a run ended: the outcomes of the run-status vocabulary (statuses.json). The
    members are named here for the type checker; their values are their names in lower case
    and must be the vocabulary's outcomes, in its order (checked as the runtime is imported)."""

    OK = auto()
    """It finished normally."""
    ERROR = auto()
    """The widget's code raised (or exited non-zero); `RunResult.error` says what."""
    TIMEOUT = auto()
    """It hit its wall-clock limit ("Server code took too long")."""
    MEMORY = auto()
    """It ran out of its memory limit."""
    OUTPUT_LIMIT = auto()
    """It printed more than its output limit; the output is truncated with a marker."""
    KILLED = auto()
    """It was cancelled, spent its fuel budget, or the runtime shut down."""


if tuple(Status) != OUTCOMES:
    raise ImportError(f"Status {tuple(Status)} is not statuses.json's outcomes {OUTCOMES}")


@dataclass(frozen=True)
class Frame:
    """One frame of the widget's own code in a traceback."""

    filename: str
    """Relative to the widget, e.g. `main.py`; never a host path."""
    lineno: int
    name: str
    line: str


@dataclass(frozen=True)
class UserError:
    """An exception raised by the widget's code, as plain data."""

    type: str
    """The exception's class name, e.g. `ValueError`."""
    message: str
    traceback: str
    """Formatted like Python's, trimmed to the widget's own frames."""
    frames: tuple[Frame, ...]
    qualified_type: str = ""
    """`module.Class` for exceptions that callers may re-raise as the same class
    (e.g. `anvil.server.NoServerFunctionError`); empty otherwise."""

    @property
    def lineno(self) -> int | None:
        """The line in the widget's code where the error surfaced, if any."""
        return self.frames[-1].lineno if self.frames else None


@dataclass(frozen=True)
class RunResult:
    """Everything one run produced and used."""

    status: Status
    stdout: str
    stderr: str
    wall_time: float
    """Seconds from the start of the run to its end, as the host measured them."""
    fuel: int | None
    """Wasm fuel consumed; None when the run was interrupted mid-instruction-stream
    (timeout or cancel), where wasmtime's counter is not brought up to date."""
    peak_memory: int
    """Bytes of guest linear memory at the end of the run (it never shrinks)."""
    host_calls: int = 0
    value: Any = None
    """Call mode: the callable's return value, decoded."""
    response: HttpResponse | None = None
    """Route mode: the HTTP response."""
    error: UserError | None = None
    message: str = ""
    """A sentence for people when the status is not OK."""
    output_truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.status is Status.OK
