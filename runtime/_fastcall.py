"""Lean calls between host and guest for the hot paths: WASI forwards and host functions.

wasmtime-py's `Func.__call__` looks the function's type up and converts every argument
through generic wrappers on every call, which costs more than the WASI call itself. The
forwards call the same C function (`wasmtime_func_call`) with argument arrays prepared once.
This uses wasmtime-py's own ctypes binding (`wasmtime._ffi`), pinned with wasmtime-py;
tests/unit/test_fastcall.py checks the names it relies on.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Sequence
from typing import Any

import wasmtime
from wasmtime import _ffi
from wasmtime._extern import wrap_extern
from wasmtime._func import Caller

log = logging.getLogger("widgetbox.runtime")

_KINDS = {"i32": _ffi.WASMTIME_I32.value, "i64": _ffi.WASMTIME_I64.value}


def export(store: wasmtime.Store, instance: wasmtime.Instance, name: str) -> Any:
    """`instance`'s export `name`, or None. wasmtime-py's `Instance.exports` wraps every
    export of the instance first: a new guest needs four of the interpreter's and its
    trampoline's eleven, and wrapping them all was a fifth of starting one."""
    item = _ffi.wasmtime_extern_t()
    raw = name.encode()
    found = _ffi.wasmtime_instance_export_get(
        store._context(), ctypes.byref(instance._instance), raw, len(raw), ctypes.byref(item)
    )
    return wrap_extern(item) if found else None


class FastCall:
    """Calls one exported wasm function of (i32|i64)* -> i32 signature."""

    __slots__ = ("_args", "_count", "_fields", "_func", "_results")

    def __init__(self, func: wasmtime.Func, params: Sequence[str]) -> None:
        self._func = func._func
        self._count = len(params)
        self._args = (_ffi.wasmtime_val_t * max(1, self._count))()
        for slot, kind in zip(self._args, params, strict=False):
            slot.kind = _KINDS[kind]
        self._fields = tuple(params)
        self._results = (_ffi.wasmtime_val_t * 1)()

    def __call__(self, caller: Any, *values: int) -> int:
        args = self._args
        for slot, field, value in zip(args, self._fields, values, strict=True):
            setattr(slot.of, field, value)
        trap = ctypes.POINTER(_ffi.wasm_trap_t)()
        error = _ffi.wasmtime_func_call(
            caller._context(),
            ctypes.byref(self._func),
            args,
            self._count,
            self._results,
            1,
            ctypes.byref(trap),
        )
        if error:
            raise wasmtime.WasmtimeError._from_ptr(error)
        if trap:
            raise wasmtime.Trap._from_ptr(trap)
        return int(self._results[0].of.i32)


class StopGuest(Exception):
    """Raised by a host function to end the guest at once (a limit, a deadline, a cancel)."""


HostFunction = Any  # (Caller, *int) -> int
_handlers: dict[int, tuple[HostFunction, tuple[str, ...]]] = {}
_next_handler = iter(range(1, 2**62))


def define(
    linker: wasmtime.Linker, module: str, name: str, params: Sequence[str], fn: HostFunction
) -> None:
    """Define `module.name` in `linker` as `fn(caller, *args) -> int` (params i32/i64).

    Like `Linker.define_func(..., access_caller=True)` without the per-call type lookups.
    `fn` raising StopGuest ends the guest; any other exception is logged and ends it too.
    """
    key = next(_next_handler)
    _handlers[key] = (fn, tuple(params))
    ty = wasmtime.FuncType([_VALTYPES[p]() for p in params], [wasmtime.ValType.i32()])
    module_bytes, name_bytes = module.encode(), name.encode()
    error = _ffi.wasmtime_linker_define_func(
        linker.ptr(),
        ctypes.create_string_buffer(module_bytes),
        len(module_bytes),
        ctypes.create_string_buffer(name_bytes),
        len(name_bytes),
        ty.ptr(),
        _dispatch,
        key,
        _forget,
    )
    if error:
        raise wasmtime.WasmtimeError._from_ptr(error)


_VALTYPES = {"i32": wasmtime.ValType.i32, "i64": wasmtime.ValType.i64}


@_ffi.wasmtime_func_callback_t  # type: ignore[untyped-decorator]
def _dispatch(
    key: Any, caller_ptr: Any, args: Any, _nargs: int, results: Any, _nresults: int
) -> int:
    caller = Caller(caller_ptr)
    try:
        fn, params = _handlers[key or 0]
        values = [getattr(args[i].of, kind) for i, kind in enumerate(params)]
        results[0].kind = _KINDS["i32"]
        results[0].of.i32 = fn(caller, *values)
        return 0
    except StopGuest:
        return _trap("widgetbox: run stopped")
    except BaseException:
        log.exception("a host function failed; the guest is stopped")
        return _trap("widgetbox: host function failed")
    finally:
        caller._invalidate()


def _trap(message: str) -> int:
    data = message.encode()
    trap = _ffi.wasmtime_trap_new(ctypes.create_string_buffer(data), len(data))
    return ctypes.cast(trap, ctypes.c_void_p).value or 0


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)  # type: ignore[untyped-decorator]
def _forget(key: Any) -> None:
    _handlers.pop(key or 0, None)
