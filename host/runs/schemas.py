"""The runs API's message shapes (msgspec structs, described in the OpenAPI document), and
the run records they are made from."""

from __future__ import annotations

import json
from typing import Any, Literal

import msgspec

from widgetbox.host.runs import records as runs


class FrameOut(msgspec.Struct):
    filename: str
    lineno: int
    name: str
    line: str


class UserErrorOut(msgspec.Struct):
    type: str
    message: str
    traceback: str
    lineno: int | None
    frames: list[FrameOut]
    qualified_type: str = ""
    """An `anvil` exception's module and name (`anvil.server.TimeoutError`), by which a
    background task's `get_error` raises the same class; empty for any other exception."""


class RunOut(msgspec.Struct):
    id: int
    """The run's id across the server: `/api/runs/{id}`."""
    number: int
    """The run's number among its widget's runs, from 1 ("Run #3"), in the order they were
    made."""
    widget: str
    version: int
    trigger: Literal["manual", "schedule", "http", "call", "task"]
    status: Literal[
        "queued", "running", "ok", "error", "timeout", "memory", "output_limit", "killed",
        "interrupted", "skipped",
    ]  # fmt: skip
    user: str | None
    queued_at: str
    started_at: str | None
    finished_at: str | None
    wall_time: float | None
    fuel: int | None
    """The work the run's code did, as the sandbox counts it (about one unit per WebAssembly
    instruction); null when a time limit or a cancel stopped it mid-way."""
    cpu_ms: float | None
    """`fuel` as an estimate of the CPU time it took, in milliseconds (on the machine the
    factor was measured on: see the README)."""
    peak_memory: int | None
    host_calls: int | None
    message: str
    output_truncated: bool
    request: dict[str, Any] | None
    task_name: str | None
    """A background task's function (null: a script's run, whose function is its body)."""


class RunDetail(RunOut):
    stdout: str
    stderr: str
    error: UserErrorOut | None
    task_state: Any
    """`anvil.server.task_state` when the run ended (the codec's form; null: none)."""
    task_value: Any
    """A background task's return value (the codec's form; null: none)."""


class RunList(msgspec.Struct):
    runs: list[RunOut]
    limit: int
    offset: int


class Cancelled(msgspec.Struct):
    run: int
    cancelled: bool
    """False when the run had already finished."""


def run_out(run: runs.Run) -> RunOut:
    return RunOut(**{field: getattr(run, field) for field in RunOut.__struct_fields__})


def run_detail(run: runs.Run) -> RunDetail:
    error = None
    if run.error:
        error = UserErrorOut(
            type=run.error["type"],
            message=run.error["message"],
            traceback=run.error["traceback"],
            lineno=run.error.get("lineno"),
            frames=[FrameOut(**frame) for frame in run.error.get("frames", [])],
            qualified_type=run.error.get("qualified_type", ""),
        )
    return RunDetail(
        **msgspec.structs.asdict(run_out(run)),
        stdout=run.stdout,
        stderr=run.stderr,
        error=error,
        task_state=json.loads(run.task_state) if run.task_state else None,
        task_value=json.loads(run.task_value) if run.task_value else None,
    )
