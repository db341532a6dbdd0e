"""Messages between the runtime and its sandbox processes (`runtime/_wire.py`): results
survive the trip exactly, and anything malformed is refused rather than trusted."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import pytest

from widgetbox.runtime import Frame, HttpResponse, Limits, RunResult, Status, UserError
from widgetbox.runtime._wire import (
    WireError,
    bytes_in,
    limits_in,
    limits_out,
    pack,
    result_in,
    result_out,
    unpack,
)

pytestmark = pytest.mark.unit

FULL = RunResult(
    status=Status.ERROR,
    stdout="out ✓\n",
    stderr="err\n",
    wall_time=0.25,
    fuel=12345,
    peak_memory=40 * 1024 * 1024,
    host_calls=3,
    value={"when": datetime.date(2026, 11, 24), "items": [1, 2.5, None, True]},
    response=HttpResponse(status=201, headers={"x-a": "b"}, body=b"\x00\xffbytes"),
    error=UserError(
        type="ValueError",
        message="bad",
        traceback="Traceback...\nValueError: bad\n",
        frames=(Frame("main.py", 3, "f", "raise ValueError('bad')"),),
        qualified_type="anvil.server.NoServerFunctionError",
    ),
    message="The code raised an exception",
    output_truncated=True,
)


def test_a_result_survives_the_trip_exactly() -> None:
    message = unpack(pack("done", run=1, result=result_out(FULL)))
    assert message["kind"] == "done"
    assert result_in(message["result"]) == FULL


def test_a_result_without_optional_parts_survives_too() -> None:
    plain = RunResult(status=Status.OK, stdout="", stderr="", wall_time=0.0, fuel=None,
                      peak_memory=0)  # fmt: skip
    assert result_in(unpack(pack("done", result=result_out(plain)))["result"]) == plain


def test_limits_survive_the_trip() -> None:
    limits = Limits.request().with_(fuel=10**9, memory=64 * 1024 * 1024)
    assert limits_in(unpack(pack("run", limits=limits_out(limits)))["limits"]) == limits


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"status": "bogus"}, "unknown status"),
        ({"stdout": 5}, "stdout not text"),
        ({"fuel": True}, "a bool is not a count"),
        ({"fuel": "1"}, "fuel not a number"),
        ({"peak_memory": None}, "missing measurement"),
        ({"value": {"$wb": "nonsense"}}, "an unknown tagged value"),
        ({"response": {"status": 200, "headers": {"a": 1}, "body": ""}}, "header not text"),
        ({"response": {"status": 200, "headers": {}, "body": "not base64!"}}, "bad body"),
        ({"error": {"type": "E"}}, "an incomplete error"),
        ({"output_truncated": "yes"}, "flag not a bool"),
    ],
)
def test_a_malformed_result_is_refused(change: dict[str, Any], why: str) -> None:
    data = {**result_out(FULL), **change}
    with pytest.raises(WireError):
        result_in(data)


def test_a_result_missing_a_field_is_refused() -> None:
    data = result_out(FULL)
    del data["stderr"]
    with pytest.raises(WireError):
        result_in(data)


@pytest.mark.parametrize("data", [b"not json", b"[1, 2]", b'{"no": "kind"}', b'{"kind": 5}'])
def test_a_message_that_is_not_an_object_with_a_kind_is_refused(data: bytes) -> None:
    with pytest.raises(WireError):
        unpack(data)


def test_nan_is_never_sent() -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        pack("done", result=result_out(dataclasses.replace(FULL, wall_time=float("nan"))))


def test_bytes_must_be_strict_base64() -> None:
    assert bytes_in("AP8=") == b"\x00\xff"
    for bad in ("AP8", "A P8=", 5):
        with pytest.raises(WireError):
            bytes_in(bad)


# Found by the fuzzer (`just fuzz`): `pack` never writes NaN or an infinity, but `unpack`
# took them, so a subverted process could hand the runtime a result it cannot send on as
# JSON (or a log level `int()` cannot take, which ended the reader thread).
@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e400"])
def test_a_message_with_a_number_json_cannot_carry_is_refused(number: bytes) -> None:
    with pytest.raises(WireError):
        unpack(b'{"kind": "log", "name": "x", "level": ' + number + b', "text": ""}')
    data = pack("done", run=1, result=result_out(FULL)).replace(
        b'"wall_time":0.25', b'"wall_time":' + number
    )
    with pytest.raises(WireError):
        unpack(data)


def test_a_result_with_a_number_too_large_for_a_float_is_refused() -> None:
    with pytest.raises(WireError, match="malformed"):
        result_in({**result_out(FULL), "wall_time": 10**400})
