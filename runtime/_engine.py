"""One wasmtime Engine per process and the interpreter module, compiled once and cached on disk.

Compiling the 100 MB interpreter takes about a minute on two cores, so the compiled module is
serialized to the cache, keyed by the artifact's hash, the wasmtime version and the engine
settings. A later process deserializes it in milliseconds. The file is written atomically and
its own sha256 is checked before it is loaded (deserializing trusts its input).

The module is compiled split in two (`_image.split`): its code, which imports its memory,
and a small module that defines that memory with the interpreter's data. So a memory image
taken later (`_snapshot`) is a small module of its own, and the code is compiled once per
interpreter whatever image an instance starts from.
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

from . import _image
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


def new_engine(metered: bool = True) -> wasmtime.Engine:
    """An engine with Widgetbox's settings (modules compiled by one load into another)."""
    return wasmtime.Engine(_config(metered))


def engine_key(metered: bool = True) -> dict[str, object]:
    """What a compiled module's cache key must hold besides the module: the wasmtime
    version and the engine settings (a module compiled otherwise cannot be loaded), and
    the form it is compiled in."""
    return {"wasmtime": version("wasmtime"), "settings": _settings(metered), "form": FORM}


FORM = "split-2"
"""How the interpreter is compiled: its code apart from its memory (`_image.split`)."""


@dataclass(frozen=True)
class Compiled:
    """The process's engine and its compiled interpreter module."""

    engine: wasmtime.Engine
    module: wasmtime.Module
    """The interpreter's code, which imports its memory (`_image.MEMORY_IMPORT`)."""
    interpreter: Interpreter
    memory: wasmtime.Module
    """Defines and exports the memory an instance starts with: the interpreter's own, or
    an image taken after the warm-up (see `_snapshot`)."""
    initialised: bool = False
    """The memory is such an image: guests skip the warm-up."""


_lock = threading.Lock()
_compiled: dict[tuple[Interpreter, bool], Compiled] = {}


def compiled(
    interpreter: Interpreter, progress: CompileProgress | None = None, *, metered: bool = True
) -> Compiled:
    """The process's engine and module, compiled once per cache or loaded from it."""
    with _lock:
        key = (interpreter, metered)
        if key not in _compiled:
            _compiled[key] = load(interpreter, progress, metered=metered)
        return _compiled[key]


def load(
    interpreter: Interpreter, progress: CompileProgress | None = None, *, metered: bool = True
) -> Compiled:
    """A new engine and the module for it, from the cache or compiled into it (not kept
    by this process: see `compiled`)."""
    engine = new_engine(metered)
    module = load_or_compile(engine, interpreter, progress, metered)
    memory = load_or_build(
        engine,
        memory_cache_path(interpreter, metered),
        lambda: wasmtime.Module(engine, _split(interpreter).memory),
    )
    return Compiled(engine, module, interpreter, memory)


def ensure_cached(
    interpreter: Interpreter, progress: CompileProgress | None = None, *, metered: bool = True
) -> None:
    """Compile the module into the cache unless a valid copy is there, without keeping it
    loaded (for processes that start sandbox processes rather than run guests)."""
    if valid(cache_path(interpreter, metered)) and valid(memory_cache_path(interpreter, metered)):
        return
    load(interpreter, progress, metered=metered)


def estimated_compile_seconds() -> float:
    return _COMPILE_CPU_SECONDS / max(1, min(os.cpu_count() or 1, 8)) + 5


def cache_path(interpreter: Interpreter, metered: bool = True) -> Path:
    """Where the compiled module for these settings is kept."""
    key = json.dumps(
        {"module": interpreter.pin.module.sha256, **engine_key(metered)}, sort_keys=True
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return interpreter.cache / "compiled" / f"python-{digest}.cwasm"


def memory_cache_path(interpreter: Interpreter, metered: bool = True) -> Path:
    """Where the compiled module of the interpreter's own memory is kept."""
    code = cache_path(interpreter, metered)
    return code.with_name(code.name.replace(".cwasm", "-memory.cwasm"))


def load_or_compile(
    engine: wasmtime.Engine,
    interpreter: Interpreter,
    progress: CompileProgress | None,
    metered: bool = True,
) -> wasmtime.Module:
    """The interpreter's code for `engine`, from the cache or compiled into it."""
    return load_or_build(
        engine,
        cache_path(interpreter, metered),
        lambda: compile_source(engine, _split(interpreter).code, progress),
    )


def load_or_build(
    engine: wasmtime.Engine, path: Path, build: Callable[[], wasmtime.Module]
) -> wasmtime.Module:
    """The compiled module cached at `path`, or `build()`'s, stored there first. One
    builder at a time across processes: the others wait and then load its result."""
    path.parent.mkdir(parents=True, exist_ok=True)
    module = _load(engine, path)
    if module is not None:
        return module
    with (path.parent / f"{path.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        module = _load(engine, path)
        if module is None:
            module = build()
            _store(module, path)
    return module


def valid(path: Path) -> bool:
    """Whether the cache entry is there and undamaged (a damaged one is rebuilt, never
    loaded)."""
    stamp = path.with_suffix(".sha256")
    return path.is_file() and stamp.is_file() and hashes_to(path, stamp.read_text().strip())


def _load(engine: wasmtime.Engine, path: Path) -> wasmtime.Module | None:
    if not valid(path):
        return None
    try:
        return wasmtime.Module.deserialize_file(engine, str(path))
    except wasmtime.WasmtimeError:
        return None


def verified_source(interpreter: Interpreter) -> bytes:
    """The interpreter module's bytes, checked again against the pin."""
    source = interpreter.module_path.read_bytes()
    if hashlib.sha256(source).hexdigest() != interpreter.pin.module.sha256:
        raise ArtifactError(
            f"{interpreter.module_path} changed after it was verified. Run `widgetbox prepare`."
        )
    return source


def _split(interpreter: Interpreter) -> _image.Split:
    try:
        return _image.split(verified_source(interpreter))
    except _image.ImageError as e:
        raise ArtifactError(f"the interpreter module cannot be used: {e}") from None


def compile_source(
    engine: wasmtime.Engine, source: bytes, progress: CompileProgress | None
) -> wasmtime.Module:
    """Compile a module the size of the interpreter, reporting progress meanwhile."""
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
