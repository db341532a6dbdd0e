"""Reports from the guest are checked: a malformed one is an error result, never a crash."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from widgetbox.runtime import Limits, Status, _outcome
from widgetbox.runtime._activity import Activity
from widgetbox.runtime._limits import MiB
from widgetbox.runtime._outcome import MALFORMED, outcome_of
from widgetbox.runtime._output import Output
from widgetbox.runtime._quota import ScratchQuota

pytestmark = pytest.mark.unit

LIMITS = Limits.request().with_(memory=64 * MiB)
INF = float("inf")
FRAME = {"filename": "main.py", "lineno": 3, "name": "<module>", "line": "x = 1"}


def nested_value(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def activity(report: dict[str, Any] | None, tmp_path: Path) -> Activity:
    act = Activity(
        limits=LIMITS,
        output=Output(100),
        quota=ScratchQuota(tmp_path, 100, 10),
        wasi={},
        cancel=None,
        shutdown=threading.Event(),
    )
    act.report = report
    return act


@pytest.mark.parametrize(
    "report",
    [
        {"status": "ok", "value": {"$wb": "bogus"}},
        {"status": "ok", "response": {"status": "200"}},
        {"status": "ok", "response": {"status": 99, "headers": {}}},
        {"status": "ok", "response": {"status": 200, "headers": [1]}},
        {"status": "ok", "response": {"status": 200, "headers": {"a": "b\r\nc: d"}}},
        {"status": "ok", "response": {"status": 200, "headers": {}, "body": "!not base64"}},
        {"status": "maybe"},
        {"status": "error", "error": "not a dict"},
        {"status": "error", "error": {"type": "X", "frames": [{"lineno": "x"}]}},
        {"status": "error", "error": {"type": "X", "frames": "no"}},
        {"status": "error", "error": {"type": "SystemExit"}, "exit_code": "many"},
        # Numbers JSON decodes to what the host cannot take (issue 11).
        {"status": "error", "error": {"type": "SystemExit"}, "exit_code": INF},
        {"status": "error", "error": {"type": "SystemExit"}, "exit_code": 1e3},
        {"status": "error", "error": {"type": "SystemExit"}, "exit_code": 2**31},
        {"status": "error", "error": {"type": "SystemExit"}, "exit_code": True},
        {"status": "ok", "exit_code": INF},
        {"status": "error", "error": {"type": "X", "frames": [FRAME | {"lineno": -INF}]}},
        {"status": "error", "error": {"type": "X", "frames": [FRAME | {"lineno": -1}]}},
        {"status": "error", "error": {"type": "X", "frames": [FRAME | {"lineno": 10**8}]}},
        {"status": "error", "error": {"type": "X", "frames": [FRAME | {"lineno": 2.0}]}},
        {"status": "ok", "value": [1.0, INF]},
        {"status": "ok", "value": {"a": [-INF]}},
        {"status": "ok", "value": float("nan")},
        {"status": "ok", "value": [[[[]]]] * 2 + [nested_value(101)]},
        # Fields of the wrong type or size.
        {"status": True},
        {"status": None},
        {"status": ["ok"]},
        {"status": "error", "error": {"type": "X", "frames": [["main.py", 1]]}},
        {"status": "error", "error": {"type": "X", "frames": [FRAME | {"filename": None}]}},
        {"status": "error", "error": {"type": "X", "frames": [{"lineno": 1}]}},
        {"status": "error", "error": {"type": "X", "frames": [FRAME | {"line": 7}]}},
        {"status": "error", "error": {"type": "X", "frames": [FRAME | {"name": "n" * 1025}]}},
        {"status": "error", "error": {"type": "X", "frames": [FRAME] * 201}},
        {"status": "error", "error": {"type": 7}},
        {"status": "error", "error": {"type": "X" * 1025}},
        {"status": "error", "error": {"type": "X", "message": {"a": 1}}},
        {"status": "error", "error": {"type": "X", "message": "m" * (64 * 1024 + 1)}},
        {"status": "error", "error": {"type": "X", "traceback": "t" * (256 * 1024 + 1)}},
        {"status": "error", "error": {"type": "X", "qualified_type": ["anvil"]}},
        {"status": "ok", "response": {"status": True, "headers": {}}},
        {"status": "ok", "response": {"status": 200.0, "headers": {}}},
        {"status": "ok", "response": {"status": 600, "headers": {}}},
        {"status": "ok", "response": {"status": 200, "headers": {"a": {"b": "c"}}}},
        {"status": "ok", "response": {"status": 200, "headers": {"a": 1}}},
        {"status": "ok", "response": {"status": 200, "headers": {"a": "v" * (64 * 1024 + 1)}}},
        {
            "status": "ok",
            "response": {"status": 200, "headers": {f"h{i}": "" for i in range(1001)}},
        },
        {"status": "ok", "response": {"status": 200, "headers": {}, "body": 5}},
        {"status": "ok", "response": {"status": 200, "headers": {}, "body": "aGk=\u00e9"}},
        {"status": "ok", "response": ["status", 200]},
    ],
)
def test_malformed_reports_are_errors(report: dict[str, Any], tmp_path: Path) -> None:
    outcome = outcome_of(activity(report, tmp_path), 0, LIMITS, 40 * MiB)
    assert (outcome.status, outcome.message) == (Status.ERROR, MALFORMED)
    assert (outcome.error, outcome.value, outcome.response) == (None, None, None)


def test_an_unexpected_failure_is_malformed_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever a check forgot, no exception crosses the boundary, and no host text."""

    def broken(data: Any) -> Any:
        raise OverflowError("host detail /srv/secret")

    monkeypatch.setattr(_outcome, "decode", broken)
    outcome = outcome_of(activity({"status": "ok", "value": 1}, tmp_path), 0, LIMITS, 40 * MiB)
    assert (outcome.status, outcome.message) == (Status.ERROR, MALFORMED)


