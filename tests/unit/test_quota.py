from __future__ import annotations

from pathlib import Path

import pytest

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
