"""Trees of files from folders and zips: hostile archives (paths that leave the folder, links,
too many files, zip bombs, entries that lie about their size) are refused with every problem
listed, before anything large is unpacked; binary files survive a widget's text files."""

from __future__ import annotations

import io
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from widgetbox.host.transfer import trees
from widgetbox.host.transfer.trees import Bounds, TreeError

pytestmark = pytest.mark.unit


def archive(entries: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in entries:
            out.writestr(name, data)
    return buffer.getvalue()


def problems(data: bytes, bounds: Bounds | None = None) -> list[tuple[str, str]]:
    with pytest.raises(TreeError) as caught:
        trees.read_zip(data, bounds)
    assert caught.value.code == "invalid_zip"
    return [(found.file, found.problem) for found in caught.value.problems]


def test_a_zip_round_trip_and_its_top_folder() -> None:
    tree = {
        "anvil.yaml": b"name: x\n",
        "client_code/Form1/__init__.py": b"",
        "logo.png": b"\x89PNG",
    }
    assert trees.read_zip(trees.zip_tree(tree)).tree == tree
    assert trees.zip_tree(tree) == trees.zip_tree(dict(reversed(tree.items())))  # deterministic
    nested = archive([(f"MyApp/{path}", data) for path, data in tree.items()])
    assert trees.read_zip(nested).tree == tree


def test_version_control_and_caches_are_left_out() -> None:
    read = trees.read_zip(
        archive(
            [
                ("anvil.yaml", b""),
                (".git/HEAD", b"ref"),
                ("server_code/__pycache__/a.cpython-311.pyc", b"\0"),
                ("x.pyc", b"\0"),
            ]
        )
    )
    assert read.tree == {"anvil.yaml": b""}
    assert sorted(read.left_out) == [
        ".git/HEAD",
        "server_code/__pycache__/a.cpython-311.pyc",
        "x.pyc",
    ]


def test_paths_that_leave_the_folder_are_refused_all_at_once() -> None:
    found = problems(
        archive(
            [
                ("../evil.py", b"x"),
                ("/etc/passwd", b"x"),
                ("a/../../b.py", b"x"),
                ("C:/windows.py", b"x"),
                ("a\\..\\b.py", b"x"),
                ("fine.py", b"x"),
            ]
        )
    )
    assert [file for file, _ in found] == [
        "../evil.py",
        "/etc/passwd",
        "a/../../b.py",
        "C:/windows.py",
        "a\\..\\b.py",
    ]
    assert "climbs out" in found[0][1]
    assert "absolute" in found[1][1]
    assert "drive letter" in found[3][1]
    assert "backslash" in found[4][1]


def test_links_and_special_files_are_refused() -> None:
    link = zipfile.ZipInfo("theme/link")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    fifo = zipfile.ZipInfo("pipe")
    fifo.create_system = 3
    fifo.external_attr = (stat.S_IFIFO | 0o644) << 16
    found = problems(archive([(link, b"/etc/passwd"), (fifo, b""), ("ok.py", b"")]))
    assert found == [
        ("theme/link", "a symbolic link: links are not allowed"),
        ("pipe", "not a regular file"),
    ]


def test_encrypted_and_repeated_entries_are_refused() -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        data = bytearray(archive([("secret.py", b"x"), ("twice.py", b"a"), ("twice.py", b"b")]))
    # mark the first entry encrypted (bit 0 of its flags), where zipfile reads it
    struct.pack_into("<H", data, data.find(b"PK\x01\x02") + 8, 0x1)
    found = problems(bytes(data))
    assert ("secret.py", "encrypted: encrypted archives are not read") in found
    assert ("twice.py", "appears twice in the archive") in found


def test_too_many_files() -> None:
    assert problems(archive([(f"f{i}.py", b"") for i in range(11)]), Bounds(files=10)) == [
        ("", "more than 10 files")
    ]


def test_a_huge_list_of_files_is_refused_before_it_is_parsed() -> None:
    """The end record says how many entries there are; zipfile never builds 5,000 objects."""
    data = archive([(f"{i}", b"") for i in range(5000)])
    end = data.rfind(b"PK\x05\x06")
    assert struct.unpack("<H", data[end + 10 : end + 12])[0] == 5000
    assert problems(data) == [("", "more than 1,000 files")]


def test_a_zip_bomb_is_refused_by_what_it_declares_before_unpacking() -> None:
    zeros = bytes(8 * 1024 * 1024)
    data = archive([(f"bomb{i}.bin", zeros) for i in range(5)])
    assert len(data) < 200_000  # 40 MiB of zeros compress to almost nothing
    found = problems(data)
    assert found == [("", "more than 33,554,432 bytes in all")]
    one = problems(archive([("big.bin", bytes(2000))]), Bounds(file_bytes=1000))
    assert one == [("big.bin", "larger than 1,000 bytes")]


def test_an_entry_that_lies_about_its_size_is_never_unpacked_past_it() -> None:
    data = bytearray(archive([("liar.txt", b"x" * 100_000)]))
    # say 10 bytes, in the local header (offset 22) and the central directory's (offset 24)
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<L", data, local + 22, 10)
    struct.pack_into("<L", data, central + 24, 10)
    found = problems(bytes(data))
    assert found[0][0] == "liar.txt"
    assert "cannot be unpacked" in found[0][1] or "size is not" in found[0][1]


def test_an_archive_too_large_or_not_a_zip() -> None:
    assert problems(b"x" * 2000, Bounds(archive_bytes=1000)) == [
        ("", "the archive is larger than 1,000 bytes")
    ]
    assert problems(b"not a zip at all") == [("", "not a zip archive")]


def test_a_folder_is_read_without_following_links(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "server_code").mkdir(parents=True)
    (app / "anvil.yaml").write_text("name: x\n")
    (app / "server_code" / "Module.py").write_text("x = 1\n")
    (app / ".git").mkdir()
    (app / ".git" / "HEAD").write_text("ref")
    read = trees.read_folder(app)
    assert read.tree == {"anvil.yaml": b"name: x\n", "server_code/Module.py": b"x = 1\n"}
    assert read.left_out == [".git/"]
    (app / "passwords").symlink_to("/etc/passwd")
    (app / "server_code" / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(TreeError) as caught:
        trees.read_folder(app)
    assert [(f.file, f.problem) for f in caught.value.problems] == [
        ("passwords", "a symbolic link: links are not followed"),
        ("server_code/elsewhere", "a symbolic link: links are not followed"),
    ]


def test_a_folder_with_too_many_files_stops_early(tmp_path: Path) -> None:
    for i in range(30):
        (tmp_path / f"f{i}.py").write_text("")
    with pytest.raises(TreeError) as caught:
        trees.read_folder(tmp_path, Bounds(files=10))
    assert [f.problem for f in caught.value.problems] == ["more than 10 files"]


def test_writing_a_folder_never_overwrites(tmp_path: Path) -> None:
    tree = {"a/b.txt": b"hi", "c.bin": b"\xff\x00"}
    trees.write_folder(tmp_path / "out", tree)
    assert trees.read_folder(tmp_path / "out").tree == tree
    with pytest.raises(TreeError, match="not an empty folder"):
        trees.write_folder(tmp_path / "out", tree)
    with pytest.raises(TreeError, match="climbs out"):
        trees.write_folder(tmp_path / "other", {"../x": b""})


def test_binary_files_are_kept_as_data_urls_and_written_back() -> None:
    png = bytes.fromhex("89504e470d0a1a0a0000")
    files, encoded = trees.widget_files({"theme/assets/logo.png": png, "a.py": "é\n".encode()})
    assert encoded == ["theme/assets/logo.png"]
    assert files["theme/assets/logo.png"] == "data:image/png;base64,iVBORw0KGgoAAA=="
    assert files["a.py"] == "é\n"
    assert trees.tree_of(files) == {"a.py": "é\n".encode(), "theme/assets/logo.png": png}
    # text that only looks like a data: URL stays text
    odd = {"notes.txt": "data:text/plain;base64,not base64!"}
    assert trees.tree_of(odd) == {"notes.txt": b"data:text/plain;base64,not base64!"}
