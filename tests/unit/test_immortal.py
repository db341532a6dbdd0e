"""Writing the immortal count into the image's memory (`runtime/_immortal.py`)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from widgetbox.runtime._immortal import FILE, Immortal, apply, found, read

pytestmark = pytest.mark.unit

COUNT = 0x70000000


def word(memory: bytearray, address: int) -> int:
    return int(struct.unpack_from("<I", memory, address)[0])


def memory_with_none_at(address: int, size: int = 64) -> bytearray:
    memory = bytearray(range(size))
    struct.pack_into("<I", memory, address, COUNT)
    return memory


def test_the_turns_file_is_read() -> None:
    data = struct.pack("<5I", COUNT, 8, 16, 24, 32)
    assert read(data) == Immortal(count=COUNT, none=8, addresses=[16, 24, 32])
    assert read(struct.pack("<2I", COUNT, 8)) == Immortal(COUNT, 8, [])
    # nothing made immortal: an interpreter that could not, or a file cut short
    assert read(b"") is None
    assert read(struct.pack("<I", COUNT)) is None
    assert read(struct.pack("<3I", COUNT, 8, 16)[:-1]) is None


def test_no_file_is_nothing_made_immortal(tmp_path: Path) -> None:
    assert found(tmp_path) is None  # the turn writes none on an interpreter it cannot change
    (tmp_path / FILE).write_bytes(struct.pack("<3I", COUNT, 8, 16))
    assert found(tmp_path) == Immortal(COUNT, 8, [16])


def test_the_count_is_written_at_each_address() -> None:
    memory = memory_with_none_at(8)
    assert apply(memory, Immortal(COUNT, 8, [16, 24, 60])) == 3
    assert [word(memory, a) for a in (8, 16, 24, 60)] == [COUNT] * 4
    untouched = memory_with_none_at(8)
    changed = [a for a in range(0, 64, 4) if word(memory, a) != word(untouched, a)]
    assert changed == [16, 24, 60]


def test_addresses_outside_the_memory_or_unaligned_are_skipped() -> None:
    memory = memory_with_none_at(8)
    before = bytes(memory)
    assert apply(memory, Immortal(COUNT, 8, [61, 62, 64, 1 << 30, 18])) == 0
    assert bytes(memory) == before


def test_nothing_is_written_unless_none_is_laid_out_as_expected() -> None:
    memory = memory_with_none_at(8)
    before = bytes(memory)
    assert apply(memory, Immortal(COUNT, 12, [16, 24])) == 0  # not None's count there
    assert apply(memory, Immortal(COUNT + 1, 8, [16, 24])) == 0
    assert bytes(memory) == before
