"""One sandboxed interpreter: a fresh wasmtime Store and instance that serves one run (or,
in persistent mode, the runs of one widget version, one turn each: see `_warm`).

A guest is made ahead of demand (by the pool): its store is created and the interpreter
module instantiated with the WASI guards and the bridge. The module is normally the one
pre-initialised after the warm-up (`_snapshot`): the driver, `anvil.server` and the rest of
the guest package are already imported. On the interpreter's own module (used only to make
that one), a warm-up turn imports them first. A run then writes the widget's files, hands
the job over and executes one more turn, which first refreshes what must differ between
instances (`random`'s seed). The store is closed afterwards, whatever happened; it is never
reused for other code. A kept guest (`keep=True`) serves further runs of the same files as
further turns, with everything the earlier ones left (modules, globals, files in /tmp),
only while each ended cleanly (`reusable`).

What the guest sees (all other host paths are invisible):

    /usr/local/lib   the stdlib zip, read-only
    /widgetbox       wasm-python/ (the driver and the `anvil` package), read-only
    /widget          the widget's files, read-only
    /tmp             the run's scratch area and working directory, writable, capped
    /included        the packages every widget may import (requests, httpx), read-only,
                     after /packages on `sys.path` (see `_included`)
    /packages        the widget's installed packages, read-only (for code that has them:
                     such a guest is started for that one folder; see `_pool`); for
                     other code an empty folder

Every guest has the same mounts in the same order, so each one's descriptor number (3 to 8)
is the same in every instance: the C library's table of them is part of the snapshot. An
absent folder is mounted as an empty one.
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import logging
import shutil
import tempfile
import threading
import time
import weakref
from pathlib import Path
from typing import Any, TypeVar

import wasmtime

from . import _bytecode, _epoch, _included, _prefault
from ._activity import Activity, GuestExports, activate
from ._bridge import Dispatcher
from ._busy import NOT_COUNTED, Board, Executing, NotCounted
from ._door import host_call
from ._engine import Compiled
from ._fastcall import FastCall, define, export
from ._folders import FolderStore
from ._http import ChunkCallback, HttpRequest
from ._image import MEMORY_IMPORT
from ._jobs import Code, Route, Script
from ._limits import Limits, MiB
from ._outcome import outcome_of
from ._output import Output, OutputCallback
from ._paths import GUEST_DIR
from ._quota import ScratchQuota
from ._result import RunResult, Status
from ._wasi import FORWARDED, TRAMPOLINE_MEMORY, define_guards, trampoline_wat

log = logging.getLogger("widgetbox.runtime")

FUEL_UNLIMITED = 2**63 - 1

STDLIB_MOUNT = "/usr/local/lib"
GUEST_MOUNT = "/widgetbox"
CODE_MOUNT = "/widget"
SCRATCH_MOUNT = "/tmp"  # noqa: S108 - the guest's own path, backed by a private host folder
PACKAGES_MOUNT = "/packages"
MOUNTS = (STDLIB_MOUNT, GUEST_MOUNT, CODE_MOUNT, SCRATCH_MOUNT, _included.MOUNT, PACKAGES_MOUNT)
"""Every guest's mounts, in the order they are given (see the module's docstring)."""

GUEST_ENV = {
    "HOME": SCRATCH_MOUNT,
    "TMPDIR": SCRATCH_MOUNT,
    "LANG": "C.UTF-8",
    "PYTHONTZPATH": "",  # zoneinfo uses the compiled-in tzdata package
}

GUEST_ARGV = ["python"]

SERVE = "__widgetbox_serve()"
"""The run's turn."""
SERVE_AGAIN = "__widgetbox_driver.serve()"
"""A kept guest's later turns: what the first one refreshed (`random`'s seed, see
`_AFTER_WARM_UP`) is this instance's own from then on, as in any long-running process."""
SERVE_FILE = "<widgetbox serve>"
"""The file name of the serve turns' code, compiled once by the warm-up (`_KNOWN_TURNS`)."""

