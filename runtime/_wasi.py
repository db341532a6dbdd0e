"""WASI calls the runtime answers or checks itself before wasmtime does.

- `fd_write` to stdout/stderr is captured here (wasmtime never sees it), so output streams
  live and is capped.
- Files opened by the run are counted (`path_open`, `fd_close`; the interpreter imports no
  other call that makes a descriptor): beyond `Limits.open_files` an open fails with EMFILE,
  so a guest cannot use up the descriptors of the sandbox process it shares with others.
- Writes, file creation and growth are counted against the run's scratch quota; beyond it
  the guest gets ENOSPC, as from a full disk. Shrinking a file is never refused.
  `fd_allocate` (posix_fallocate) needs no guard: the interpreter does not import it (and
  wasmtime answers it ENOTSUP); tests/security/test_scratch_quota.py keeps that checked.
- `poll_oneoff` on clocks (`time.sleep`) sleeps here in short slices, so a sleeping guest is
  still stopped by its deadline or a cancel (a wasmtime-side sleep would not be).

Everything else is forwarded to wasmtime's own implementation through a tiny trampoline
module instantiated in the guest's store on the guest's memory: wasmtime's WASI functions
read and write the memory of the instance that calls them, so the call must come from wasm.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from typing import Any, Protocol

import wasmtime

from ._activity import Activity, current
from ._fastcall import define

WASI = "wasi_snapshot_preview1"
ERRNO_SUCCESS, ERRNO_FAULT, ERRNO_INVAL, ERRNO_MFILE, ERRNO_NOENT, ERRNO_NOSPC = (
    0,
    21,
    28,
    33,
    44,
    51,
)
O_CREAT, O_EXCL = 1, 4
STDOUT, STDERR = 1, 2
MAX_IOVECS = 1024
U64 = (1 << 64) - 1
MAX_SUBSCRIPTIONS = 4096
SLICE = 0.01  # seconds a guest sleep waits between checks for a stop

_FILESTAT = struct.Struct("<QQB7xQQQQQ")  # dev, ino, filetype, nlink, size, atim, mtim, ctim

_SUBSCRIPTION = struct.Struct("<QB7xIxxxxQQH6x")  # userdata, tag, clock, timeout, precision, flags
_EVENT = struct.Struct("<QHB5xQH6x")  # userdata, errno, type, nbytes, flags
_EVENTTYPE_CLOCK = 0
_ABSTIME = 1
_REALTIME = 0

_I32, _I64 = wasmtime.ValType.i32(), wasmtime.ValType.i64()


def _wat_type(t: wasmtime.ValType) -> str:
    return "i64" if t == _I64 else "i32"


# The WASI calls this module shadows, and the ones the shadows read through wasmtime.
_SIGNATURES: dict[str, list[wasmtime.ValType]] = {
    "fd_write": [_I32, _I32, _I32, _I32],
    "fd_pwrite": [_I32, _I32, _I32, _I64, _I32],
    "path_open": [_I32, _I32, _I32, _I32, _I32, _I64, _I64, _I32, _I32],
    "path_create_directory": [_I32, _I32, _I32],
    "path_symlink": [_I32, _I32, _I32, _I32, _I32],
    "path_link": [_I32, _I32, _I32, _I32, _I32, _I32, _I32],
    "fd_filestat_set_size": [_I32, _I64],
    "poll_oneoff": [_I32, _I32, _I32, _I32],
    "clock_time_get": [_I32, _I64, _I32],
    "fd_filestat_get": [_I32, _I32],
    "fd_close": [_I32],
}
_CALLED = {"clock_time_get", "fd_filestat_get"}
"""Called by the shadows through wasmtime, not shadowed themselves."""
_SHADOWED = [name for name in _SIGNATURES if name not in _CALLED]
FORWARDED = {name: [_wat_type(p) for p in params] for name, params in _SIGNATURES.items()}
"""The wasmtime WASI functions the trampoline exports, with their parameter kinds."""


TRAMPOLINE_MEMORY = ("env", "memory")
"""Where the trampoline imports the guest's memory from."""


def trampoline_wat() -> str:
    """A module that imports the guest's memory and wasmtime's WASI functions and exports
    wasm wrappers for them, so the host can call wasmtime's WASI as if from the guest."""
    imports, funcs = [], []
    for name, params in _SIGNATURES.items():
        types = " ".join(_wat_type(p) for p in params)
        imports.append(f'(import "{WASI}" "{name}" (func ${name} (param {types}) (result i32)))')
        gets = " ".join(f"local.get {i}" for i in range(len(params)))
        funcs.append(f'(func (export "{name}") (param {types}) (result i32) {gets} call ${name})')
    return "\n".join(
        [
            "(module",
            f'(import "{TRAMPOLINE_MEMORY[0]}" "{TRAMPOLINE_MEMORY[1]}" (memory 0))',
            *imports,
            *funcs,
            '(export "memory" (memory 0)))',
        ]
    )


