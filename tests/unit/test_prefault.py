"""The pages a run writes, found and copied ahead (`runtime/_prefault.py`), on a private
mapping of a file, as wasmtime maps a memory image."""

from __future__ import annotations

import ctypes
import mmap
import sys
from pathlib import Path

import pytest

from widgetbox.runtime import _prefault

pytestmark = [
    pytest.mark.unit,
    pytest.mark.skipif(sys.platform != "linux", reason="pagemap and MADV_POPULATE_WRITE"),
]

PAGES = 16


@pytest.fixture
def image(tmp_path: Path) -> mmap.mmap:
    """A file of PAGES pages mapped copy-on-write, each page read once (mapped from the
    file, not copied)."""
    path = tmp_path / "image"
    path.write_bytes(bytes(range(256)) * (PAGES * _prefault.PAGE // 256))
    with path.open("rb") as f:
        mapping = mmap.mmap(
            f.fileno(), 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE
        )
    for page in range(PAGES):
        assert mapping[page * _prefault.PAGE] == 0
    return mapping


def address(mapping: mmap.mmap) -> int:
    return ctypes.addressof(ctypes.c_char.from_buffer(mapping))


def test_the_pages_written_are_found(image: mmap.mmap) -> None:
    assert _prefault.written(address(image), len(image)) == []
    for page in (2, 3, 9):
        image[page * _prefault.PAGE + 5] = 0xFF
    page = _prefault.PAGE
    assert _prefault.written(address(image), len(image)) == [(2 * page, 2 * page), (9 * page, page)]


def test_pages_are_copied_without_changing_a_byte(image: mmap.mmap) -> None:
    before = bytes(image)
    ranges = [(4 * _prefault.PAGE, 3 * _prefault.PAGE)]
    assert _prefault.copy(address(image), len(image), ranges)
    assert _prefault.written(address(image), len(image)) == ranges
    assert bytes(image) == before


def test_pages_beyond_the_memory_are_left_alone(image: mmap.mmap) -> None:
    assert _prefault.copy(address(image), 4 * _prefault.PAGE, [(6 * _prefault.PAGE, 4096)])
    assert _prefault.written(address(image), len(image)) == []
