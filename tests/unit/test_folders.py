"""Guests' folders, handed on from guest to guest (`runtime/_folders.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from widgetbox.runtime._folders import Folders, FolderStore

pytestmark = pytest.mark.unit


def listing(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def folders_in(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_dir())


def test_the_code_folder_holds_exactly_the_runs_files(tmp_path: Path) -> None:
    folders = Folders(tmp_path)
    folders.write_code({"main.py": b"one", "helper.py": b"two"})
    assert listing(folders.code_dir) == {"main.py": b"one", "helper.py": b"two"}
    folders.write_code({"main.py": b"changed", "new.py": b""})
    assert listing(folders.code_dir) == {"main.py": b"changed", "new.py": b""}
    folders.write_code({})
    assert listing(folders.code_dir) == {}


def test_a_file_already_there_is_not_written_again(tmp_path: Path) -> None:
    folders = Folders(tmp_path)
    folders.write_code({"main.py": b"same", "other.py": b"1"})
    same, other = folders.code_dir / "main.py", folders.code_dir / "other.py"
    before = same.stat().st_ino, other.stat().st_ino
    folders.write_code({"main.py": b"same", "other.py": b"2"})
    assert same.stat().st_ino == before[0]
    assert listing(folders.code_dir) == {"main.py": b"same", "other.py": b"2"}


def test_folders_of_code_are_made_and_removed(tmp_path: Path) -> None:
    folders = Folders(tmp_path)
    code_dir = folders.code_dir.stat().st_ino
    folders.write_code({"main.py": b"m", "pkg/__init__.py": b"", "pkg/sub/deep.py": b"d"})
    assert listing(folders.code_dir) == {
        "main.py": b"m",
        "pkg/__init__.py": b"",
        "pkg/sub/deep.py": b"d",
    }
    folders.write_code({"main.py": b"m", "other/x.py": b"x"})
    assert listing(folders.code_dir) == {"main.py": b"m", "other/x.py": b"x"}
    assert folders_in(folders.code_dir) == ["other"]
    folders.write_code({"main.py": b"flat again"})
    assert listing(folders.code_dir) == {"main.py": b"flat again"}
    assert folders_in(folders.code_dir) == []
    # the folder itself is never replaced: a guest's mount holds it open
    assert folders.code_dir.stat().st_ino == code_dir


def test_only_an_empty_scratch_area_is_handed_on(tmp_path: Path) -> None:
    store = FolderStore(tmp_path)
    first = store.take()
    first.write_code({"main.py": b"x"})
    store.give_back(first)
    assert store.take() is first
    (first.scratch_dir / "left").write_text("by a run")
    store.give_back(first)
    assert not first.dir.exists()
    second = store.take()
    assert second is not first
    (second.scratch_dir / "folder").mkdir()
    store.give_back(second)
    assert not second.dir.exists()


def test_at_most_keep_folders_wait(tmp_path: Path) -> None:
    store = FolderStore(tmp_path, keep=2)
    taken = [store.take() for _ in range(3)]
    for folders in taken:
        store.give_back(folders)
    assert [folders.dir.exists() for folders in taken] == [True, True, False]
    store.close()
    assert list(tmp_path.iterdir()) == []
    late = Folders(tmp_path)
    store.give_back(late)  # given back after closing: removed
    assert list(tmp_path.iterdir()) == []