class _Memory(Protocol):
    def read(self, store: Any, start: int, stop: int) -> bytearray: ...
    def write(self, store: Any, value: bytes, start: int) -> int: ...
    def data_len(self, store: Any) -> int: ...


def _in_bounds(memory: _Memory, caller: Any, ptr: int, size: int) -> bool:
    return ptr >= 0 and size >= 0 and ptr + size <= memory.data_len(caller)


def _iovec_total(
    memory: _Memory, caller: Any, iovs: int, count: int
) -> list[tuple[int, int]] | None:
    """The (pointer, length) pairs of an iovec array, or None when it runs outside memory."""
    if not 0 <= count <= MAX_IOVECS or not _in_bounds(memory, caller, iovs, 8 * count):
        return None
    raw = memory.read(caller, iovs, iovs + 8 * count)
    pairs = [struct.unpack_from("<II", raw, 8 * i) for i in range(count)]
    if any(not _in_bounds(memory, caller, ptr, size) for ptr, size in pairs):
        return None
    return pairs


def define_guards(linker: wasmtime.Linker) -> None:
    """Shadow the calls above in `linker` (which already has wasmtime's WASI defined)."""
    linker.allow_shadowing = True

    def fd_write(caller: Any, fd: int, iovs: int, count: int, written: int) -> int:
        act = current()
        memory = caller["memory"]
        pairs = _iovec_total(memory, caller, iovs, count)
        if pairs is None:
            return ERRNO_FAULT
        if fd in (STDOUT, STDERR):
            data = b"".join(bytes(memory.read(caller, p, p + n)) for p, n in pairs)
            if not _in_bounds(memory, caller, written, 4):
                return ERRNO_FAULT
            memory.write(caller, struct.pack("<I", len(data)), written)
            act.output.write(fd, data)
            act.stop_if_requested()
            return ERRNO_SUCCESS
        if not act.quota.admit_bytes(sum(n for _, n in pairs)):
            return ERRNO_NOSPC
        return int(act.wasi["fd_write"](caller, fd, iovs, count, written))

    def fd_pwrite(caller: Any, fd: int, iovs: int, count: int, offset: int, written: int) -> int:
        act = current()
        pairs = _iovec_total(caller["memory"], caller, iovs, count)
        if pairs is None:
            return ERRNO_FAULT
        if not act.quota.admit_bytes(sum(n for _, n in pairs)):
            return ERRNO_NOSPC
        return int(act.wasi["fd_pwrite"](caller, fd, iovs, count, offset, written))

    def path_open(caller: Any, *args: int) -> int:
        act = current()
        oflags = args[4]
        if oflags & O_CREAT and not act.quota.admit_entry():
            if oflags & O_EXCL:
                return ERRNO_NOSPC
            # At the limit, opening a file that already exists still works.
            retry = (*args[:4], oflags & ~O_CREAT, *args[5:])
            errno = int(act.wasi["path_open"](caller, *retry))
            if errno == ERRNO_NOENT:
                return ERRNO_NOSPC
        else:
            errno = int(act.wasi["path_open"](caller, *args))
        if errno == ERRNO_SUCCESS:
            return _within_open_files(act, caller, args[-1])
        return errno

    def fd_close(caller: Any, fd: int) -> int:
        act = current()
        errno = int(act.wasi["fd_close"](caller, fd))
        if errno == ERRNO_SUCCESS:
            act.open_files.discard(fd)
        return errno

    def creating(name: str) -> Callable[..., int]:
        def create(caller: Any, *args: int) -> int:
            act = current()
            if not act.quota.admit_entry():
                return ERRNO_NOSPC
            return int(act.wasi[name](caller, *args))

        return create

    def fd_filestat_set_size(caller: Any, fd: int, size: int) -> int:
        act = current()
        # Growth is counted (it may not pass the quota even as a hole); a shrink frees space,
        # so it is never refused, as on a full disk.
        wanted, before = size & U64, _file_size(act, caller, fd)  # size comes signed
        if wanted > before and not act.quota.admit_bytes(wanted - before):
            return ERRNO_NOSPC
        return int(act.wasi["fd_filestat_set_size"](caller, fd, size))

    def poll_oneoff(caller: Any, subs: int, events: int, count: int, nevents: int) -> int:
        return _poll_oneoff(current(), caller, subs, events, count, nevents)

    guards: dict[str, Callable[..., int]] = {
        "fd_write": fd_write,
        "fd_pwrite": fd_pwrite,
        "path_open": path_open,
        "fd_close": fd_close,
        "path_create_directory": creating("path_create_directory"),
        "path_symlink": creating("path_symlink"),
        "path_link": creating("path_link"),
        "fd_filestat_set_size": fd_filestat_set_size,
        "poll_oneoff": poll_oneoff,
    }
    for name in _SHADOWED:
        define(linker, WASI, name, FORWARDED[name], guards[name])


