"""`anvil.URLMedia`, `anvil.media` and the Media interface on the host's CPython: URLMedia
fetched lazily through the `http.request` bridge operation (a fake door here), once; files
in and out of Media."""

from __future__ import annotations

import base64
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from widgetbox.runtime._bridge import ok_frame

pytestmark = pytest.mark.unit


class Door:
    def __init__(self, status: int = 200, body: bytes = b"", content_type: str = "") -> None:
        self.requests: list[Any] = []
        self.status, self.body, self.content_type = status, body, content_type

    def __call__(self, frame: bytes) -> bytes:
        self.requests.append(json.loads(frame))
        headers = {"content-type": self.content_type} if self.content_type else {}
        return ok_frame(
            {
                "status": self.status,
                "headers": headers,
                "body_b64": base64.b64encode(self.body).decode(),
                "url": "https://example.org/final",
            }
        )


@pytest.fixture
def door(guest_modules: None) -> Iterator[Door]:
    import _widgetbox.bridge as guest_bridge

    door = Door(body=b"\x89PNG image", content_type="image/png")
    guest_bridge.set_door(door)
    try:
        yield door
    finally:
        guest_bridge.set_door(None)


def test_url_media_is_fetched_when_first_read_and_once(door: Door) -> None:
    import anvil

    media = anvil.URLMedia("https://example.org/logo.png")
    assert isinstance(media, anvil.Media)
    assert (media.url, media.get_url(), media.name) == ("https://example.org/logo.png",) * 2 + (
        None,
    )
    assert door.requests == []  # nothing fetched yet
    assert media.content_type == "image/png"
    assert media.get_bytes() == b"\x89PNG image"
    assert (media.length, media.get_length(), media.get_content_type()) == (10, 10, "image/png")
    assert len(door.requests) == 1
    [request] = door.requests
    assert request["op"] == "http.request"
    assert request["data"]["url"] == "https://example.org/logo.png"
    assert request["data"]["method"] == "GET"
    assert repr(media) == "URLMedia('https://example.org/logo.png')"


def test_url_media_of_an_error_status_raises_http_error(door: Door) -> None:
    import anvil
    import anvil.http

    door.status, door.body = 404, b"not here"
    media = anvil.URLMedia("https://example.org/missing")
    with pytest.raises(anvil.http.HttpError) as caught:
        media.get_bytes()
    assert caught.value.status == 404
    with pytest.raises(TypeError, match="URL string"):
        anvil.URLMedia(b"https://example.org")


def test_every_media_answers_anvils_getters(guest_modules: None) -> None:
    import anvil

    blob = anvil.BlobMedia("text/plain", b"hello", name="hello.txt")
    assert (blob.get_content_type(), blob.get_name(), blob.get_length()) == (
        "text/plain",
        "hello.txt",
        5,
    )
    assert (blob.url, blob.get_url()) == (None, None)


@pytest.fixture
def scratch(guest_modules: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The guest's /tmp, here a folder of the test's own."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_temp_file_holds_the_media_and_is_removed_after(scratch: Path) -> None:
    import anvil
    import anvil.media

    with anvil.media.TempFile(anvil.BlobMedia("text/plain", b"contents")) as path:
        assert Path(path).parent == scratch
        assert Path(path).read_bytes() == b"contents"
    assert not Path(path).exists()
    with anvil.media.TempFile() as empty:
        assert Path(empty).read_bytes() == b""
        Path(empty).unlink()  # the code may remove it itself
    assert list(scratch.iterdir()) == []


def test_a_failed_write_leaves_no_file(scratch: Path) -> None:
    import anvil.media

    class Broken:
        def get_bytes(self) -> bytes:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"), anvil.media.TempFile(Broken()):
        pass
    assert list(scratch.iterdir()) == []


def test_from_file_and_write_to_file_and_open(scratch: Path) -> None:
    import anvil
    import anvil.media

    (scratch / "report.csv").write_bytes(b"a,b\n1,2\n")
    media = anvil.media.from_file("report.csv")
    assert (media.content_type, media.name, media.get_bytes()) == (
        "text/csv",
        "report.csv",
        b"a,b\n1,2\n",
    )
    named = anvil.media.from_file(str(scratch / "report.csv"), "text/plain", name="other.txt")
    assert (named.content_type, named.name) == ("text/plain", "other.txt")
    (scratch / "data.unknownext").write_bytes(b"\x00")
    assert anvil.media.from_file("data.unknownext").content_type == "application/octet-stream"

    anvil.media.write_to_file(anvil.BlobMedia("image/png", b"PNG"), "out.png")
    assert (scratch / "out.png").read_bytes() == b"PNG"
    with anvil.media.open(anvil.BlobMedia("text/plain", b"line one\nline two")) as file:
        assert file.readline() == b"line one\n"
    with pytest.raises(FileNotFoundError):
        anvil.media.from_file("missing.txt")


def test_media_crosses_server_calls_both_ways(guest_modules: None) -> None:
    """A Media returned by a server function reaches the caller as Media (its bytes in
    base64), and one passed to a server function arrives as a BlobMedia."""
    import anvil
    from anvil import _serialize

    sent_bytes = b"\x89PNG\x00\xff"
    sent = anvil.BlobMedia("image/png", sent_bytes, name="dot.png")
    form = _serialize.encode({"picture": sent})
    assert form == {
        "picture": {
            "$wb": "media",
            "v": {"content_type": "image/png", "name": "dot.png", "data": "iVBORwD/"},
        }
    }
    back = _serialize.decode(json.loads(json.dumps(form)))["picture"]
    assert isinstance(back, anvil.BlobMedia)
    assert (back.content_type, back.name, back.get_bytes()) == ("image/png", "dot.png", sent_bytes)
    with pytest.raises(_serialize.SerializationError, match="not base64"):
        _serialize.decode({"$wb": "media", "v": {"data": "%%%"}})
