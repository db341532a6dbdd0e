from __future__ import annotations

import json
import threading
import time

import pytest

from tests._timing import within
from widgetbox.runtime import Bridge, HostCall, HostCallError
from widgetbox.runtime._bridge import MAX_DEPTH, MAX_VALUES, check_frame, parse_request

pytestmark = pytest.mark.unit


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def refusal(frame: bytes, max_depth: int = MAX_DEPTH, max_values: int = MAX_VALUES) -> str:
    """Why `check_frame` refuses `frame`, or "" when it lets it through."""
    try:
        check_frame(frame, max_depth, max_values)
    except HostCallError as e:
        return f"{e.kind}: {e.message}"
    return ""


def request(data: bytes) -> bytes:
    return b'{"op":"x","data":' + data + b"}"


def test_depth_limit_is_exact() -> None:
    assert refusal(nested(MAX_DEPTH)) == ""
    assert refusal(nested(MAX_DEPTH + 1)) == "BadRequest: the request nests deeper than 64 levels"
    objects = b'{"a":' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1)
    assert "nests deeper" in refusal(objects)


def test_depth_limit_is_exact_among_many_containers() -> None:
    # More brackets than the depth limit, so the depth is walked, not guessed from a count.
    wide = b"[" + b",".join([nested(MAX_DEPTH - 1)] * 50) + b"]"
    assert refusal(wide) == ""
    assert "nests deeper" in refusal(wide[:1] + nested(MAX_DEPTH) + b"," + wide[1:])


@pytest.mark.parametrize("count", [MAX_VALUES - 3, MAX_VALUES - 2])
def test_node_limit_is_exact(count: int) -> None:
    # The envelope's object, its comma, the list: 3 values around `count` zeros.
    frame = request(b"[" + b",".join([b"0"] * count) + b"]")
    expected = (
        "" if count + 3 <= MAX_VALUES else "BadRequest: the request holds more than 50,000 values"
    )
    assert refusal(frame) == expected


def test_brackets_inside_strings_do_not_count() -> None:
    frame = json.dumps({"op": "x", "data": ["[" * 500, '\\"[[[[', "}" * 100] * 30}).encode()
    assert refusal(frame) == ""
    assert parse_request(frame)[0] == "x"


@pytest.mark.parametrize(
    "string",
    [b'"\\\\"', b'"a\\\\\\\\"', b'"\\\\\\""', b'""', b'"\\u0022"', b'"\\"\\\\"'],
    ids=[
        "backslash",
        "two-backslashes",
        "backslash-quote",
        "empty",
        "unicode-quote",
        "quote-backslash",
    ],
)
def test_escapes_end_strings_where_a_decoder_ends_them(string: bytes) -> None:
    """Brackets right after a string count exactly when a decoder reads them as brackets."""
    decoded = json.loads(b"[" + string + b"]")
    assert isinstance(decoded, list)
    frame = b"[" + string + b"," + nested(MAX_DEPTH) + b"]"
    assert "nests deeper" in refusal(frame)
    inside = b'["' + string[1:-1] + b'[[[[",' + nested(MAX_DEPTH - 1) + b"]"
    json.loads(inside)
    assert refusal(inside) == ""


def test_a_frame_whose_brackets_are_all_in_strings_is_fine() -> None:
    assert refusal(request(b'"' + b"[" * 100 + b'"')) == ""
    assert refusal(request(b'"' + b"[" * 100 + b'\\\\"')) == ""


def test_many_shallow_containers_are_fine() -> None:
    frame = json.dumps({"op": "x", "data": [{"a": [1]} for _ in range(5000)]}).encode()
    assert refusal(frame) == ""


def test_deep_frames_are_refused_before_decoding() -> None:
    with pytest.raises(HostCallError) as caught:
        parse_request(b'{"op": "x", "data": ' + nested(100_000) + b"}")
    assert caught.value.kind == "BadRequest"


@pytest.mark.parametrize(
    "data",
    [
        b'"' + b'\\"' * 50_000,  # an unclosed string of escaped quotes (it was quadratic)
        b"[" * 65 + b'"' + b'\\"' * 50_000,
        b"[" * 65 + b'"' + b"\\" * 100_000,
        b"[" + b'"a",' * 25_000,
        b"[" + b"[]," * 60_000 + b"[]]",
        b"[" + b'"[",' * 60_000 + b'"["]',  # valid, with too many values
    ],
    ids=[
        "unclosed",
        "unclosed-after-brackets",
        "backslashes",
        "strings",
        "lists",
        "bracket-strings",
    ],
)
def test_adversarial_frames_are_bad_requests(data: bytes) -> None:
    with pytest.raises(HostCallError) as caught:
        parse_request(request(data))
    assert caught.value.kind == "BadRequest"


