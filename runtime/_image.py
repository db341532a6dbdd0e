"""The interpreter module split in two, so that an instance can start from a memory image.

`split` turns a module into its code, which imports its memory (`env.memory`, as declared)
instead of defining it and holds no active data, and a tiny module that defines that memory
with the original data and exports it. An instance is the memory module's instance, then the
code's with that memory: the same instance as before. `memory_module` writes a memory module
from an instance's linear memory: a code instance given that memory starts where the first
one was (what Wizer does, without copying the code). So the 100 MB of code is compiled once
per interpreter, and a new image costs only its memory module (milliseconds), which wasmtime
maps copy-on-write into each instance.

What an instance holds beyond its memory is not carried, and `split` refuses a module where
that would matter: an imported memory or mutable global (the host owns them), a start
function (it would run again on every instance), shared or 64-bit memories, data placed by
anything but a constant. Mutable globals stay in the code with their initialisers: an image
may be taken only when each still holds its initial value (`Split.unchanged`), which the C
ABI's `__stack_pointer` does whenever no call is in progress (every function restores it
before it returns); any other must be exported so that the host can check it. Tables are as
the module declares them: an image must not be taken after code changed one.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

PAGE = 65536
"""Bytes in a Wasm page."""
BLOCK = 4096
"""Granularity of the image's data segments: runs of non-zero blocks become segments."""

_MAGIC = b"\0asm\x01\0\0\0"
_CUSTOM, _IMPORT, _MEMORY, _GLOBAL, _EXPORT, _START, _DATA = 0, 2, 5, 6, 7, 8, 11
_END = 0x0B
_NUMBERS = (0x7F, 0x7E, 0x7D, 0x7C)  # i32, i64, f32, f64
STACK_POINTER = "__stack_pointer"


class ImageError(ValueError):
    """The module cannot be snapshotted this way; the message says why."""


@dataclass(frozen=True)
class MutableGlobal:
    """A mutable global the module defines."""

    index: int
    """Its index in the global index space (imported globals first)."""
    initial: int | float
    """The value its initialiser gives (a constant)."""
    export: str | None
    """The name it is exported under, if any: how the host reads it."""
    name: str | None
    """Its name in the module's name section, if any."""


@dataclass(frozen=True)
class Split:
    """A module split by `split`."""

    code: bytes
    """The module, its memory imported as `env.memory` and its active data segments empty."""
    memory: bytes
    """A module that defines the memory, with the original data, exported as `memory`."""
    maximum: int | None
    """The memory's maximum in pages, as declared."""
    mutable_globals: tuple[MutableGlobal, ...]

    def unchanged(self, read: dict[str, int | float]) -> list[str]:
        """Why an image taken now would not start where the instance is: the mutable
        globals that changed (`read`: the exported ones' values now, by export name) or
        that the host cannot read. Empty when an image may be taken."""
        problems = []
        for g in self.mutable_globals:
            label = g.name or g.export or str(g.index)
            if g.export is None:
                if g.name != STACK_POINTER:
                    problems.append(f"{label} (not exported, so it cannot be checked)")
            elif read.get(g.export) != g.initial:
                problems.append(f"{label} (changed from {g.initial} to {read.get(g.export)})")
        return problems


MEMORY_IMPORT = ("env", "memory")
"""Where the code module finds its memory."""


