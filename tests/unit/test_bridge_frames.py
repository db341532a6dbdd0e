from __future__ import annotations

import json
import threading
import time

import pytest

from widgetbox.runtime import Bridge, HostCall, HostCallError
from widgetbox.runtime._bridge import MAX_DEPTH, json_depth_ok, parse_request

pytestmark = pytest.mark.unit


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_depth_limit_is_exact() -> None:
    assert json_depth_ok(nested(MAX_DEPTH))
    assert not json_depth_ok(nested(MAX_DEPTH + 1))


def test_brackets_inside_strings_do_not_count() -> None:
    frame = json.dumps({"op": "x", "data": ["[" * 500, '\\"[[[[', "}" * 100] * 30}).encode()
    assert json_depth_ok(frame)
    assert parse_request(frame)[0] == "x"


def test_many_shallow_containers_are_fine() -> None:
    frame = json.dumps({"op": "x", "data": [{"a": [1]} for _ in range(5000)]}).encode()
    assert json_depth_ok(frame)


def test_deep_frames_are_refused_before_decoding() -> None:
    with pytest.raises(HostCallError) as caught:
        parse_request(b'{"op": "x", "data": ' + nested(100_000) + b"}")
    assert caught.value.kind == "BadRequest"


@pytest.mark.parametrize("frame", [b"not json", b"[1, 2]", b'{"data": 1}', b'{"op": 5}', b"\xff"])
def test_malformed_frames_are_bad_requests(frame: bytes) -> None:
    with pytest.raises(HostCallError) as caught:
        parse_request(frame)
    assert caught.value.kind == "BadRequest"


def call(op: str, timeout: float = 1.0) -> HostCall:
    return HostCall(op=op, context={"widget": 7}, timeout=timeout)


def answer(frame: bytes) -> object:
    return json.loads(frame)


def test_handlers_receive_data_and_context() -> None:
    bridge = Bridge()
    seen: list[object] = []

    @bridge.handler("echo")
    def echo(host_call: HostCall, data: object) -> object:
        seen.append(host_call.context["widget"])
        return {"echo": data}

    assert answer(bridge.dispatch("echo", [1, 2], call("echo"))) == {"ok": {"echo": [1, 2]}}
    assert seen == [7]
    bridge.close()


def test_errors_are_typed_and_never_leak_host_text() -> None:
    bridge = Bridge()
    bridge.register("typed", lambda c, d: (_ for _ in ()).throw(HostCallError("NotFound", "no")))

    def crash(c: HostCall, d: object) -> object:
        raise RuntimeError("secret host detail /etc/widgetbox")

    bridge.register("crash", crash)
    bridge.register("bad", lambda c, d: {1, 2})
    assert answer(bridge.dispatch("typed", None, call("typed"))) == {
        "error": {"kind": "NotFound", "message": "no"}
    }
    for op in ("crash", "bad"):
        reply = answer(bridge.dispatch(op, None, call(op)))
        assert reply["error"]["kind"] == "HostError"  # type: ignore[index]
        assert "secret" not in json.dumps(reply)
    assert answer(bridge.dispatch("missing", None, call("missing")))["error"]["kind"] == (  # type: ignore[index]
        "UnknownOperation"
    )
    bridge.close()


def test_a_slow_handler_times_out() -> None:
    bridge = Bridge()
    release = threading.Event()
    bridge.register("slow", lambda c, d: release.wait(5))
    started = time.monotonic()
    reply = answer(bridge.dispatch("slow", None, call("slow", timeout=0.1)))
    release.set()
    assert reply["error"]["kind"] == "Timeout"  # type: ignore[index]
    assert time.monotonic() - started < 2
    bridge.close()


@pytest.mark.parametrize("name", ["", "widgetbox.job", "widgetbox.anything"])
def test_reserved_names_cannot_be_registered(name: str) -> None:
    with pytest.raises(ValueError, match="not a name"):
        Bridge().register(name, lambda c, d: None)
