from __future__ import annotations

import os
from pathlib import Path

import pytest

from widgetbox.runtime import _quota
from widgetbox.runtime._quota import BLOCK, ScratchQuota

pytestmark = pytest.mark.unit

KiB = 1024


def write(path: Path, quota: ScratchQuota, size: int, offset: int | None = None) -> bool:
    """What the WASI guard does: ask first, then the write happens."""
    if not quota.admit_bytes(size):
        return False
    with path.open("r+b" if path.exists() else "wb") as f:
        f.seek(offset if offset is not None else 0, 2 if offset is None else 0)
        f.write(b"x" * size)
    return True


def test_space_is_admitted_up_to_the_limit(tmp_path: Path) -> None:
    quota = ScratchQuota(tmp_path, max_bytes=100 * KiB, max_entries=10)
    assert write(tmp_path / "a", quota, 60 * KiB)
    assert write(tmp_path / "b", quota, 30 * KiB)
    assert not write(tmp_path / "c", quota, 20 * KiB)
    (tmp_path / "a").unlink()
    assert write(tmp_path / "c", quota, 50 * KiB)  # freed space is found by measuring


def test_rewriting_the_same_data_does_not_use_up_the_quota(tmp_path: Path) -> None:
    quota = ScratchQuota(tmp_path, max_bytes=100 * KiB, max_entries=10)
    for _ in range(20):  # the estimate passes the limit; measuring shows 40 KiB in use
        assert write(tmp_path / "f", quota, 40 * KiB, offset=0)


def test_sparse_writes_far_apart_are_counted_by_the_blocks_they_take(tmp_path: Path) -> None:
    quota = ScratchQuota(tmp_path, max_bytes=64 * KiB, max_entries=10)
    written = 0
    while write(tmp_path / "sparse", quota, 1, offset=written * 16 * BLOCK):
        written += 1
        assert written < 100, "one-byte writes 64 KiB apart must run into the limit"
    allocated = (tmp_path / "sparse").stat().st_blocks * 512
    assert allocated <= 64 * KiB


def test_real_usage_counts_nested_files_but_not_symlink_targets(tmp_path: Path) -> None:
    (tmp_path / "d" / "e").mkdir(parents=True)
    (tmp_path / "d" / "e" / "big").write_bytes(b"x" * 90 * KiB)
    (tmp_path / "link").symlink_to("/usr")  # never followed
    quota = ScratchQuota(tmp_path, max_bytes=200 * KiB, max_entries=10)
    assert write(tmp_path / "f", quota, 10 * KiB)
    # The estimate (14 KiB so far) plus 194 KiB passes the limit, so the folder is
    # measured: about 100 KiB in files (the link's target is not counted), no room for 190.
    assert not write(tmp_path / "g", quota, 190 * KiB)
    assert write(tmp_path / "g", quota, 80 * KiB)


def test_entries_are_admitted_up_to_the_limit(tmp_path: Path) -> None:
    quota = ScratchQuota(tmp_path, max_bytes=100 * KiB, max_entries=3)
    for name in "abc":
        assert quota.admit_entry()
        (tmp_path / name).touch()
    assert not quota.admit_entry()
    (tmp_path / "a").unlink()
    assert quota.admit_entry()  # measuring finds room again


# Files that are open but have no name: the walk cannot see them, this process's open
# descriptors can (the sandbox process opens the guest's files for wasmtime, like this test).


def test_an_unlinked_open_file_stays_counted(tmp_path: Path) -> None:
    quota = ScratchQuota(tmp_path, max_bytes=100 * KiB, max_entries=10)
    assert quota.admit_entry()
    with (tmp_path / "ghost").open("wb") as ghost:
        (tmp_path / "ghost").unlink()
        written = 0
        while quota.admit_bytes(10 * KiB):
            ghost.write(b"x" * 10 * KiB)
            ghost.flush()
            written += 10 * KiB
            assert written < 1000 * KiB, "an unlinked file must run into the limit"
        assert 80 * KiB <= written <= 100 * KiB
        assert quota.usage()[0] >= written
    assert quota.admit_bytes(90 * KiB)  # closed, it is gone and its space is free