def _uleb(data: bytes | memoryview, at: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[at]
        at += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, at


def _sleb(data: bytes | memoryview, at: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[at]
        at += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            if byte & 0x40:
                result -= 1 << shift
            return result, at


def _enc_uleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _enc_sleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40):
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def _name(data: bytes | memoryview, at: int) -> tuple[str, int]:
    size, at = _uleb(data, at)
    return bytes(data[at : at + size]).decode("utf-8"), at + size


def _sections(module: bytes) -> list[tuple[int, bytes]]:
    if module[:8] != _MAGIC:
        raise ImageError("not a WebAssembly module (version 1)")
    sections, at = [], 8
    while at < len(module):
        kind = module[at]
        size, at = _uleb(module, at + 1)
        sections.append((kind, module[at : at + size]))
        at += size
    return sections


def _section(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + _enc_uleb(len(body)) + body


def _skip_const_expr(data: bytes, at: int) -> tuple[int | float | None, int]:
    """Read a constant expression up to its `end`; its value when it is one plain constant
    (None for extended or reference expressions, which `rewrite` never needs to evaluate)."""
    value: int | float | None = None
    count = 0
    while True:
        op = data[at]
        at += 1
        if op == _END:
            return (value if count == 1 else None), at
        count += 1
        if op in (0x41, 0x42):  # i32.const, i64.const
            value, at = _sleb(data, at)
        elif op == 0x43:
            (value,) = struct.unpack_from("<f", data, at)
            at += 4
        elif op == 0x44:
            (value,) = struct.unpack_from("<d", data, at)
            at += 8
        elif op in (0x23, 0xD2):  # global.get, ref.func
            _, at = _uleb(data, at)
            value = None
        elif op == 0xD0:  # ref.null heaptype
            _, at = _sleb(data, at)
            value = None
        elif op in (0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E):  # extended constant arithmetic
            value = None
        elif op == 0xFD:  # v128.const
            _, at = _uleb(data, at)
            at += 16
            value = None
        else:
            raise ImageError(f"an initialiser uses opcode {op:#x}, which this reader does not know")


def _skip_valtype(data: bytes, at: int) -> tuple[int, int]:
    kind = data[at]
    at += 1
    if kind in (0x63, 0x64):  # (ref null? heaptype)
        _, at = _sleb(data, at)
    return kind, at


def _limits(data: bytes, at: int) -> tuple[int, int, int | None, int]:
    flags = data[at]
    minimum, at = _uleb(data, at + 1)
    maximum = None
    if flags & 1:
        maximum, at = _uleb(data, at)
    return flags, minimum, maximum, at


def _imports(body: bytes) -> tuple[int, int]:
    """(imported globals, imported memories), refusing an imported mutable global."""
    count, at = _uleb(body, 0)
    globals_ = memories = 0
    for _ in range(count):
        _, at = _name(body, at)
        _, at = _name(body, at)
        kind = body[at]
        at += 1
        if kind == 0:  # func: type index
            _, at = _uleb(body, at)
        elif kind == 1:  # table: reftype, limits
            _, at = _skip_valtype(body, at)
            _, _, _, at = _limits(body, at)
        elif kind == 2:
            _, _, _, at = _limits(body, at)
            memories += 1
        elif kind == 3:
            _, at = _skip_valtype(body, at)
            mutable = body[at]
            at += 1
            if mutable:
                raise ImageError("the module imports a mutable global, whose value the host owns")
            globals_ += 1
        elif kind == 4:  # tag: attribute, type index
            _, at = _uleb(body, at + 1)
        else:
            raise ImageError(f"unknown import kind {kind}")
    return globals_, memories


def _exports(body: bytes) -> dict[tuple[int, int], str]:
    """(kind, index) -> export name, the first name of each."""
    count, at = _uleb(body, 0)
    found: dict[tuple[int, int], str] = {}
    for _ in range(count):
        name, at = _name(body, at)
        kind = body[at]
        index, at = _uleb(body, at + 1)
        found.setdefault((kind, index), name)
    return found


def _global_names(sections: list[tuple[int, bytes]]) -> dict[int, str]:
    for kind, body in sections:
        if kind != _CUSTOM:
            continue
        title, at = _name(body, 0)
        if title != "name":
            continue
        while at < len(body):
            sub = body[at]
            size, at = _uleb(body, at + 1)
            end = at + size
            if sub == 7:  # global names
                names: dict[int, str] = {}
                count, at = _uleb(body, at)
                for _ in range(count):
                    index, at = _uleb(body, at)
                    names[index], at = _name(body, at)
                return names
            at = end
    return {}


def _mutable_globals(
    sections: list[tuple[int, bytes]], imported: int, exports: dict[tuple[int, int], str]
) -> tuple[MutableGlobal, ...]:
    names = _global_names(sections)
    body = next((b for k, b in sections if k == _GLOBAL), b"\0")
    found = []
    count, at = _uleb(body, 0)
    for offset in range(count):
        index = imported + offset
        valtype, at = _skip_valtype(body, at)
        mutable = body[at]
        initial, at = _skip_const_expr(body, at + 1)
        if not mutable:
            continue
        if valtype not in _NUMBERS or initial is None:
            raise ImageError(f"mutable global {index} is not a plain number")
        found.append(MutableGlobal(index, initial, exports.get((3, index)), names.get(index)))
    return tuple(found)


def split(module: bytes) -> Split:
    """`module` as its code and its memory (see the module's docstring)."""
    sections = _sections(module)
    by_kind = {kind: body for kind, body in sections if kind != _CUSTOM}
    if _START in by_kind:
        raise ImageError("the module has a start function, which would run on every instance")
    imported_globals, imported_memories = _imports(by_kind.get(_IMPORT, b"\0"))
    if imported_memories:
        raise ImageError("the module imports its memory; only a memory it defines is split")
    memory = by_kind.get(_MEMORY)
    if memory is None or _uleb(memory, 0)[0] != 1:
        raise ImageError("the module must define exactly one memory")
    flags, minimum, maximum, _ = _limits(memory, 1)
    if flags & ~1:
        raise ImageError("shared and 64-bit memories are not supported")
    exports = _exports(by_kind.get(_EXPORT, b"\0"))
    if (2, 0) not in exports:
        raise ImageError("the module does not export its memory")
    if _IMPORT not in by_kind:
        raise ImageError("the module imports nothing; an import section is expected")
    data = by_kind.get(_DATA, b"\0")
    kept, active = _split_segments(data)
    out = bytearray(_MAGIC)
    for kind, body in sections:
        if kind == _MEMORY:
            continue
        if kind == _IMPORT:
            body = _with_memory_import(body, memory[1:])  # noqa: PLW2901
        elif kind == _DATA:
            body = _enc_uleb(len(kept)) + b"".join(kept)  # noqa: PLW2901
        out += _section(kind, body)
    return Split(
        code=bytes(out),
        memory=_memory_module(minimum, maximum, active),
        maximum=maximum,
        mutable_globals=_mutable_globals(sections, imported_globals, exports),
    )


def memory_module(memory: bytes, maximum: int | None = None) -> bytes:
    """A memory module (see `split`) whose memory starts as `memory` (whole pages)."""
    if len(memory) % PAGE:
        raise ImageError("the captured memory is not a whole number of pages")
    pages = len(memory) // PAGE
    if maximum is not None and pages > maximum:
        raise ImageError(f"the captured memory ({pages} pages) is above its maximum")
    return _memory_module(pages, maximum, image_segments(memory))


def _memory_module(pages: int, maximum: int | None, segments: list[bytes]) -> bytes:
    limits = bytes([1 if maximum is not None else 0]) + _enc_uleb(pages)
    if maximum is not None:
        limits += _enc_uleb(maximum)
    export = _enc_uleb(1) + _enc_uleb(6) + b"memory" + bytes([2, 0])
    return (
        _MAGIC
        + _section(_MEMORY, _enc_uleb(1) + limits)
        + _section(_EXPORT, export)
        + _section(_DATA, _enc_uleb(len(segments)) + b"".join(segments))
    )


def _with_memory_import(body: bytes, limits: bytes) -> bytes:
    count, at = _uleb(body, 0)
    module, name = (part.encode() for part in MEMORY_IMPORT)
    entry = _enc_uleb(len(module)) + module + _enc_uleb(len(name)) + name + bytes([2]) + limits
    return _enc_uleb(count + 1) + body[at:] + entry


def _split_segments(body: bytes) -> tuple[list[bytes], list[bytes]]:
    """(the segments as the code keeps them, the active segments for the memory module).
    Passive segments stay in the code as they are, and each active one becomes an empty
    passive one, so every segment keeps its index (`memory.init` and `data.drop` name them
    by index) and behaves as an active one does once it has been copied and dropped. (An
    empty active segment would do as well, but wasmtime initialises an imported memory's
    active segments by running code, which needs fuel before any run has begun.)"""
    count, at = _uleb(body, 0)
    kept, active = [], []
    for _ in range(count):
        start = at
        flag, at = _uleb(body, at)
        if flag == 1:
            size, at = _uleb(body, at)
            at += size
            kept.append(body[start:at])
            continue
        if flag == 2:
            index, at = _uleb(body, at)
            if index != 0:
                raise ImageError(f"a data segment names memory {index}")
        elif flag != 0:
            raise ImageError(f"unknown data segment kind {flag}")
        offset_at = at
        offset, at = _skip_const_expr(body, at)
        if not isinstance(offset, int) or body[offset_at] != 0x41:
            raise ImageError("a data segment is placed by an expression, not a constant")
        size, at = _uleb(body, at)
        at += size
        active.append(bytes([0]) + body[offset_at:at])
        kept.append(bytes([1, 0]))  # passive, no bytes: as an active one is once dropped
    return kept, active


def _const(value: int) -> bytes:
    value &= 0xFFFFFFFF
    return bytes([0x41]) + _enc_sleb(value - (1 << 32) if value >= 1 << 31 else value)


def image_segments(memory: bytes) -> list[bytes]:
    """Active data segments that rebuild `memory` (whole blocks) from zeroes: one per run
    of blocks that are not all zero."""
    if len(memory) % BLOCK:
        raise ImageError("the captured memory is not a whole number of blocks")
    zero, view = bytes(BLOCK), memoryview(memory)
    runs: list[tuple[int, int]] = []
    start = None
    for at in range(0, len(memory), BLOCK):
        empty = view[at : at + BLOCK] == zero
        if not empty and start is None:
            start = at
        elif empty and start is not None:
            runs.append((start, at))
            start = None
    if start is not None:
        runs.append((start, len(memory)))
    return [
        bytes([0]) + _const(a) + bytes([_END]) + _enc_uleb(b - a) + view[a:b].tobytes()
        for a, b in runs
    ]
