"""`prepare`: everything a first start needs, done ahead of time (fetch, verify, compile)."""

from __future__ import annotations

from pathlib import Path

from . import _artifacts, _engine
from ._artifacts import Interpreter, Progress
from ._engine import CompileProgress


def prepare(
    say: Progress | None = None,
    compile_progress: CompileProgress | None = None,
    cache: Path | None = None,
) -> Interpreter:
    """Fetch and verify the pinned interpreter, then compile it into the cache (`cache`, or
    the default one) once."""
    interpreter = _artifacts.ensure(progress=say, cache=cache)
    _engine.ensure_cached(interpreter, compile_progress)
    return interpreter
