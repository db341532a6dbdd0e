"""Request and response bodies of the JSON API (msgspec structs: validated on the way in,
described in the OpenAPI document)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

Kind = Literal["script", "scheduled", "http", "gui"]
Visibility = Literal["private", "unlisted", "public"]
Files = Annotated[dict[str, str], msgspec.Meta(description="File path -> file text")]


class UserOut(msgspec.Struct):
    id: int
    username: str
    is_admin: bool
    created_at: str


class SessionOut(msgspec.Struct):
    user: UserOut | None
    open_signup: bool


class Credentials(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


class SiteSettings(msgspec.Struct, forbid_unknown_fields=True):
    open_signup: bool


class Origin(msgspec.Struct):
    slug: str
    title: str
    owner: str


class WidgetOut(msgspec.Struct):
    id: int
    slug: str
    title: str
    kind: Kind
    visibility: Visibility
    owner: str
    head_version: int
    created_at: str
    updated_at: str
    forked_from: Origin | None
    entry: str
    can_edit: bool


class WidgetDetail(WidgetOut):
    files: Files


class WidgetList(msgspec.Struct):
    widgets: list[WidgetOut]
    limit: int
    offset: int


class NewWidget(msgspec.Struct, forbid_unknown_fields=True):
    kind: Kind
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    slug: str | None = None
    visibility: Visibility = "private"


class WidgetChanges(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    slug: str | None = None
    visibility: Visibility | None = None


class NewVersion(msgspec.Struct, forbid_unknown_fields=True):
    base_version: Annotated[int, msgspec.Meta(ge=0)]
    files: Files
    message: Annotated[str, msgspec.Meta(max_length=500)] = ""


class Restore(msgspec.Struct, forbid_unknown_fields=True):
    base_version: Annotated[int, msgspec.Meta(ge=0)] | None = None


class ForkRequest(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    slug: str | None = None


class VersionOut(msgspec.Struct):
    number: int
    message: str
    author: str | None
    created_at: str
    restored_from: int | None


class VersionDetail(VersionOut):
    files: Files


class VersionList(msgspec.Struct):
    versions: list[VersionOut]
    head_version: int


class SavedVersion(msgspec.Struct):
    widget: WidgetOut
    version: int


class FileDiff(msgspec.Struct):
    path: str
    status: Literal["added", "removed", "changed", "unchanged"]
    diff: str


class DiffOut(msgspec.Struct):
    old: int
    new: int
    files: list[FileDiff]


class ErrorDetail(msgspec.Struct):
    status: int
    code: str
    message: str
    details: dict[str, Any]


class ErrorOut(msgspec.Struct):
    """Every error the API returns has this shape."""

    error: ErrorDetail


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


class ScheduleRule(msgspec.Struct):
    """`{"type": "interval", "every": 15, "unit": "minutes"}` (optionally `"at": "09:00"`
    for days and weeks, `"weekday": "monday"` for weeks), or `{"type": "cron", "cron":
    "0 9 * * 1-5"}`; both with an optional `"timezone"` (IANA name, default "UTC")."""

    type: Literal["interval", "cron"]
    every: int | None = None
    unit: Literal["minutes", "hours", "days", "weeks"] | None = None
    at: str | None = None
    weekday: str | int | None = None
    cron: str | None = None
    timezone: str = "UTC"


class SchedulePreview(msgspec.Struct):
    description: str
    next: list[str]
    """The next five fire times, ISO 8601 in UTC."""


class ScheduleOut(msgspec.Struct):
    rule: dict[str, Any]
    description: str
    timezone: str
    paused: bool
    next_run_at: str | None
    last_run_at: str | None
    next: list[str]
    """The next five fire times (empty while paused)."""