_KNOWN_TURNS = f"""
def __widgetbox_known_turns(run_turn, known, main):
    def _run_turn(text, name):
        code = known.get(text)
        if code is None:
            return run_turn(text, name)
        exec(code, main)
    return _run_turn
__widgetbox_reactor = __import__("_reactor")
if hasattr(__widgetbox_reactor, "_run_turn"):
    __widgetbox_reactor._run_turn = __widgetbox_known_turns(
        __widgetbox_reactor._run_turn,
        {{text: compile(text, {SERVE_FILE!r}, "exec") for text in [{SERVE!r}, {SERVE_AGAIN!r}]}},
        globals(),
    )
del __widgetbox_reactor, __widgetbox_known_turns
"""
"""Every turn's source is parsed into a Python AST, its last expression split off, and both
compiled from that tree (the interpreter's `_reactor._run_turn`): about 340,000 units of
fuel for `__widgetbox_serve()`, a fifth of a fresh hello route's and two fifths of a kept
one's. The serve turns' text never changes, so their code is compiled once, here, and
`_run_turn` runs it at once when given that text (the result is None: nothing to display,
as the interpreter's own would not); any other text goes the interpreter's way."""

_AFTER_WARM_UP = f"""
sys.path += [{PACKAGES_MOUNT!r}, {_included.MOUNT!r}]
def __widgetbox_serve(refresh=__import__("_reactor")._refresh):
    refresh(False)
    __widgetbox_driver.serve()
__import__("random")
__import__("anvil.tables")
__import__("os").chdir({SCRATCH_MOUNT!r})
for __widgetbox_entry in [{CODE_MOUNT!r}, {PACKAGES_MOUNT!r}, {_included.MOUNT!r}]:
    sys.path_importer_cache.pop(__widgetbox_entry, None)
del __widgetbox_entry
{_KNOWN_TURNS}
__import__("gc").collect()
__import__("gc").freeze()
"""
"""The end of every warm-up, so that its state can start every instance. /packages and
/included go after the stdlib, as site-packages would (the driver is already imported),
the included packages last so that a widget's own versions win. A run's turn (`SERVE`)
first calls the interpreter's own refresh of what an image would otherwise share between
instances (`_reactor._refresh`, which the interpreter runs on its first turn): `random` and
`numpy.random` reseeded, `logging`'s start time and `zoneinfo`'s search path reset when
they are imported. `random` is imported for widgets (and so its reseeding is tested), and
`anvil.tables` (2.4 ms a run otherwise; Data Tables are what most Anvil server code uses).
Every run starts in /tmp, so the image does too (a run's change of folder costs two file
calls: see `_widgetbox/imports.py` for what those cost). The serve turns' code is compiled
once (`_KNOWN_TURNS`). No
import finder for a folder that differs between instances is kept (one caches the folder's
listing). Everything the warm-up made is frozen out of the garbage collector's reach:
collections never walk it, so the instances' copy-on-write pages stay shared."""


def warm_up_source(bundle: str | None) -> str:
    """The warm-up: import the driver (and with it `anvil.server`), from the precompiled
    `bundle` (its guest path) or, to build that, from source; make the widget's folder and
    packages importable."""
    if bundle is None:
        source = (
            f"import sys\nsys.path[:0] = [{CODE_MOUNT!r}, {GUEST_MOUNT!r}]\n"
            "import _widgetbox.driver as __widgetbox_driver\n"
        )
    else:
        source = _bytecode.WARM_UP.format(bundle=bundle, widget=CODE_MOUNT)
    return source + _AFTER_WARM_UP


WARM_UP_LIMITS = Limits(timeout=60.0, memory=256 * MiB, output=64 * 1024)

REHEARSAL = """
import anvil.server
from anvil.tables import _transport, app_tables
from _widgetbox import bridge

RECORD = {"id": "[1,1]", "table": "t", "values": {"name": "a", "n": 1}}

@anvil.server.route("/rehearsal")
def rehearsal(**params):
    try:
        bridge.call("widgetbox.rehearsal")
    except bridge.HostCallError:
        pass
    _transport.set_transport(lambda op: {"ok": RECORD})
    app_tables._given(["t"])
    app_tables.t.get(name="a")["name"]
    return "ok"
"""
"""What each sandbox process runs once to learn which pages of memory a run writes (see
`_prefault`): a route, the commonest and smallest kind of run, that crosses the door (a
call the door refuses itself: the rehearsal has no run for the host to answer) and gets a
row of `app_tables` (answered in the guest), as most Anvil server code does."""


class GuestError(RuntimeError):
    """The sandbox itself failed (not the widget's code); the message says how."""


