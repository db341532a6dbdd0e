"""Scripts give way to requests: a few bytes of shared memory say whether any request's guest
is executing, and guests in the scripts' processes pause while one is.

The scripts' processes already run at idle priority, but on a small machine that is not
enough: its cores are often hyperthreads of one physical core, and a spinning script, or one
filling its memory, slows a request beside it through the shared core and caches (measured:
two spinning scripts and a memory hog at idle priority made an HTTP API's p99 2.8x its idle
p99, as the same loops did as plain idle processes outside Widgetbox). So a script's guest,
at every epoch tick, waits while any request's guest is executing.

"Executing" is exact: a request's count goes up while its guest runs wasm, and down while it
waits for a host call (outbound HTTP, secrets) or sleeps, so a request that waits on the
network does not hold scripts up. Each request process writes only its own slot (no
cross-process atomics needed); scripts' processes read all slots. A process that dies may
leave its slot non-zero: the runtime clears it before the replacement starts.
"""

from __future__ import annotations

import mmap
import os
import struct
import threading
from pathlib import Path

_SLOT = struct.Struct("<q")
BOARD_FILE = "busy"


def create(folder: Path, slots: int) -> Path:
    """The board's file in the runtime's private folder, every slot zero."""
    path = folder / BOARD_FILE
    path.write_bytes(bytes(_SLOT.size * max(slots, 1)))
    return path


class Board:
    """The shared slots, mapped into this process."""

    def __init__(self, path: Path) -> None:
        fd = os.open(path, os.O_RDWR)
        try:
            self._map = mmap.mmap(fd, 0)
        finally:
            os.close(fd)
        self._zeros = bytes(len(self._map))

    def busy(self) -> bool:
        """Whether any request's guest is executing (a read of a few bytes)."""
        return self._map[:] != self._zeros

    def clear(self, slot: int) -> None:
        _SLOT.pack_into(self._map, slot * _SLOT.size, 0)

    def close(self) -> None:
        self._map.close()


class Executing:
    """One request process's slot: how many of its guests are executing now."""

    def __init__(self, board: Board, slot: int) -> None:
        self._board = board
        self._offset = slot * _SLOT.size
        self._count = 0
        self._lock = threading.Lock()

    def enter(self) -> None:
        self._add(1)

    def leave(self) -> None:
        self._add(-1)

    def _add(self, delta: int) -> None:
        with self._lock:
            self._count += delta
            _SLOT.pack_into(self._board._map, self._offset, self._count)


class NotCounted:
    """The same interface for guests whose execution does not hold scripts up."""

    def enter(self) -> None:
        pass

    def leave(self) -> None:
        pass


NOT_COUNTED = NotCounted()
