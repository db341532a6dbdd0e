"""One wasmtime Engine per process and the interpreter module, compiled once and cached on disk.

Compiling the 100 MB interpreter takes about a minute on two cores, so the compiled module is
serialized to the cache, keyed by the artifact's hash, the wasmtime version and the engine
settings. A later process deserializes it in milliseconds. The file is written atomically and
its own sha256 is checked before it is loaded (deserializing trusts its input).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import wasmtime

from ._artifacts import ArtifactError, Interpreter, hashes_to

CompileProgress = Callable[[float, float], None]
"""Called about twice a second while compiling with (seconds elapsed, estimated total)."""

# Measured: about 86 CPU-seconds of compilation, spread over the available cores.
_COMPILE_CPU_SECONDS = 90.0


def _settings(metered: bool) -> dict[str, bool]:
    """The engine settings, part of the cache key (a module compiled under other settings
    cannot be deserialized). Widgetbox always meters; unmetered exists for benchmarks."""
    return {"consume_fuel": metered, "epoch_interruption": True}


def _config(metered: bool) -> wasmtime.Config:
    config = wasmtime.Config()
    config.consume_fuel = metered
    config.epoch_interruption = True
    return config


@dataclass(frozen=True)
class Compiled:
    """The process's engine and its compiled interpreter module."""

    engine: wasmtime.Engine
    module: wasmtime.Module
    interpreter: Interpreter


_lock = threading.Lock()
_compiled: dict[tuple[Interpreter, bool], Compiled] = {}


def compiled(
    interpreter: Interpreter, progress: CompileProgress | None = None, *, metered: bool = True
) -> Compiled:
    """The process's engine and module, compiled once per cache or loaded from it."""
    with _lock:
        key = (interpreter, metered)
        if key not in _compiled:
            engine = wasmtime.Engine(_config(metered))
            module = _load_or_compile(engine, interpreter, progress, metered)
            _compiled[key] = Compiled(engine=engine, module=module, interpreter=interpreter)
        return _compiled[key]


def ensure_cached(
    interpreter: Interpreter, progress: CompileProgress | None = None, *, metered: bool = True
) -> None:
    """Compile the module into the cache unless a valid copy is there, without keeping it
    loaded (for processes that start sandbox processes rather than run guests)."""
    if _valid(cache_path(interpreter, metered)):
        return
    engine = wasmtime.Engine(_config(metered))
    _load_or_compile(engine, interpreter, progress, metered)


def estimated_compile_seconds() -> float:
    return _COMPILE_CPU_SECONDS / max(1, min(os.cpu_count() or 1, 8)) + 5


def cache_path(interpreter: Interpreter, metered: bool = True) -> Path:
    """Where the compiled module for these settings is kept."""
    key = json.dumps(
        {
            "module": interpreter.pin.module.sha256,
            "wasmtime": version("wasmtime"),
            "settings": _settings(metered),
        },
        sort_keys=True,
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return interpreter.cache / "compiled" / f"python-{digest}.cwasm"


def _load_or_compile(
    engine: wasmtime.Engine,
    interpreter: Interpreter,
    progress: CompileProgress | None,
    metered: bool,
) -> wasmtime.Module:
    path = cache_path(interpreter, metered)
    path.parent.mkdir(parents=True, exist_ok=True)
    module = _load(engine, path)
    if module is not None:
        return module
    # One compiler at a time across processes: the others wait and then load its result.
    with (path.parent / f"{path.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        module = _load(engine, path)
        if module is None:
            module = _compile(engine, interpreter, progress)
            _store(module, path)
    return module


def _valid(path: Path) -> bool:
    """Whether the cache entry is there and undamaged (a damaged one is rebuilt, never
    loaded)."""
    stamp = path.with_suffix(".sha256")
    return path.is_file() and stamp.is_file() and hashes_to(path, stamp.read_text().strip())


def _load(engine: wasmtime.Engine, path: Path) -> wasmtime.Module | None:
    if not _valid(path):
        return None
    try:
        return wasmtime.Module.deserialize_file(engine, str(path))
    except wasmtime.WasmtimeError:
        return None


def _compile(
    engine: wasmtime.Engine, interpreter: Interpreter, progress: CompileProgress | None
) -> wasmtime.Module:
    source = interpreter.module_path.read_bytes()
    if hashlib.sha256(source).hexdigest() != interpreter.pin.module.sha256:
        raise ArtifactError(
            f"{interpreter.module_path} changed after it was verified. Run `widgetbox prepare`."
        )
    done = threading.Event()
    estimate = estimated_compile_seconds()

    def report() -> None:
        start = time.monotonic()
        while not done.wait(0.5):
            if progress is not None:
                progress(time.monotonic() - start, estimate)

    reporter = threading.Thread(target=report, name="widgetbox-compile-progress", daemon=True)
    reporter.start()
    try:
        return wasmtime.Module(engine, source)
    finally:
        done.set()
        reporter.join()


def _store(module: wasmtime.Module, path: Path) -> None:
    data = module.serialize()
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    path.with_suffix(".sha256").write_text(hashlib.sha256(data).hexdigest() + "\n")