class Sandbox:
    """What every guest of one runtime shares: the engine, the linked module, the ticker."""

    def __init__(
        self,
        compiled: Compiled,
        bridge: Dispatcher,
        work_root: Path,
        *,
        executing: Executing | NotCounted = NOT_COUNTED,
        give_way_to: Board | None = None,
    ) -> None:
        """`executing` counts this process's runs while their guests execute (in request
        processes); with `give_way_to`, every guest here pauses while a request's guest
        executes (in scripts' processes). See `_busy`."""
        self.compiled = compiled
        self.bridge = bridge
        self.work_root = work_root
        self.executing = executing
        self.give_way_to = give_way_to
        self.shutdown = threading.Event()
        engine = compiled.engine
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        define_guards(linker)
        define(linker, "host", "call", ["i32"] * 4, functools.partial(host_call, bridge))
        self._linker = linker
        self._linking = threading.Lock()
        self.memory_pre = wasmtime.Linker(engine).instantiate_pre(compiled.memory)
        self._wasi_linker = wasmtime.Linker(engine)
        self._wasi_linker.allow_shadowing = True  # each guest's memory in turn
        self._wasi_linker.define_wasi()
        self._trampoline = wasmtime.Module(engine, trampoline_wat())
        self.ticker = _epoch.Ticker(
            engine, _epoch.TICK if give_way_to is None else _epoch.GIVE_WAY_TICK
        )
        self.live: weakref.WeakSet[Guest] = weakref.WeakSet()
        self.folders = FolderStore(work_root)
        """Each guest's folders, handed on from guest to guest (see `_folders`)."""
        atexit.register(self.close_all)
        self.empty = Path(tempfile.mkdtemp(prefix="empty-", dir=work_root))
        """An empty folder, mounted in place of an absent one (see the module's docstring)."""
        self.included = _included.locate(compiled.interpreter)
        """The included packages' folder, or None before `prepare` has made it."""
        # Guests import the guest package from source until the bytecode archive is ready.
        self.guest_dir: Path = GUEST_DIR
        self.bundle: str | None = None
        self.warm_up: str | None = None if compiled.initialised else warm_up_source(None)
        """The first turn of each guest; None when the module starts after it."""
        self._use_bytecode()
        if self.warm_up is not None:
            self.warm_up = warm_up_source(self.bundle)
        self.prefault: _prefault.Ranges = []
        """The pages of its memory each guest copies before its run (see `_prefault`)."""
        if compiled.initialised:
            self.prefault = self._rehearse()

    def _rehearse(self) -> _prefault.Ranges:
        """Run `REHEARSAL` in a guest of its own and return the pages of memory it wrote."""
        job = Route(Code.single(REHEARSAL), HttpRequest("GET", "/rehearsal"))
        guest = Guest(self)
        try:
            result = guest.run(job.payload(), dict(job.code.files), Limits(timeout=30.0))
            if not result.ok:
                log.warning("the rehearsal run failed: %s", result.message)
                return []
            return _prefault.written(guest.memory_address(), guest.memory.data_len(guest.store))
        finally:
            guest.close()

    def _use_bytecode(self) -> None:
        folder = _bytecode.bundle_dir(
            self.compiled.interpreter.cache, self.compiled.interpreter.pin.module.sha256
        )
        if not (folder / _bytecode.BUNDLE_NAME).is_file():
            job = Script(Code.single(_bytecode.BUILD, "build_guest.py"))
            guest = Guest(self)  # imports the guest package from source
            try:
                result = guest.run(job.payload(), dict(job.code.files), Limits(timeout=120.0))
                if not result.ok:
                    raise GuestError(
                        f"could not precompile the guest package: {result.message}\n"
                        + result.stderr[-2000:]
                    )
                _bytecode.install((guest.scratch_dir / _bytecode.BUNDLE_NAME).read_bytes(), folder)
            finally:
                guest.close()
        self.guest_dir, self.bundle = folder, f"{GUEST_MOUNT}/{_bytecode.BUNDLE_NAME}"

    def instantiate(self, store: wasmtime.Store) -> wasmtime.Instance:
        """A new instance of the interpreter in `store`: its memory module's, then its
        code's with that memory (see `_engine`)."""
        memory = self.memory_pre.instantiate(store).exports(store)["memory"]
        # the linker holds one store's memory at a time
        with self._linking:
            self._linker.define(store, *MEMORY_IMPORT, memory)
            return self._linker.instantiate(store, self.compiled.module)

    def forwarding(self, store: wasmtime.Store, memory: wasmtime.Memory) -> wasmtime.Instance:
        """An instance of the trampoline in `store`, on `memory`: wasmtime's own WASI
        functions, for the guards to forward to (see `_wasi`)."""
        with self._linking:
            self._wasi_linker.define(store, *TRAMPOLINE_MEMORY, memory)
            return self._wasi_linker.instantiate(store, self._trampoline)

    def close_all(self) -> None:
        """Close every guest still open (wasmtime must not outlive the interpreter)."""
        self.shutdown.set()
        for guest in list(self.live):
            guest.close()
        self.folders.close()
        atexit.unregister(self.close_all)
        shutil.rmtree(self.empty, ignore_errors=True)


