"""Wall-clock deadlines and cancellation through wasmtime's epoch interruption.

A ticker thread advances the engine's epoch every `TICK` seconds while any guest runs. Each
store's deadline is one tick ahead, and at every tick wasmtime calls `_on_epoch` on the
thread running the guest: it asks the run whether it must stop (deadline passed, cancelled,
a limit hit) and either extends the deadline by one tick or ends the guest with an error.
This stops pure-Python loops and long C-level loops alike (regex backtracking, huge integer
arithmetic), within one tick.

wasmtime-py does not wrap `wasmtime_store_epoch_deadline_callback`, so it is called through
wasmtime-py's own ctypes binding; `tests/sandbox` checks it keeps working on upgrade.
"""

from __future__ import annotations

import ctypes
import threading
import time
from typing import Any

import wasmtime
from wasmtime import _bindings, _ffi

from ._activity import current

TICK = 0.01
"""Seconds between epochs: the granularity of deadlines and cancels."""
GIVE_WAY_TICK = 0.002
"""The same in scripts' processes, where each tick is also where a script gives way to a
request that started executing (see `_busy`): finer, so a request meets at most 2 ms of a
script."""

_CONTINUE = 0  # WASMTIME_UPDATE_DEADLINE_CONTINUE

_Callback = _bindings._wasmtime_store_epoch_deadline_callback.argtypes[1]
_Finalizer = _bindings._wasmtime_store_epoch_deadline_callback.argtypes[3]


class Ticker:
    """Advances one engine's epoch while at least one guest is running."""

    def __init__(self, engine: wasmtime.Engine, tick: float = TICK) -> None:
        self._engine = engine
        self._tick = tick
        self._running = 0
        self._lock = threading.Lock()
        self._busy = threading.Event()
        self._thread = threading.Thread(target=self._run, name="widgetbox-epoch", daemon=True)
        self._thread.start()

    def enter(self) -> None:
        with self._lock:
            self._running += 1
            self._busy.set()

    def leave(self) -> None:
        with self._lock:
            self._running -= 1
            if self._running == 0:
                self._busy.clear()

    def _run(self) -> None:
        while True:
            self._busy.wait()
            time.sleep(self._tick)
            self._engine.increment_epoch()


def watch(store: wasmtime.Store) -> None:
    """Install the epoch callback on `store`, with a deadline one tick ahead."""
    _ffi.wasmtime_store_epoch_deadline_callback(store.ptr(), _on_epoch, None, _FINALIZE)
    store.set_epoch_deadline(1)


@_Callback  # type: ignore[untyped-decorator]
def _on_epoch(_context: Any, _data: Any, delta: Any, kind: Any) -> int:
    try:
        if current().epoch_check():
            return _stop_error()
        delta[0] = 1
        kind[0] = _CONTINUE
        return 0
    except BaseException:  # never let an exception unwind into wasmtime: stop the guest
        return _stop_error()


def _stop_error() -> int:
    error = _ffi.wasmtime_error_new(b"widgetbox: run stopped")
    return ctypes.cast(error, ctypes.c_void_p).value or 0


_FINALIZE = _Finalizer()
