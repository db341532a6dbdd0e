"""The guest's end of the bridge (`_widgetbox/bridge.py`) on the host's CPython: its frames
are the text `json.dumps` would write, the host's answers read as `json.loads` would, and a
file's bytes taken as they are."""

from __future__ import annotations

import json
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from widgetbox.runtime._bridge import BYTES_MARK, bytes_frame, error_frame, ok_frame

pytestmark = pytest.mark.unit


@pytest.fixture
def bridge(guest_modules: None) -> Iterator[types.ModuleType]:
    from _widgetbox import bridge

    yield bridge
    bridge.set_door(None)


def doors(bridge: types.ModuleType, answer: Callable[[bytes], bytes]) -> list[bytes]:
    """Connect a door answering with `answer`; the frames it is sent."""
    sent: list[bytes] = []

    def door(frame: bytes) -> bytes:
        sent.append(frame)
        return answer(frame)

    bridge.set_door(door)
    return sent


VALUES: list[Any] = [
    None,
    {"n": [1, 2.5, -0.0, 1e300, 10**40, True, False, None]},
    {"text": 'é ☃ \U0001f600 \x00 " \\ \n \t \u2028', "": {}, "empty": []},
    [[[[]]], {"a": {"b": {"c": "d"}}}],
    {1: "int keys", 2.5: "float keys", False: "bool keys", None: "None keys"},
    ("a", "tuple"),
]


@pytest.mark.parametrize("value", VALUES)
def test_a_request_frame_is_what_json_dumps_writes(bridge: types.ModuleType, value: Any) -> None:
    sent = doors(bridge, lambda frame: ok_frame(None))
    bridge.call("x.op", value)
    frame = {"op": "x.op", "data": value}
    assert sent == [json.dumps(frame, separators=(",", ":"), allow_nan=False).encode()]


@pytest.mark.parametrize(
    ("value", "refusal"),
    [
        (float("nan"), (ValueError, "Out of range float values are not JSON compliant")),
        (float("inf"), (ValueError, "Out of range float values are not JSON compliant")),
        ({1j}, (TypeError, "Object of type set is not JSON serializable")),
        ({(1, 2): "x"}, (TypeError, "keys must be str, int, float, bool or None")),
    ],
)
def test_what_json_refuses_is_refused_before_the_door(
    bridge: types.ModuleType, value: Any, refusal: tuple[type[Exception], str]
) -> None:
    sent = doors(bridge, lambda frame: ok_frame(None))
    kind, message = refusal
    with pytest.raises(kind, match=message):
        bridge.call("x.op", {"deep": [value]})
    assert sent == []


def test_a_circular_value_is_refused_and_does_not_haunt_later_frames(
    bridge: types.ModuleType,
) -> None:
    sent = doors(bridge, lambda frame: ok_frame(None))
    loop: list[Any] = [1]
    loop.append(loop)
    shared = [1, 2]
    with pytest.raises(ValueError, match="Circular reference detected"):
        bridge.call("x.op", [shared, loop])
    # the failed encoding left `shared` marked in its encoder's markers: a new one is fresh
    bridge.call("x.op", [shared, shared])
    assert sent == [b'{"op":"x.op","data":[[1,2],[1,2]]}']


@pytest.mark.parametrize(
    "value", [None, 0, "é \U0001f600", {"a": [1, 2.5, True, None]}, [{"b": {}}]]
)
def test_an_answer_reads_as_json_loads_reads_it(bridge: types.ModuleType, value: Any) -> None:
    doors(bridge, lambda frame: ok_frame(value))
    assert bridge.call("x.op") == json.loads(ok_frame(value))["ok"]


@pytest.mark.parametrize(
    ("answer", "complaint"),
    [
        (b"", "not a JSON value"),
        (b"nonsense", "not a JSON value"),
        (b'{"ok":1} ', "has more after its JSON value"),
        (b'{"ok":1}{"ok":2}', "has more after its JSON value"),
        (b'{"ok":', "not a JSON value"),
        (b'{"ok" 1}', "Expecting ':' delimiter"),
        (b"\xff", "can't decode byte"),
    ],
)
def test_a_malformed_answer_is_a_value_error(
    bridge: types.ModuleType, answer: bytes, complaint: str
) -> None:
    doors(bridge, lambda frame: answer)
    with pytest.raises(ValueError, match=complaint):
        bridge.call("x.op")


def test_an_error_frame_raises_its_kind(bridge: types.ModuleType) -> None:
    doors(bridge, lambda frame: error_frame("LimitExceeded", "too many calls"))
    with pytest.raises(bridge.LimitExceeded, match="too many calls"):
        bridge.call("x.op")
    with pytest.raises(bridge.LimitExceeded, match="too many calls"):
        bridge.call_for_bytes("x.op")


def test_bytes_are_taken_as_they_are(bridge: types.ModuleType) -> None:
    content = bytes(range(256)) + b'{"ok":1}'
    doors(bridge, lambda frame: bytes_frame(content))
    assert bridge.call_for_bytes("x.file", "a.py") == content
    doors(bridge, lambda frame: bytes_frame(b""))
    assert bridge.call_for_bytes("x.file", "empty.py") == b""


def test_a_value_where_bytes_were_expected_is_an_error(bridge: types.ModuleType) -> None:
    doors(bridge, lambda frame: ok_frame("aGVsbG8="))
    with pytest.raises(bridge.HostCallError, match="with a value, not bytes"):
        bridge.call_for_bytes("x.file", "a.py")


def test_the_two_ends_mark_bytes_alike(bridge: types.ModuleType) -> None:
    assert bridge.BYTES_MARK == BYTES_MARK
    assert not BYTES_MARK.startswith(b"{")  # every JSON frame opens with one