def test_the_largest_error_the_driver_sends_is_read(tmp_path: Path) -> None:
    frames = [FRAME | {"filename": "f" * 1024, "name": "n" * 1024, "line": "l" * 1024}] * 101
    error = {
        "type": "T" * 1024,
        "qualified_type": "Q" * 1024,
        "message": "m" * 64 * 1024,
        "traceback": "t" * 256 * 1024,
        "frames": frames,
    }
    report = {"status": "error", "error": error, "exit_code": -(2**31)}
    outcome = outcome_of(activity(report, tmp_path), 0, LIMITS, 40 * MiB)
    assert outcome.status is Status.ERROR
    assert outcome.error is not None
    assert len(outcome.error.frames) == 101
    exited = outcome_of(
        activity(report | {"error": error | {"type": "SystemExit"}}, tmp_path), 0, LIMITS, 0
    )
    assert exited.message == f"The code exited with status {-(2**31)}"


def test_no_report_near_the_memory_limit_is_a_memory_outcome(tmp_path: Path) -> None:
    near = outcome_of(activity(None, tmp_path), 0, LIMITS, 64 * MiB)
    assert near.status is Status.MEMORY
    far = outcome_of(activity(None, tmp_path), 0, LIMITS, 40 * MiB)
    assert (far.status, far.message) == (Status.ERROR, "The run ended without reporting a result")


def test_a_good_report_is_read(tmp_path: Path) -> None:
    report = {
        "status": "ok",
        "value": [1, {"$wb": "date", "v": "2026-11-24"}],
        "response": {"status": 201, "headers": {"X-A": "b"}, "body": "aGk="},
    }
    outcome = outcome_of(activity(report, tmp_path), 0, LIMITS, 40 * MiB)
    assert outcome.status is Status.OK
    assert outcome.response is not None
    assert (outcome.response.status, outcome.response.headers, outcome.response.body) == (
        201,
        {"x-a": "b"},
        b"hi",
    )
