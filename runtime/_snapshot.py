"""Guests start from the interpreter's memory as the warm-up left it.

A fresh interpreter used to spend most of its start-up in its warm-up turn: initialising
CPython, loading the guest bundle, importing the driver, `anvil.server` and the rest of the
guest package. That state is the same in every guest, so it is made once: an instance of the
interpreter runs the warm-up exactly as a guest does (same mounts, environment and
arguments), and its linear memory is written as a memory module (`_image.memory_module`,
what Wizer does). The interpreter's code is compiled apart from its memory (`_engine`), so
this small module is all there is to compile (well under a second): an instance of it and
then of the code costs two instantiations (wasmtime maps the image copy-on-write) and
nothing else before the run.

Why not Wizer itself: it comes as a native binary through npm, so `widgetbox prepare` would
need Node and npm on a machine that otherwise needs only Python; it links only WASI, not the
guest's `host.call` import or the runtime's WASI guards, so its warm-up would differ from a
guest's; and it writes a whole new module, whose 100 MB of code would be compiled again
(minutes) for every change to the guest package.

The image is keyed by the interpreter's sha256, the guest package's sources (the bundle's
digest, `_bytecode.sources_digest`), the warm-up's source, this format and the engine's
settings: a changed source makes a new one at the next start, and older ones are removed.
The compiled file's own sha256 is checked before it is loaded.

What an instance must not share with another (see ARCHITECTURE.md, "Pre-initialised
guests"): every guest is given the same mounts in the same order, the same environment and
arguments as the instance the image was taken from, so the C library's tables built from
them are true in every instance; the warm-up leaves no file open (`Guest` checks) and keeps
no import finder for a folder that differs between instances; `random` is reseeded at the
start of each run (`_guest.SERVE`). The string-hash key is the one exception: CPython draws
it once when it initialises, before the warm-up, and every string and dict in the image is
hashed with it, so it cannot change per instance. It is drawn at random when the image is
made, from the plain interpreter module: each installation has its own.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tempfile
import threading
from pathlib import Path

import wasmtime

from . import _bytecode, _engine, _image, _immortal
from ._artifacts import ArtifactError, Interpreter
from ._bridge import Bridge
from ._engine import Compiled, CompileProgress
from ._fastcall import export
from ._guest import (
    GUEST_ARGV,
    GUEST_ENV,
    GUEST_MOUNT,
    MOUNTS,
    Guest,
    GuestError,
    Sandbox,
    warm_up_source,
)

FORMAT = "widgetbox-snapshot-3"
"""Part of the key: a change to how images are made makes new ones."""
KEEP = 3
"""Images kept in the cache (about 25 MB each), the most recently made."""

_lock = threading.Lock()
_compiled: dict[Interpreter, Compiled] = {}


def cache_path(interpreter: Interpreter) -> Path:
    """Where the compiled image for the current guest sources is kept."""
    sha = interpreter.pin.module.sha256
    bundle = f"{GUEST_MOUNT}/{_bytecode.BUNDLE_NAME}"
    key = json.dumps(
        {
            "format": FORMAT,
            "module": sha,
            "sources": _bytecode.sources_digest(sha),
            "warm_up": warm_up_source(bundle),
            "immortal": _immortal.TURN,
            "guest": {"mounts": MOUNTS, "env": GUEST_ENV, "argv": GUEST_ARGV},
            **_engine.engine_key(),
        },
        sort_keys=True,
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return interpreter.cache / "compiled" / f"snapshot-{digest}.cwasm"


def compiled(interpreter: Interpreter, progress: CompileProgress | None = None) -> Compiled:
    """This process's engine and interpreter, starting from the image (made once per cache
    and loaded from it)."""
    base = _engine.compiled(interpreter, progress)
    with _lock:
        if interpreter not in _compiled:
            _compiled[interpreter] = _with_image(base)
        return _compiled[interpreter]


def ensure_cached(interpreter: Interpreter, progress: CompileProgress | None = None) -> None:
    """Compile the interpreter and make its image into the cache unless valid copies are
    there, without keeping them loaded (for processes that start sandbox processes rather
    than run guests)."""
    _engine.ensure_cached(interpreter, progress)
    path = cache_path(interpreter)
    if not _engine.valid(path):
        _with_image(_engine.load(interpreter, progress))


def _with_image(base: Compiled) -> Compiled:
    path = cache_path(base.interpreter)
    memory = _engine.load_or_build(
        base.engine, path, lambda: wasmtime.Module(base.engine, take(base))
    )
    _prune(path.parent, keep=path)
    return dataclasses.replace(base, memory=memory, initialised=True)


def take(base: Compiled) -> bytes:
    """The memory module of an instance of `base` after the warm-up."""
    split = _image.split(_engine.verified_source(base.interpreter))
    bridge = Bridge(max_workers=1)
    with tempfile.TemporaryDirectory(prefix="widgetbox-snapshot-") as work:
        sandbox = Sandbox(base, bridge, Path(work))
        try:
            guest = Guest(sandbox)  # the warm-up, as in every guest
            try:
                guest.setup(_immortal.TURN)
                immortal = _immortal.found(guest.scratch_dir)
                memory = bytearray(
                    guest.memory.read(guest.store, 0, guest.memory.data_len(guest.store))
                )
                read = {
                    g.export: _number(export(guest.store, guest.instance, g.export), guest.store)
                    for g in split.mutable_globals
                    if g.export is not None
                }
            finally:
                guest.close()
        except GuestError as e:
            raise ArtifactError(f"could not pre-initialise the interpreter: {e}") from None
        finally:
            sandbox.close_all()
            bridge.close()
    problems = split.unchanged(read)
    if problems:
        raise ArtifactError(
            "the interpreter cannot start from a memory image: its globals " + ", ".join(problems)
        )
    if immortal is not None:
        _immortal.apply(memory, immortal)
    return _image.memory_module(bytes(memory), split.maximum)


def _number(item: object, store: wasmtime.Store) -> int | float:
    value = item.value(store) if isinstance(item, wasmtime.Global) else None
    if not isinstance(value, int | float):
        raise ArtifactError(f"the interpreter exports {item!r} where a global is expected")
    return value


def _prune(folder: Path, keep: Path) -> None:
    """Remove all but the `KEEP` most recently made images (`keep` among them). A process
    that has one loaded keeps its mapping; one that needs one again makes it again."""
    found = []
    for path in folder.glob("snapshot-*.cwasm"):
        try:
            found.append((path.stat().st_mtime, path))
        except OSError:  # removed meanwhile by another process
            continue
    others = [path for _, path in sorted(found, reverse=True) if path != keep]
    for stale in others[KEEP - 1 :]:
        for path in (stale, stale.with_suffix(".sha256"), stale.parent / f"{stale.name}.lock"):
            path.unlink(missing_ok=True)
