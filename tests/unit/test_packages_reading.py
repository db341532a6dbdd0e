"""What the host reads of a package before installing it, from an index anyone can publish
to: a wheel's METADATA, core metadata, the index's project pages. Hostile ones are refused
with PackageError, in bounded time and memory (the cases the fuzzer found, `just fuzz
packages`)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from widgetbox.host.packages.errors import PackageError
from widgetbox.host.packages.index import JSON_TYPE, links_of
from widgetbox.host.packages.resolve import _releases
from widgetbox.host.packages.wheels import MAX_METADATA, metadata_of_wheel, parse_metadata

pytestmark = pytest.mark.unit

METADATA = b"Metadata-Version: 2.1\nName: x\nVersion: 1.0\n\n"


def wheel(path: Path, metadata: bytes, method: int = zipfile.ZIP_DEFLATED) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("x-1.0.dist-info/METADATA"), metadata, method)
    path.write_bytes(buffer.getvalue())
    return path


def with_field(path: Path, offset: int, value: int) -> Path:
    """The wheel with a 16-bit field of its local and central headers set (at 6 and 8 the
    flags, at 8 and 10 the compression method)."""
    data = bytearray(path.read_bytes())
    for signature, base in ((b"PK\x03\x04", 0), (b"PK\x01\x02", 2)):
        at = data.find(signature)
        data[at + base + offset : at + base + offset + 2] = value.to_bytes(2, "little")
    path.write_bytes(bytes(data))
    return path


def test_a_wheels_metadata_is_read(tmp_path: Path) -> None:
    assert metadata_of_wheel(wheel(tmp_path / "x.whl", METADATA), "x") == METADATA.decode()


def test_a_metadata_that_inflates_past_the_limit_is_refused(tmp_path: Path) -> None:
    """A wheel of about 80 KiB whose METADATA inflates to 80 MiB was read whole."""
    bomb = wheel(tmp_path / "x.whl", METADATA + b"\0" * (MAX_METADATA * 5))
    assert bomb.stat().st_size < 200_000
    with pytest.raises(PackageError, match="MiB"):
        metadata_of_wheel(bomb, "x")


@pytest.mark.parametrize(
    ("offset", "value"),
    [(6, 1), (8, 99), (8, 95), (8, 14), (8, 12)],
    ids=["encrypted", "unknown method", "another unknown", "lzma, damaged", "bzip2, damaged"],
)
def test_a_damaged_or_encrypted_wheel_is_refused(tmp_path: Path, offset: int, value: int) -> None:
    """zipfile raises RuntimeError for an encrypted member, NotImplementedError for a method
    it does not know, and the decompressors' own errors for a damaged stream."""
    damaged = with_field(wheel(tmp_path / "x.whl", METADATA * 50), offset, value)
    with pytest.raises(PackageError, match="not a valid wheel"):
        metadata_of_wheel(damaged, "x")


def test_a_version_of_5000_digits_is_refused() -> None:
    """Python refuses to turn more than 4,300 digits into an int: a ValueError that is not
    packaging's InvalidVersion."""
    with pytest.raises(PackageError, match="cannot be read"):
        parse_metadata(f"Name: x\nVersion: {'9' * 5000}\n", "x")


@pytest.mark.parametrize(
    "page",
    [
        None,
        [],
        "x",
        {"files": None},
        {"files": [None]},
        {"files": [{"filename": 1, "url": "x"}]},
        {"meta": [], "files": []},
        {"meta": {"api-version": "2.0"}, "files": []},
        "[" * 100_000,
    ],
)
def test_a_project_page_of_another_shape_is_refused(page: object) -> None:
    data = page.encode() if isinstance(page, str) and page.startswith("[") else json.dumps(page)
    raw = data if isinstance(data, bytes) else data.encode()
    with pytest.raises(PackageError, match="cannot read"):
        links_of(raw, JSON_TYPE, "https://index.test/simple/x/", "x")


def test_fields_of_the_wrong_type_are_read_as_absent() -> None:
    page = {
        "files": [
            {
                "filename": "x-1.0-py3-none-any.whl",
                "url": "x-1.0-py3-none-any.whl",
                "hashes": [],
                "requires-python": 3,
                "core-metadata": {"sha256": 5},
                "size": True,
            }
        ]
    }
    [link] = links_of(json.dumps(page).encode(), JSON_TYPE, "https://index.test/x/", "x")
    assert (link.sha256, link.requires_python, link.metadata_sha256, link.size) == (
        None,
        None,
        None,
        None,
    )


def test_a_file_name_with_a_5000_digit_version_is_no_release() -> None:
    page = {"files": [{"filename": f"x-{'9' * 5000}-py3-none-any.whl", "url": "a"},
                      {"filename": f"x-{'9' * 5000}.tar.gz", "url": "b"}]}  # fmt: skip
    links = links_of(json.dumps(page).encode(), JSON_TYPE, "https://index.test/x/", "x")
    assert _releases(links, "x") == {}
