"""The private wasmtime-py names the runtime relies on (pinned with wasmtime-py)."""

from __future__ import annotations

import pytest
from wasmtime import _bindings, _extern, _ffi, _func

pytestmark = pytest.mark.unit


def test_the_ctypes_names_used_exist() -> None:
    for name in (
        "wasmtime_func_call",
        "wasmtime_linker_define_func",
        "wasmtime_func_callback_t",
        "wasmtime_trap_new",
        "wasmtime_error_new",
        "wasmtime_store_epoch_deadline_callback",
        "wasmtime_val_t",
        "wasm_trap_t",
        "wasmtime_instance_export_get",
        "wasmtime_extern_t",
    ):
        assert hasattr(_ffi, name), name
    assert len(_bindings._wasmtime_store_epoch_deadline_callback.argtypes) == 4
    assert hasattr(_func, "Caller")
    assert hasattr(_extern, "wrap_extern")
    assert _ffi.WASMTIME_I32.value == 0
    assert _ffi.WASMTIME_I64.value == 1