def test_more_strings_than_values_allow_are_refused_before_counting_them_all() -> None:
    frame = request(b"[" + b'"[","]"' * 20 + b"]")  # strings without commas: not JSON
    assert refusal(frame, max_values=10) == "BadRequest: the request holds more than 10 values"


@pytest.mark.parametrize(
    "number", [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e999", b"1" * 5000]
)
def test_numbers_json_cannot_carry_are_bad_requests(number: bytes) -> None:
    with pytest.raises(HostCallError) as caught:
        parse_request(request(b"[1, " + number + b"]"))
    assert (caught.value.kind, caught.value.message) == (
        "BadRequest",
        "the request is not valid JSON",
    )


@pytest.mark.parametrize("number", [b"1e308", b"-1.5e-300", b"9" * 4300])
def test_large_finite_numbers_pass(number: bytes) -> None:
    assert parse_request(request(number))[1] == json.loads(number)


def test_a_frame_read_from_guest_memory_is_checked_as_it_is() -> None:
    # wasmtime's Memory.read returns a bytearray (a copy already): no bytes() of it is made.
    assert parse_request(bytearray(request(b'["[", 1]'))) == ("x", ["[", 1])
    assert "nests deeper" in refusal(bytearray(request(nested(MAX_DEPTH))))


def test_frames_in_other_encodings_are_refused() -> None:
    frame = request(nested(10)).decode().encode("utf-16-le")
    with pytest.raises(HostCallError, match="not valid JSON"):
        parse_request(frame)


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
    assert within(time.monotonic() - started, 0.1)  # the timeout, not the handler's 5 s
    bridge.close()


def test_timeouts_need_no_thread_per_call() -> None:
    # One timer thread keeps every call's timeout: twenty calls past their timeout on two
    # workers add those two workers and the timer, not a waiting thread each.
    bridge = Bridge(max_workers=2)
    release = threading.Event()
    bridge.register("slow", lambda c, d: release.wait(30))
    before = threading.active_count()
    started = time.monotonic()
    pending = [bridge.submit("slow", None, call("slow", timeout=0.2)) for _ in range(20)]
    assert threading.active_count() <= before + 3
    replies = [answer(future.result(10)) for future in pending]
    assert within(time.monotonic() - started, 0.2)
    release.set()
    assert {reply["error"]["kind"] for reply in replies} == {"Timeout"}  # type: ignore[index]
    bridge.close()


def test_an_answer_is_given_once_whichever_comes_first() -> None:
    bridge = Bridge(max_workers=4)
    bridge.register("quick", lambda c, d: d)
    for timeout in (0.0, 0.0001, 0.001, 1.0):
        futures = [bridge.submit("quick", n, call("quick", timeout)) for n in range(50)]
        for n, future in enumerate(futures):
            reply = answer(future.result(10))
            assert reply == {"ok": n} or reply["error"]["kind"] == "Timeout"  # type: ignore[index]
    bridge.close()


def test_closing_the_bridge_answers_every_call_still_waiting() -> None:
    bridge = Bridge(max_workers=1)
    release = threading.Event()
    bridge.register("slow", lambda c, d: release.wait(30))
    running = bridge.submit("slow", None, call("slow", timeout=60.0))
    queued = bridge.submit("slow", None, call("slow", timeout=60.0))
    bridge.close()
    assert answer(running.result(5))["error"]["kind"] == "Timeout"  # type: ignore[index]
    assert answer(queued.result(5)) == {
        "error": {"kind": "HostError", "message": "the host is shutting down"}
    }
    assert answer(bridge.dispatch("slow", None, call("slow"))) == {
        "error": {"kind": "HostError", "message": "the host is shutting down"}
    }
    release.set()


@pytest.mark.parametrize("name", ["", "widgetbox.job", "widgetbox.anything"])
def test_reserved_names_cannot_be_registered(name: str) -> None:
    with pytest.raises(ValueError, match="not a name"):
        Bridge().register(name, lambda c, d: None)
