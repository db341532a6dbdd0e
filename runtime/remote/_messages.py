"""What the host and its workers say to each other over NATS, declared once.

The same discipline as `_wire` (whose `pack`/`unpack` and field codecs these reuse): every
kind is a frozen dataclass, `unpack` refuses a kind the receiver does not expect and any
field missing, extra or of the wrong type, and a worker's results are re-checked field by
field (`RunResult` through `_wire.result_in`). A worker is trusted no more than a sandbox
process: everything it sends is data the host parses and checks again.

Subjects (`PREFIX` is `wb`; `<w>` is a worker's name, which its NATS user is limited to):

    wb.work.<w>      host → worker   Dispatch (request/reply: Accepted, Waiting or Refused)
    wb.cancel.<w>    host → worker   CancelRun
    wb.events.<w>    worker → host   RunOutput, RunChunk, RunDone, RunFailed (one run's in order);
                                     a queued run's Accepted and every RunDone and RunFailed
                                     by request/reply (answered Confirm, or CancelRun when the
                                     host will not have a queued run start); a waiting
                                     request's Accepted the same way, before it begins; a
                                     queued run's or a waiting request's Refused (given
                                     back unstarted: no answer came)
    wb.host.<w>      worker → host   HostCallRequest (request/reply: the bridge's answer frame)
    wb.beat.<w>      worker → host   Beat, every `BEAT_INTERVAL` (Bye when it stops)
    wb.pkg.<w>       worker → host   PackagePiece (request/reply: a piece of an environment)
    wb.jobs.batch    host → stream   Dispatch of a script or task (the JetStream work queue)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import _wire as wire
from .._bundles import MAX_BYTES
from .._http import ResponseChunk
from .._result import RunResult
from .._wire import Message, RunRequest, Stream

PREFIX = "wb"
BEAT_INTERVAL = 1.0
"""Seconds between a worker's heartbeats."""
SILENT_AFTER = 3.0
"""Seconds without a heartbeat after which the host sends a worker nothing more and reports
the runs it had started as lost."""
STREAM = "WIDGETBOX_RUNS"
"""The JetStream work-queue stream of scripts and tasks."""
CONSUMER = "workers"
"""Its one durable pull consumer, shared by every worker (each message goes to one)."""
BATCH_SUBJECT = f"{PREFIX}.jobs.batch"
ACK_WAIT = 10.0
"""Seconds a worker may hold a queued run it has taken without acknowledging it (it
acknowledges as it starts it) before the stream gives it to another."""

BUNDLE_BYTES = MAX_BYTES
"""Bytes of widgets' files and bytecode a worker keeps for requests sent without them,
least recently used first out; the host counts what it sent each worker against the same
bound, so the two mostly agree (when not, the worker answers `LACKING`)."""
FULL = "full"
"""A `Refused` dispatch's `why` when the worker has no room (the host may ask again)."""
LACKING = "lacking"
"""A `Refused` dispatch's `why` when it came without its files (by its bundle's digest)
and the worker does not hold them: the host sends it again with them."""

TO_WORKER: dict[str, type[Message]] = {}
"""What the host sends a worker."""
FROM_WORKER: dict[str, type[Message]] = {}
"""What a worker sends the host."""


def subject(kind: str, worker: str) -> str:
    """`wb.<kind>.<worker>`; a worker's name is checked where it is chosen (`check_name`)."""
    return f"{PREFIX}.{kind}.{worker}"


def check_name(name: str) -> str:
    """A worker's name: a NATS subject token (letters, digits, `-`, `_`), 1-64 characters."""
    if not (0 < len(name) <= 64) or not all(c.isalnum() or c in "-_" for c in name):
        raise ValueError(f"{name!r} is not a worker name (letters, digits, - and _)")
    if not name.isascii():
        raise ValueError(f"{name!r} is not a worker name (ASCII only)")
    return name


_declare = wire.declarer(TO_WORKER, FROM_WORKER)


# -- the host's ------------------------------------------------------------------------------


@_declare(TO_WORKER, "dispatch")
@dataclass(frozen=True, slots=True)
class Dispatch(Message):
    """Run `request` as run `run` (an id the host chose, unique across restarts). `timeout`
    is the seconds left of it when sent: machines share no monotonic clock, so the worker
    counts its own deadline from when it accepts (the host keeps the real one)."""

    run: str
    request: RunRequest
    """Without its files and bytecode (`files` None) when the host believes the worker
    holds them, by `request.bundle` (see `_serve.Worker` and `_workers.Workers._ask`)."""
    timeout: float
    packages: str | None = None
    """The digest of its packages environment (`request.packages` is None: the host's
    folder means nothing on a worker), fetched and verified by the worker (`_packages`)."""


