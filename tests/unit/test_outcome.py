"""Reports from the guest are checked: a malformed one is an error result, never a crash."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from widgetbox.runtime import Limits, Status
from widgetbox.runtime._activity import Activity
from widgetbox.runtime._limits import MiB
from widgetbox.runtime._outcome import outcome_of
from widgetbox.runtime._output import Output
from widgetbox.runtime._quota import ScratchQuota

pytestmark = pytest.mark.unit

LIMITS = Limits.request().with_(memory=64 * MiB)


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
    ],
)
def test_malformed_reports_are_errors(report: dict[str, Any], tmp_path: Path) -> None:
    outcome = outcome_of(activity(report, tmp_path), 0, LIMITS, 40 * MiB)
    assert outcome.status is Status.ERROR
    assert outcome.message == "The run reported a malformed result"


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