def _poll_oneoff(
    act: Activity, caller: Any, subs: int, events: int, count: int, nevents: int
) -> int:
    memory = caller["memory"]
    if not 0 < count <= MAX_SUBSCRIPTIONS:
        return ERRNO_INVAL
    size = _SUBSCRIPTION.size * count
    if not (
        _in_bounds(memory, caller, subs, size)
        and _in_bounds(memory, caller, events, _EVENT.size * count)
        and _in_bounds(memory, caller, nevents, 4)
    ):
        return ERRNO_FAULT
    raw = bytes(memory.read(caller, subs, subs + size))
    parsed = [_SUBSCRIPTION.unpack_from(raw, i * _SUBSCRIPTION.size) for i in range(count)]
    if any(tag != _EVENTTYPE_CLOCK for _, tag, *_rest in parsed):
        # File readiness: every file a guest can open is always ready, so wasmtime answers
        # at once and cannot hold the thread.
        return int(act.wasi["poll_oneoff"](caller, subs, events, count, nevents))
    now = time.monotonic()
    due: list[tuple[float, int]] = []
    for userdata, _tag, clock, timeout, _precision, flags in parsed:
        wait = timeout / 1e9
        if flags & _ABSTIME:
            wait -= _guest_clock(act, caller, clock, events) / 1e9
        due.append((now + max(0.0, wait), userdata))
    first = min(when for when, _ in due)
    with act.waiting():
        while (left := first - time.monotonic()) > 0:
            act.stop_if_requested()
            time.sleep(min(SLICE, left))
    act.stop_if_requested()
    now = time.monotonic()
    fired = [userdata for when, userdata in due if when <= now]
    out = b"".join(_EVENT.pack(userdata, 0, _EVENTTYPE_CLOCK, 0, 0) for userdata in fired)
    memory.write(caller, out, events)
    memory.write(caller, struct.pack("<I", len(fired)), nevents)
    return ERRNO_SUCCESS


def _within_open_files(act: Activity, caller: Any, fd_ptr: int) -> int:
    """After a successful open: keep count of the run's open files, and refuse the open
    (EMFILE) beyond its `open_files`. Each guest file is a descriptor of the sandbox
    process, which every guest in it shares, so one guest must not use them all up."""
    memory = caller["memory"]
    if not _in_bounds(memory, caller, fd_ptr, 4):
        return ERRNO_FAULT
    (fd,) = struct.unpack("<I", bytes(memory.read(caller, fd_ptr, fd_ptr + 4)))
    if len(act.open_files) >= act.limits.open_files:
        act.wasi["fd_close"](caller, fd)
        return ERRNO_MFILE
    act.open_files.add(fd)
    return ERRNO_SUCCESS


def _file_size(act: Activity, caller: Any, fd: int) -> int:
    """The size of the file open as `fd`, read through wasmtime; 0 when it has none (a bad
    descriptor: the call that follows fails the same way). wasmtime answers into guest
    memory, so 64 bytes of it are borrowed and restored: the guest is waiting on this call,
    and nothing else reads or writes its memory meanwhile."""
    memory = caller["memory"]
    if not _in_bounds(memory, caller, 0, _FILESTAT.size):
        return 0
    saved = bytes(memory.read(caller, 0, _FILESTAT.size))
    try:
        if act.wasi["fd_filestat_get"](caller, fd, 0) != ERRNO_SUCCESS:
            return 0
        return int(_FILESTAT.unpack(bytes(memory.read(caller, 0, _FILESTAT.size)))[4])
    finally:
        memory.write(caller, saved, 0)


def _guest_clock(act: Activity, caller: Any, clock: int, scratch: int) -> int:
    """The guest's current reading of `clock` in nanoseconds, read through wasmtime (its
    monotonic clock has its own origin). `scratch` is guest memory we may overwrite."""
    if clock == _REALTIME:
        return time.time_ns()
    memory = caller["memory"]
    if act.wasi["clock_time_get"](caller, clock, 1, scratch) != ERRNO_SUCCESS:
        return 0
    return int(struct.unpack("<Q", bytes(memory.read(caller, scratch, scratch + 8)))[0])
