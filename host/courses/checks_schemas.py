"""The checks API's message shapes (msgspec structs, described in the OpenAPI document). A
student's shapes have no field for the checks' source, a test's line or its output, so no
student answer can carry them; `message` and `results` are left out as the teachers chose."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from widgetbox.host.courses import checks

Shown = Literal["details", "names", "score"]
Outcome = Literal["passed", "failed", "errored", "timeout"]


class ChecksIn(msgspec.Struct, forbid_unknown_fields=True):
    source: Annotated[str, msgspec.Meta(max_length=checks.MAX_SOURCE)]
    """Python: `def test_...():` functions with plain `assert`; `@public` ones (from
    `classroom`) students may run with Check."""
    shown: Shown = "details"
    """What students read of their results: `details` (outcomes and messages), `names`
    (outcomes only) or `score` (how many passed)."""
    deadline: float = checks.DEADLINE
    """Seconds each test may run (0.5 to 60)."""


class CheckIn(msgspec.Struct, forbid_unknown_fields=True):
    version: int | None = None
    """The version of your copy to check (its latest when left out)."""


class TestOut(msgspec.Struct):
    name: str
    public: bool


class ChecksOut(msgspec.Struct):
    source: str
    tests: list[TestOut]
    shown: Shown
    deadline: float
    updated_at: str


class ChecksStarted(msgspec.Struct):
    started: int
    """How many students' submissions are being checked."""


class CheckStarted(msgspec.Struct):
    started: bool
    version: int


class ResultOut(msgspec.Struct):
    """A test's outcome in full (teachers)."""

    name: str
    status: Outcome
    message: str
    line: int | None
    """Where in the checks file it stopped."""
    seconds: float
    output: str
    """The end of what the test printed."""


class CheckRunOut(msgspec.Struct):
    id: int
    version: int
    submission: int | None
    public_only: bool
    started_at: str
    finished_at: str | None
    passed: int
    total: int
    results: list[ResultOut]
    refused: str | None = None
    """Not run: the student's limit that refused their checks (a teacher may run them
    again for everyone)."""


class StudentResults(msgspec.Struct):
    user_id: int
    username: str
    name: str
    submitted: CheckRunOut | None
    """The latest check of one of their submissions."""
    checked: CheckRunOut | None
    """Their latest own Check (the public tests)."""


class ResultsOut(msgspec.Struct):
    students: list[StudentResults]


class MyResult(msgspec.Struct, omit_defaults=True):
    name: str
    status: Outcome
    message: str | msgspec.UnsetType = msgspec.UNSET
    """Only when the teachers show every detail."""


class MyCheckRun(msgspec.Struct, omit_defaults=True):
    version: int
    public_only: bool
    started_at: str
    finished: bool
    passed: int
    total: int
    shown: Shown
    results: list[MyResult] | msgspec.UnsetType = msgspec.UNSET
    """Left out when the teachers show only the score."""
    refused: str | None = None
    """Not run: which of the course's limits you had reached, and when it resets (left
    out when they ran)."""


class MyChecks(msgspec.Struct):
    has_checks: bool
    public: int
    """How many tests Check runs."""
    submitted: MyCheckRun | None
    checked: MyCheckRun | None
