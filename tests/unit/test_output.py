from __future__ import annotations

import pytest

from widgetbox.runtime._output import STDERR, STDOUT, Output

pytestmark = pytest.mark.unit


def test_streams_are_kept_apart_and_reported_as_they_arrive() -> None:
    seen: list[tuple[str, str]] = []
    out = Output(100, lambda stream, text: seen.append((stream, text)))
    out.write(STDOUT, b"a\n")
    out.write(STDERR, b"oops\n")
    out.write(STDOUT, b"b\n")
    assert seen == [("stdout", "a\n"), ("stderr", "oops\n"), ("stdout", "b\n")]
    assert out.text("stdout") == "a\nb\n"
    assert out.text("stderr") == "oops\n"


def test_utf8_split_across_writes_is_decoded_whole() -> None:
    out = Output(100)
    data = "héllo €".encode()
    for byte in data:
        out.write(STDOUT, bytes([byte]))
    out.finish()
    assert out.text("stdout") == "héllo €"


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    out = Output(100)
    out.write(STDOUT, b"ok \xff\xfe end")
    out.finish()
    assert out.text("stdout") == "ok \ufffd\ufffd end"


def test_the_cap_truncates_with_a_marker_and_stops_collecting() -> None:
    out = Output(10)
    out.write(STDOUT, b"12345")
    out.write(STDERR, b"678901234")
    out.write(STDOUT, b"more")
    assert out.truncated
    assert out.used == 10
    assert out.text("stdout") == "12345"
    assert out.text("stderr").startswith("67890\n[output truncated")


def test_a_failing_listener_does_not_break_capture() -> None:
    def listener(stream: str, text: str) -> None:
        raise RuntimeError("listener bug")

    out = Output(100, listener)
    out.write(STDOUT, b"still kept")
    assert out.text("stdout") == "still kept"
