"""`prepare`: everything a first start needs, done ahead of time (fetch, verify, compile)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from . import _artifacts, _engine, _included, _snapshot
from ._artifacts import ArtifactError, Interpreter, Progress
from ._engine import CompileProgress


def prepare(
    say: Progress | None = None,
    compile_progress: CompileProgress | None = None,
    cache: Path | None = None,
) -> Interpreter:
    """Fetch and verify the pinned interpreter, then compile it into the cache (`cache`, or
    the default one) once; and the same for the packages included for every widget; then
    the memory image of a warmed-up interpreter, which every guest starts from."""
    interpreter = _artifacts.ensure(progress=say, cache=cache)
    _engine.ensure_cached(interpreter, compile_progress)
    _included.ensure(interpreter, lambda folder: _compile_folder(interpreter, folder), say)
    if not _engine.valid(_snapshot.cache_path(interpreter)) and say is not None:
        say("pre-initialising the interpreter (the driver and anvil imported)")
    _snapshot.ensure_cached(interpreter, compile_progress)
    return interpreter


def prepared(interpreter: Interpreter) -> tuple[bool, bool]:
    """Whether `prepare` has done its work for this interpreter: (compiled: the module, its
    memory and the warmed-up image are in the cache, undamaged; included: the packages
    every widget may import are there). Only reads the cache (`widgetbox doctor`)."""
    compiled = all(
        _engine.valid(path)
        for path in (
            _engine.cache_path(interpreter),
            _engine.memory_cache_path(interpreter),
            _snapshot.cache_path(interpreter),
        )
    )
    return compiled, _included.locate(interpreter) is not None


def _compile_folder(interpreter: Interpreter, folder: Path) -> int:
    """Compile a packages folder in place, in a sandbox of this process that mounts it
    writable (no runtime is running yet)."""
    from ._bridge import Bridge
    from ._guest import Guest, Sandbox
    from ._pycache import CompileFailed, compile_packages

    bridge = Bridge(max_workers=1)
    with tempfile.TemporaryDirectory(prefix="widgetbox-prepare-") as work:
        sandbox = Sandbox(_engine.compiled(interpreter), bridge, Path(work))
        try:
            guest = Guest(sandbox, folder, writable_packages=True)
            try:
                return compile_packages(guest)
            finally:
                guest.close()
        except CompileFailed as e:
            raise ArtifactError(f"could not compile the included packages: {e}") from None
        finally:
            sandbox.close_all()
            bridge.close()
