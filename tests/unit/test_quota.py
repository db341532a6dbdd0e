from __future__ import annotations

from pathlib import Path

import pytest
from widgetbox.runtime._quota import ScratchQuota

pytestmark = pytest.mark.unit


def write(path: Path, quota: ScratchQuota, size: int) -> bool:
    """What the WASI guard does: ask first, then the write happens."""
    if not quota.admit_bytes(size):
        return False
    with path.open("ab") as f:
        f.write(b"x" * size)
    return True


def test_bytes_are_admitted_up_to_the_limit(tmp_path: Path) -> None:
    quota = ScratchQuota(tmp_path, max_bytes=100, max_entries=10)
    assert write(tmp_path / "a", quota, 60)
    assert write(tmp_path / "b", quota, 40)
    assert not write(tmp_path / "c", quota, 1)
    (tmp_path / "a").unlink()
    assert write(tmp_path / "c", quota, 60)  # freed space is found by measuring


def test_rewriting_the_same_data_does_not_use_up_the_quota(tmp_path: Path) -> None:
    quota = ScratchQuota(tmp_path, max_bytes=100, max_entries=10)
    (tmp_path / "f").write_bytes(b"x" * 50)
    for _ in range(10):  # the estimate passes the limit; measuring shows 50 bytes in use
        assert quota.admit_bytes(50)


def test_real_usage_counts_nested_files_but_not_symlink_targets(tmp_path: Path) -> None:
    (tmp_path / "d" / "e").mkdir(parents=True)
    (tmp_path / "d" / "e" / "big").write_bytes(b"x" * 90)
    (tmp_path / "link").symlink_to("/usr")  # never followed
    quota = ScratchQuota(tmp_path, max_bytes=200, max_entries=10)
    assert write(tmp_path / "f", quota, 10)
    # The estimate (10 + 191) passes the limit, so the folder is measured: 90 + 10 in files.
    assert not write(tmp_path / "g", quota, 191)
    assert write(tmp_path / "g", quota, 100)


def test_entries_are_admitted_up_to_the_limit(tmp_path: Path) -> None:
    quota = ScratchQuota(tmp_path, max_bytes=100, max_entries=3)
    for name in "abc":
        assert quota.admit_entry()
        (tmp_path / name).touch()
    assert not quota.admit_entry()
    (tmp_path / "a").unlink()
    assert quota.admit_entry()  # measuring finds room again