@_declare(TO_WORKER, "cancel")
@dataclass(frozen=True, slots=True)
class CancelRun(Message):
    run: str


@_declare(TO_WORKER, "confirm")
@dataclass(frozen=True, slots=True)
class Confirm(Message):
    """The host's answer to a worker's request about run `run`: to a queued run's
    `Accepted`, the host has recorded it started and the worker may start it; to its
    `RunDone` or `RunFailed`, the host has its end and the worker stops sending it again."""

    run: str


# -- a worker's ------------------------------------------------------------------------------


@_declare(FROM_WORKER, "accepted")
@dataclass(frozen=True, slots=True)
class Accepted(Message):
    """The worker has handed the run to a sandbox process: from here on its user code may
    run, so the run is never sent elsewhere again. For a queued run (the work queue) it is
    a request instead, sent before anything starts: the worker starts the run only once
    the host answers `Confirm`, so none starts behind the host's back (a host that is
    gone answers nothing; one that does not know the run answers `CancelRun`)."""

    run: str
    worker: str


@_declare(FROM_WORKER, "waiting")
@dataclass(frozen=True, slots=True)
class Waiting(Message):
    """The answer to a `Dispatch` the worker took beyond its capacity: the run waits there
    for room and has not begun. When its turn comes the worker asks the host whether to
    begin it (`Accepted`, by request on its events subject), and the host answers
    `Confirm` while the run is still that worker's, `CancelRun` when it went elsewhere
    meanwhile (the worker was taken for lost) or has ended."""

    run: str
    worker: str


@_declare(FROM_WORKER, "refused")
@dataclass(frozen=True, slots=True)
class Refused(Message):
    """The worker did not start the run (full, stopping, or `LACKING` the files it was sent
    without): nothing ran. The answer to a `Dispatch`, or, on the events subject, a queued
    run the worker put back in the queue after its requests to start it went unanswered."""

    run: str
    why: str


@_declare(FROM_WORKER, "output")
@dataclass(frozen=True, slots=True)
class RunOutput(Message):
    run: str
    stream: Stream
    text: str


@_declare(FROM_WORKER, "chunk")
@dataclass(frozen=True, slots=True)
class RunChunk(Message):
    run: str
    chunk: ResponseChunk


@_declare(FROM_WORKER, "done")
@dataclass(frozen=True, slots=True)
class RunDone(Message):
    """A run's end, sent by request until the host answers `Confirm` (core NATS delivers
    at most once: a NATS restart may lose one sent once); the host takes it once."""

    run: str
    result: RunResult


@_declare(FROM_WORKER, "failed")
@dataclass(frozen=True, slots=True)
class RunFailed(Message):
    """The worker could not run it (the sandbox failed, not the widget's code); sent as
    `RunDone` is."""

    run: str
    message: str


@_declare(FROM_WORKER, "host_call")
@dataclass(frozen=True, slots=True)
class HostCallRequest(Message):
    """A guest's host call, forwarded as its sandbox process forwarded it to the worker's
    runtime; answered with the bridge's frame (`{"ok": ...}` or `{"error": ...}`)."""

    run: str
    op: str
    data: Any
    timeout: float


@_declare(FROM_WORKER, "package_piece")
@dataclass(frozen=True, slots=True)
class PackagePiece(Message):
    """Asks for the piece of environment `digest` from `offset` (request/reply on
    `wb.pkg.<w>`; answered `_packages.OK` + bytes, or `_packages.FAILED` + why)."""

    digest: str
    offset: int


@_declare(FROM_WORKER, "beat")
@dataclass(frozen=True, slots=True)
class Beat(Message):
    """A worker is alive: its name, the runs it has in progress and how many it takes at
    once (interactive and batch together), and its sandbox processes alive."""

    worker: str
    runs: int
    capacity: int
    processes: int


@_declare(FROM_WORKER, "bye")
@dataclass(frozen=True, slots=True)
class Bye(Message):
    """A worker is stopping (its runs end as killed and report so)."""

    worker: str


def pack(message: Message) -> bytes:
    return wire.pack(message)


def unpack(data: bytes, kinds: dict[str, type[Message]]) -> Message:
    """Raises `_wire.WireError` for anything but one of `kinds`, exactly; a worker's message
    also for more nesting or values than an honest one holds (`_wire.unpack_bounded`)."""
    if kinds is FROM_WORKER:
        return wire.unpack_bounded(data, kinds)
    return wire.unpack(data, kinds)


for _declared in (*TO_WORKER.values(), *FROM_WORKER.values()):
    wire._record(_declared)  # a field the wire cannot carry fails here, at import