def test_many_unlinked_files_share_the_limit(tmp_path: Path) -> None:
    quota = ScratchQuota(tmp_path, max_bytes=100 * KiB, max_entries=100)
    files = []
    try:
        for i in range(50):
            assert quota.admit_entry()
            f = (tmp_path / f"g{i}").open("wb")
            files.append(f)
            (tmp_path / f"g{i}").unlink()
            if quota.admit_bytes(20 * KiB):
                f.write(b"x" * 20 * KiB)
                f.flush()
        held = sum(os.fstat(f.fileno()).st_blocks * 512 for f in files)
        assert held <= 100 * KiB
    finally:
        for f in files:
            f.close()


def test_unlinked_open_files_count_as_entries(tmp_path: Path) -> None:
    quota = ScratchQuota(tmp_path, max_bytes=100 * KiB, max_entries=3)
    files = []
    try:
        for name in "abc":
            assert quota.admit_entry()
            files.append((tmp_path / name).open("wb"))
            (tmp_path / name).unlink()
        assert not quota.admit_entry()
    finally:
        for f in files:
            f.close()
    assert quota.admit_entry()


def test_a_file_renamed_over_while_open_stays_counted(tmp_path: Path) -> None:
    quota = ScratchQuota(tmp_path, max_bytes=100 * KiB, max_entries=10)
    with (tmp_path / "a").open("wb") as old:
        assert write(tmp_path / "a", quota, 60 * KiB)
        (tmp_path / "b").write_bytes(b"")
        (tmp_path / "b").rename(tmp_path / "a")
        assert not write(tmp_path / "c", quota, 50 * KiB)
        assert old.tell() == 0  # still open, never written through
    assert write(tmp_path / "c", quota, 50 * KiB)


def test_hard_links_and_descriptors_count_a_file_once(tmp_path: Path) -> None:
    quota = ScratchQuota(tmp_path, max_bytes=100 * KiB, max_entries=10)
    assert write(tmp_path / "f", quota, 40 * KiB)
    os.link(tmp_path / "f", tmp_path / "g")
    extra = [(tmp_path / "f").open("rb") for _ in range(5)]
    try:
        for _ in range(10):  # each rewrite passes the estimate: 40 KiB is measured, not 80+
            assert write(tmp_path / "g", quota, 40 * KiB, offset=0)
        assert write(tmp_path / "h", quota, 50 * KiB)
    finally:
        for f in extra:
            f.close()


def test_files_open_under_a_neighbouring_folder_are_not_counted(tmp_path: Path) -> None:
    root, neighbour = tmp_path / "scratch", tmp_path / "scratch2"
    root.mkdir()
    neighbour.mkdir()
    quota = ScratchQuota(root, max_bytes=100 * KiB, max_entries=10)
    with (neighbour / "big").open("wb") as big:
        big.write(b"x" * 500 * KiB)
        big.flush()
        (neighbour / "big").unlink()
        for _ in range(10):  # passes the estimate: only the root's own 40 KiB is measured
            assert write(root / "f", quota, 40 * KiB, offset=0)


def test_without_a_view_of_open_files_the_count_never_drops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where open descriptors cannot be listed, unseen files may exist: nothing admitted is
    forgotten, and removing files does not free their share."""
    monkeypatch.setattr(_quota, "OPEN_FILES", str(tmp_path / "missing"))
    quota = ScratchQuota(tmp_path, max_bytes=100 * KiB, max_entries=3)
    assert write(tmp_path / "a", quota, 60 * KiB)
    (tmp_path / "a").unlink()
    assert not write(tmp_path / "b", quota, 60 * KiB)
    for _ in range(3):
        assert quota.admit_entry()
    (tmp_path / "b").unlink(missing_ok=True)
    assert not quota.admit_entry()


def test_usage_reports_the_measured_bytes_and_entries(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_bytes(b"x" * 10 * KiB)
    quota = ScratchQuota(tmp_path, max_bytes=100 * KiB, max_entries=10)
    with (tmp_path / "ghost").open("wb") as ghost:
        ghost.write(b"x" * 20 * KiB)
        ghost.flush()
        (tmp_path / "ghost").unlink()
        used, entries = quota.usage()
    assert 30 * KiB <= used <= 40 * KiB  # a folder takes a block on some file systems
    assert entries == 3  # d, d/f and the unnamed file
