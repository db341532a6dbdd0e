"""The runs API's message shapes (msgspec structs, described in the OpenAPI document), and
the run records they are made from."""

from __future__ import annotations

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


class RunOut(msgspec.Struct):
    id: int
    widget: str
    version: int
    trigger: Literal["manual", "schedule", "http", "call"]
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
    peak_memory: int | None
    host_calls: int | None
    message: str
    output_truncated: bool
    request: dict[str, Any] | None


class RunDetail(RunOut):
    stdout: str
    stderr: str
    error: UserErrorOut | None


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
        )
    return RunDetail(
        **msgspec.structs.asdict(run_out(run)), stdout=run.stdout, stderr=run.stderr, error=error
    )
