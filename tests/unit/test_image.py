"""The interpreter module split into its code and its memory, and memory images of instances
(`runtime/_image.py`), on small modules written here: an instance of the parts is the
module's, an image starts where its instance was, and what cannot be carried is refused."""

from __future__ import annotations

from typing import Any

import pytest
import wasmtime

from widgetbox.runtime import _image
from widgetbox.runtime._image import ImageError

pytestmark = pytest.mark.unit

MODULE = """
(module
  (import "host" "log" (func $log (param i32)))
  (memory (export "memory") 1 8)
  (global $__stack_pointer (mut i32) (i32.const 1024))
  (global $count (export "count") (mut i64) (i64.const 7))
  (global $fixed i32 (i32.const 99))
  (data (i32.const 100) "hello")
  (data $later "passive bytes")
  (func (export "_initialize")
    (drop (memory.grow (i32.const 2)))
    (i32.store (i32.const 70000) (i32.const 42))
    (i32.store (i32.const 200) (i32.add (i32.load (i32.const 200)) (i32.const 1))))
  (func (export "count_up") (global.set $count (i64.add (global.get $count) (i64.const 1))))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "pages") (result i32) (memory.size))
  (func (export "init_later") (memory.init $later (i32.const 300) (i32.const 0) (i32.const 7)))
)
"""


@pytest.fixture(scope="module")
def engine() -> wasmtime.Engine:
    return wasmtime.Engine()


@pytest.fixture(scope="module")
def parts(engine: wasmtime.Engine) -> tuple[_image.Split, wasmtime.Module]:
    split = _image.split(wasmtime.wat2wasm(MODULE))
    return split, wasmtime.Module(engine, split.code)


def instance(
    engine: wasmtime.Engine, code: wasmtime.Module, memory: bytes
) -> tuple[wasmtime.Store, dict[str, Any]]:
    """The memory module's instance, then the code's with its memory."""
    store = wasmtime.Store(engine)
    mem = wasmtime.Instance(store, wasmtime.Module(engine, memory), []).exports(store)["memory"]
    log = wasmtime.Func(store, wasmtime.FuncType([wasmtime.ValType.i32()], []), lambda _: None)
    exports = wasmtime.Instance(store, code, [log, mem]).exports(store)
    return store, {item.name: exports[item.name] for item in code.exports}


def test_an_instance_of_the_parts_is_the_modules(
    engine: wasmtime.Engine, parts: tuple[_image.Split, wasmtime.Module]
) -> None:
    split, code = parts
    store, exports = instance(engine, code, split.memory)
    assert bytes(exports["memory"].read(store, 100, 105)) == b"hello"
    assert exports["pages"](store) == 1
    exports["init_later"](store)  # passive segments stay with the code, at their index
    assert bytes(exports["memory"].read(store, 300, 307)) == b"passive"
    assert [item.module for item in code.imports] == ["host", "env"]


def test_instantiating_the_parts_runs_no_code() -> None:
    """wasmtime initialises an imported memory's active data by running code, which would
    need fuel (and meet the epoch deadline) before the run: the code keeps none."""
    config = wasmtime.Config()
    config.consume_fuel = True
    engine = wasmtime.Engine(config)
    split = _image.split(wasmtime.wat2wasm(MODULE))
    store, exports = instance(engine, wasmtime.Module(engine, split.code), split.memory)
    assert store.get_fuel() == 0
    assert bytes(exports["memory"].read(store, 100, 105)) == b"hello"


def test_an_image_starts_where_its_instance_was(
    engine: wasmtime.Engine, parts: tuple[_image.Split, wasmtime.Module]
) -> None:
    split, code = parts
    store, exports = instance(engine, code, split.memory)
    exports["_initialize"](store)
    memory = exports["memory"]
    image = _image.memory_module(
        bytes(memory.read(store, 0, memory.data_len(store))), split.maximum
    )
    first, second = instance(engine, code, image), instance(engine, code, image)
    for store, exports in (first, second):
        assert exports["load"](store, 70000) == 42
        assert exports["load"](store, 200) == 1
        assert exports["pages"](store) == 3
    first[1]["init_later"](first[0])  # each instance is its own
    assert second[1]["load"](second[0], 300) == 0


def test_an_image_is_refused_while_a_global_differs_from_its_start(
    engine: wasmtime.Engine, parts: tuple[_image.Split, wasmtime.Module]
) -> None:
    split, code = parts
    assert [(g.index, g.export, g.name, g.initial) for g in split.mutable_globals] == [
        (0, None, "__stack_pointer", 1024),
        (1, "count", "count", 7),
    ]
    store, exports = instance(engine, code, split.memory)
    assert split.unchanged({"count": exports["count"].value(store)}) == []
    exports["count_up"](store)
    assert split.unchanged({"count": exports["count"].value(store)}) == [
        "count (changed from 7 to 8)"
    ]


def test_a_global_the_host_cannot_read_is_reported() -> None:
    split = _image.split(
        wasmtime.wat2wasm(
            '(module (import "h" "f" (func)) (memory (export "memory") 1)'
            " (global $hidden (mut i32) (i32.const 0)))"
        )
    )
    assert split.unchanged({}) == ["hidden (not exported, so it cannot be checked)"]


@pytest.mark.parametrize(
    ("wat", "reason"),
    [
        ('(module (import "env" "memory" (memory 1)) (data (i32.const 0) "x"))', "imports its"),
        (
            '(module (import "env" "g" (global (mut i32))) (memory (export "m") 1))',
            "mutable global",
        ),
        ('(module (import "h" "f" (func)) (memory 1))', "does not export its memory"),
        ('(module (func (export "f")))', "exactly one memory"),
        (
            '(module (import "h" "f" (func $f)) (memory (export "m") 1) (start $f))',
            "start function",
        ),
        (
            '(module (import "h" "base" (global $b i32)) (import "h" "f" (func))'
            ' (memory (export "m") 1) (data (global.get $b) "x"))',
            "not a constant",
        ),
    ],
)
def test_modules_that_cannot_be_split_are_refused(wat: str, reason: str) -> None:
    with pytest.raises(ImageError, match=reason):
        _image.split(wasmtime.wat2wasm(wat))


def test_memory_outside_the_declared_limits_is_refused() -> None:
    with pytest.raises(ImageError, match="above its maximum"):
        _image.memory_module(bytes(3 * _image.PAGE), maximum=2)
    with pytest.raises(ImageError, match="whole number of pages"):
        _image.memory_module(bytes(100))


def test_segments_cover_only_the_blocks_that_are_not_zero() -> None:
    memory = bytearray(8 * _image.BLOCK)
    memory[5] = 1
    memory[3 * _image.BLOCK + 7] = 2
    memory[4 * _image.BLOCK] = 3
    memory[-1] = 4
    segments = _image.image_segments(bytes(memory))
    assert len(segments) == 3  # block 0; blocks 3-4; block 7
    assert sum(len(s) for s in segments) < 5 * _image.BLOCK
