"""The pages of a guest's memory that a run writes, copied before the run.

A guest maps the memory image copy-on-write (`_snapshot`), so each page a run writes is
copied when it is first written: a page fault each, about 340 for a hello route, 1 ms and
more of the run's time on this machine. The pool starts guests ahead of demand, so those
copies can be made there, off the request path: each sandbox process rehearses one run
(`Sandbox`, with its own hello route) and reads which pages of the guest's memory it wrote
(`written`, from Linux's /proc/self/pagemap: present, and no longer the image's), and every
guest it starts afterwards has those pages copied in one call per run of pages (`copy`,
madvise(MADV_POPULATE_WRITE), which faults them in as writes would, without changing a
byte). Where either is missing (not Linux, or older than 5.14), nothing is copied ahead and
a run copies its pages as it writes them.
"""

from __future__ import annotations

import array
import ctypes
import ctypes.util
import logging
from typing import Any

log = logging.getLogger("widgetbox.runtime")

PAGE = 4096
_PRESENT, _FILE_OR_SHARED = 1 << 63, 1 << 61
_MADV_POPULATE_WRITE = 23

Ranges = list[tuple[int, int]]
"""(offset, length) in bytes from the memory's start, page-aligned."""


def _find_madvise() -> Any:
    try:
        madvise = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True).madvise
    except (OSError, AttributeError):  # no C library with madvise: nothing is copied ahead
        return None
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    madvise.restype = ctypes.c_int
    return madvise


_madvise = _find_madvise()


def written(address: int, size: int) -> Ranges:
    """The page runs of the memory at `address` (`size` bytes) that this process has
    copied, i.e. written since they were mapped from the image; empty when the system
    cannot tell."""
    first, count = address // PAGE, size // PAGE
    try:
        with open("/proc/self/pagemap", "rb") as pagemap:
            pagemap.seek(first * 8)
            entries = array.array("Q", pagemap.read(count * 8))
    except (OSError, ValueError):
        return []
    ranges: Ranges = []
    for page, entry in enumerate(entries):
        if entry & _PRESENT and not entry & _FILE_OR_SHARED:
            if ranges and ranges[-1][0] + ranges[-1][1] == page * PAGE:
                ranges[-1] = (ranges[-1][0], ranges[-1][1] + PAGE)
            else:
                ranges.append((page * PAGE, PAGE))
    return ranges


def copy(address: int, size: int, ranges: Ranges) -> bool:
    """Copy these pages of the memory at `address` (`size` bytes) now, as writing them
    would; False (and nothing more is tried) when the system cannot."""
    if _madvise is None:
        return False
    for offset, length in ranges:
        if offset + length > size:
            continue
        if _madvise(address + offset, length, _MADV_POPULATE_WRITE) != 0:
            log.info("pages cannot be copied ahead here (errno %d)", ctypes.get_errno())
            return False
    return True