class Guest:
    """A started interpreter waiting for its one run (kept: its next). With `packages`, that
    folder is mounted at /packages (read-only, or writable to compile it: see `_packages`)."""

    def __init__(
        self,
        sandbox: Sandbox,
        packages: Path | None = None,
        *,
        writable_packages: bool = False,
        gives_way: bool = True,
    ) -> None:
        self._sandbox = sandbox
        self.packages = packages
        self._writable_packages = writable_packages
        self._gives_way = gives_way
        """Whether it pauses while a request's guest executes, as the sandbox's guests do
        (see `Sandbox`); not a compile job's, which requests must not starve."""
        self._closed = False
        self._running = False
        self._close_after_run = False
        self.runs = 0
        """Runs this guest has served."""
        self.reusable = False
        """Whether it may serve another run: its last one asked to be kept and ended
        cleanly (see `_run`)."""
        self._open_files: set[int] = set()
        """Descriptors its turns opened and did not close: kept across turns, so the limit
        on open files holds for the instance, not for each run of a kept one."""
        self._quota: ScratchQuota | None = None
        """The scratch area's quota, kept with the area across a kept guest's runs."""
        self._files: dict[str, bytes] = {}
        """The widget's files and their bytecode, by relative path, from its first run: the
        guest imports them through the door (`widgetbox.file`), not from /widget."""
        self._listing: dict[str, list[str]] = {"files": [], "bytecode": []}
        """Their paths, given with every job."""
        self._lock = threading.Lock()
        self._folders = sandbox.folders.take()
        self.code_dir = self._folders.code_dir
        self.scratch_dir = self._folders.scratch_dir
        sandbox.live.add(self)
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    def _start(self) -> None:
        sandbox = self._sandbox
        interpreter = sandbox.compiled.interpreter
        wasi = wasmtime.WasiConfig()
        wasi.argv = GUEST_ARGV
        wasi.env = sorted(GUEST_ENV.items())
        if self.packages is not None and not self.packages.is_dir():
            raise GuestError(f"the packages folder {self.packages} is missing")
        mounts = {  # guest path: (host folder, writable)
            STDLIB_MOUNT: (interpreter.stdlib_dir, False),
            GUEST_MOUNT: (sandbox.guest_dir, False),
            CODE_MOUNT: (self.code_dir, False),
            SCRATCH_MOUNT: (self.scratch_dir, True),
            _included.MOUNT: (sandbox.included or sandbox.empty, False),
            PACKAGES_MOUNT: (
                self.packages or sandbox.empty,
                self.packages is not None and self._writable_packages,
            ),
        }
        for guest_path in MOUNTS:  # always all, in this order: see the module's docstring
            folder, writable = mounts[guest_path]
            wasi.preopen_dir(str(folder), guest_path, writable)
        self.store = wasmtime.Store(sandbox.compiled.engine)
        self.store.set_wasi(wasi)
        self.store.set_fuel(FUEL_UNLIMITED)
        self.store.set_limits(memory_size=WARM_UP_LIMITS.memory)
        _epoch.watch(self.store)
        self.instance = instance = sandbox.instantiate(self.store)
        self.memory = self._export(instance, "memory", wasmtime.Memory)
        # both through FastCall: wasmtime-py's own call looks the type up and converts each
        # value on every call, tens of microseconds of a kept interpreter's turn
        self._turn_export = FastCall(self._export(instance, "turn", wasmtime.Func), ["i32", "i32"])
        self._exports = GuestExports(
            self.memory, FastCall(self._export(instance, "host_alloc", wasmtime.Func), ["i32"])
        )
        self.wasi = _Forwards(self.store, sandbox.forwarding(self.store, self.memory))
        if sandbox.warm_up is not None:
            self._warm_up(sandbox.warm_up)
        elif sandbox.prefault:
            size = self.memory.data_len(self.store)
            if not _prefault.copy(self.memory_address(), size, sandbox.prefault):
                sandbox.prefault = []

    def _export(self, instance: wasmtime.Instance, name: str, kind: type[_Export]) -> _Export:
        item = export(self.store, instance, name)
        if not isinstance(item, kind):
            raise GuestError(f"the interpreter module's export {name!r} is not a {kind.__name__}")
        return item

    def memory_size(self) -> int:
        """Bytes of linear memory (it only ever grows)."""
        return self.memory.data_len(self.store)

    def memory_address(self) -> int:
        """Where the guest's linear memory is in this process."""
        return ctypes.cast(self.memory.data_ptr(self.store), ctypes.c_void_p).value or 0

    def _warm_up(self, source: str) -> None:
        initialise = export(self.store, self.instance, "_initialize")  # its C constructors
        if isinstance(initialise, wasmtime.Func):
            with activate(self._activity(WARM_UP_LIMITS, None, None, None, None)):
                try:
                    initialise(self.store)
                except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
                    raise GuestError(f"the interpreter failed to initialise: {e}") from None
        self.setup(source)

    def setup(self, source: str) -> None:
        """Run `source` as a turn of the guest's own, before any run: the warm-up, and the
        turn `_snapshot` adds to it. The warm-up's limits, no job; GuestError when it fails
        or leaves a file open (its state may start other instances: see `_snapshot`)."""
        activity = self._activity(WARM_UP_LIMITS, None, None, None, None)
        outcome = self._turn(activity, source)
        if outcome != 0 or activity.stop is not None:
            raise GuestError(
                "a setup turn of the sandbox failed (the warm-up or the memory image's): "
                + (activity.output.text("stderr") or str(activity.stop or outcome))[-2000:]
            )
        if activity.open_files:
            raise GuestError(
                f"a setup turn of the sandbox left files open (descriptors {activity.open_files})"
            )

    def _activity(
        self,
        limits: Limits,
        on_output: OutputCallback | None,
        cancel: threading.Event | None,
        job: dict[str, Any] | None,
        context: dict[str, Any] | None,
        on_chunk: ChunkCallback | None = None,
    ) -> Activity:
        sandbox = self._sandbox
        quota = self._quota
        if quota is None or (quota.max_bytes, quota.max_entries) != (
            limits.scratch_bytes,
            limits.scratch_files,
        ):
            quota = self._quota = ScratchQuota(
                self.scratch_dir, limits.scratch_bytes, limits.scratch_files
            )
            if self.runs:  # what earlier runs left counts from the start
                quota.usage()
        activity = Activity(
            limits=limits,
            output=Output(limits.output, on_output),
            quota=quota,
            wasi=self.wasi,
            cancel=cancel,
            shutdown=self._sandbox.shutdown,
            job=job,
            context=context,
            # in a request process every turn counts, starting a guest ahead of demand too:
            # scripts run at the same idle priority as the pool, and must not slow it down
            executing=sandbox.executing,
            give_way_to=sandbox.give_way_to if self._gives_way else None,
            exports=self._exports,
            on_chunk=on_chunk,
        )
        activity.open_files = self._open_files
        return activity

    def _turn(self, activity: Activity, source: str) -> int | BaseException:
        """Run `source` as one turn; the guest's return code, or the exception that ended it."""
        data = source.encode()
        ticker = self._sandbox.ticker
        with activate(activity):
            ticker.enter()
            activity.executing.enter()
            try:
                self.store.set_epoch_deadline(1)
                address = self._exports.alloc(self.store, len(data)) & 0xFFFFFFFF
                if not address:
                    raise GuestError("the interpreter could not allocate its input")
                self.memory.write(self.store, data, address)
                return self._turn_export(self.store, address, len(data))
            except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
                return e
            finally:
                activity.executing.leave()
                ticker.leave()

    def run(
        self,
        job: dict[str, Any],
        code: dict[str, str],
        limits: Limits,
        *,
        bytecode: dict[str, bytes] | None = None,
        on_output: OutputCallback | None = None,
        cancel: threading.Event | None = None,
        context: dict[str, Any] | None = None,
        deadline: float | None = None,
        on_chunk: ChunkCallback | None = None,
        keep: bool = False,
    ) -> RunResult:
        """Run one job (the driver's payload) with the widget's files (and any compiled
        bytecode for them, by relative .pyc path); then the guest is spent, unless `keep`
        and the run ended cleanly (`reusable`): then it may run another job of the same
        files, whose `code` and `bytecode` are not written again. `deadline`
        (`time.monotonic()`) ends the run earlier than `limits.timeout` from now: the
        runtime's deadline, which counts from when it sent the run. `on_chunk` takes a
        streamed response's chunks as they come (without it they are joined into the
        result's response)."""
        with self._lock:
            if self._closed or self._running or (self.runs and not self.reusable):
                raise GuestError("a spent guest serves no further run")
            self._running = True
            self.reusable = False
        try:
            return self._run(
                job,
                code if not self.runs else {},
                (bytecode or {}) if not self.runs else {},
                limits,
                on_output,
                cancel,
                context,
                deadline,
                on_chunk,
                keep,
            )
        finally:
            with self._lock:
                self._running = False
                close_now = self._close_after_run
            if close_now:
                self.close()

    def _run(
        self,
        job: dict[str, Any],
        code: dict[str, str],
        bytecode: dict[str, bytes],
        limits: Limits,
        on_output: OutputCallback | None,
        cancel: threading.Event | None,
        context: dict[str, Any] | None,
        deadline: float | None,
        on_chunk: ChunkCallback | None,
        keep: bool,
    ) -> RunResult:
        # With the runtime's deadline, the run counts from when the runtime sent it, so its
        # wall time and its limit are measured from the same moment.
        started = time.monotonic()
        if deadline is not None:
            started = min(started, deadline - limits.timeout)
        if not self.runs:
            files = {relative: text.encode("utf-8") for relative, text in code.items()}
            self._folders.write_code(files)
            # the guest imports from these, not from the files (see _widgetbox/imports.py)
            self._files = {**files, **bytecode}
            self._listing = {"files": sorted(files), "bytecode": sorted(bytecode)}
        job = {**job, **self._listing}
        self.store.set_limits(memory_size=limits.memory)
        budget = limits.fuel if limits.fuel is not None else FUEL_UNLIMITED
        self.store.set_fuel(budget)
        activity = self._activity(limits, on_output, cancel, job, context, on_chunk)
        activity.started, activity.deadline = started, started + limits.timeout
        activity.files = self._files
        outcome = self._turn(activity, SERVE_AGAIN if self.runs else SERVE)
        self.runs += 1
        fuel = None if activity.interrupted else budget - self.store.get_fuel()
        activity.output.finish()
        result = outcome_of(activity, outcome, limits, self.memory.data_len(self.store))
        # Kept only when the turn returned and the driver reported: a stop (deadline,
        # cancel, output limit), a trap, an exit or running out of memory may have left the
        # interpreter anywhere, so it serves no one else.
        self.reusable = (
            keep
            and outcome == 0
            and activity.stop is None
            and activity.report is not None
            and result.status in (Status.OK, Status.ERROR)
        )
        return RunResult(
            status=result.status,
            stdout=activity.output.text("stdout"),
            stderr=activity.output.text("stderr"),
            wall_time=time.monotonic() - started,
            fuel=fuel,
            peak_memory=self.memory.data_len(self.store),
            host_calls=activity.host_calls,
            value=result.value,
            response=result.response,
            error=result.error,
            message=result.message,
            output_truncated=activity.output.truncated,
        )

    def close(self) -> None:
        """Release the store and the guest's folders; a running guest is closed when its
        run ends (its store must not be freed under it)."""
        with self._lock:
            if self._closed:
                return
            if self._running:
                self._close_after_run = True
                return
            self._closed = True
        store = getattr(self, "store", None)
        if store is not None:
            store.close()  # first: its descriptors of files in the folders close with it
        self._sandbox.folders.give_back(self._folders)
        self._sandbox.live.discard(self)


class _Forwards(dict[str, FastCall]):
    """The trampoline's WASI functions (`FORWARDED`) by name, each made a `FastCall` when a
    guard first forwards to it: most runs use few of them, and making all eleven was 3% of
    a hello route's whole cycle (start, run, close)."""

    def __init__(self, store: wasmtime.Store, trampoline: wasmtime.Instance) -> None:
        super().__init__()
        self._store = store
        self._trampoline = trampoline

    def __missing__(self, name: str) -> FastCall:
        func = export(self._store, self._trampoline, name)
        if not isinstance(func, wasmtime.Func):  # the trampoline is made from FORWARDED
            raise GuestError(f"the trampoline has no function {name!r}")
        call = self[name] = FastCall(func, FORWARDED[name])
        return call


_Export = TypeVar("_Export", wasmtime.Func, wasmtime.Memory)
