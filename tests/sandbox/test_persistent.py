"""Persistent mode: calls and routes of one widget version reuse a warm interpreter kept by
their sandbox process (`runtime/_warm.py`), with its module state, until it is recycled."""

from __future__ import annotations

import json
import textwrap
import time
from collections.abc import Iterator
from typing import Any

import pytest

from widgetbox.runtime import (
    Call,
    Code,
    HostCall,
    HttpRequest,
    Limits,
    Persistent,
    Recycle,
    Route,
    RunResult,
    Runtime,
    Status,
)
from widgetbox.runtime._guest import SERVE_FILE

pytestmark = pytest.mark.sandbox

COUNTER = Code.single(
    textwrap.dedent(
        """
        import errno, os, time
        import anvil.server

        count = 0
        kept = []

        @anvil.server.route("/count")
        def counted(**params):
            global count
            count += 1
            if params.get("grow"):
                kept.append(bytearray(int(params["grow"]) * 1024 * 1024))
            if params.get("fail"):
                raise ValueError("a widget's own error")
            if params.get("sleep"):
                time.sleep(float(params["sleep"]))
            if params.get("exit"):
                os._exit(3)
            return {"count": count, "pid": os.getpid()}

        @anvil.server.route("/scratch")
        def scratch(**params):
            if "write" in params:
                with open("/tmp/note.txt", "w") as f:
                    f.write(params["write"])
            try:
                with open("/tmp/note.txt") as f:
                    return f.read()
            except FileNotFoundError:
                return "none"

        handles = []

        @anvil.server.route("/open")
        def open_some(**params):
            try:
                for n in range(int(params["n"])):
                    handles.append(open(f"/tmp/{len(handles)}.txt", "w"))
            except OSError as e:
                return f"refused after {len(handles)}: {errno.errorcode[e.errno]}"
            return f"{len(handles)} open"

        @anvil.server.route("/fill")
        def fill(**params):
            name = f"/tmp/fill-{len(os.listdir('/tmp'))}"
            try:
                with open(name, "wb") as f:
                    f.write(b"x" * int(params["mib"]) * 1024 * 1024)
            except OSError as e:
                return f"refused: {errno.errorcode[e.errno]}"
            return "written"

        @anvil.server.route("/caches")
        def caches(**params):
            import anvil.tables, anvil.users
            found = {
                "user": anvil.users._cached is not anvil.users._NOT_SET,
                "session": anvil.server.session._data is not None,
                "tables": anvil.tables.app_tables._tables is not None,
            }
            # what a visitor's run would leave: their user, their session, the tables
            anvil.users._cached = {"email": "first@example.com"}
            anvil.server.session._data = {"cart": ["theirs"]}
            object.__setattr__(anvil.tables.app_tables, "_tables", {})
            return found

        @anvil.server.route("/cwd")
        def cwd(**params):
            found = os.getcwd()
            if "to" in params:
                if not os.path.isdir(params["to"]):
                    os.mkdir(params["to"])
                os.chdir(params["to"])
            return found

        @anvil.server.route("/who")
        def who(**params):
            return anvil.server.context.client.ip

        @anvil.server.callable
        def called():
            global count
            count += 1
            return count
        """
    )
)


@pytest.fixture(scope="module")
def runtime() -> Iterator[Runtime]:
    """One sandbox process for requests, so every run meets the same kept interpreter."""
    with Runtime(pool_size=1, processes=1, workers=2) as rt:

        def context(call: HostCall, data: Any) -> Any:
            if data.get("op") == "save":  # a route saves the session it changed
                return None
            if data.get("op") != "context":
                raise ValueError("only the call context and saves are answered here")
            client = {"type": "http", "ip": call.context["visitor"], "location": None}
            return {"type": "http", "client": client, "remote_caller": None}

        rt.bridge.register("session", context)
        yield rt


def keep(key: str = "w1", version: str = "1", **rules: Any) -> Persistent:
    return Persistent(key, version, Recycle(**rules))


def route(
    runtime: Runtime,
    persistent: Persistent | None,
    path: str = "/count",
    code: Code = COUNTER,
    limits: Limits | None = None,
    visitor: str = "",
    **query: str,
) -> RunResult:
    job = Route(code, HttpRequest("GET", path, query=query), persistent=persistent)
    return runtime.run(job, limits=limits, context={"visitor": visitor})


def answer(runtime: Runtime, persistent: Persistent, path: str, **query: str) -> bytes:
    """The body of the route at `path`, which must answer."""
    result = route(runtime, persistent, path, **query)
    assert result.status is Status.OK, result.message
    assert result.response is not None
    return result.response.body


def count(result: RunResult) -> int:
    assert result.status is Status.OK, result.message + result.stderr
    assert result.response is not None
    return int(json.loads(result.response.body)["count"])


CALLERS = Code.single(
    textwrap.dedent(
        """
        import sys
        import anvil.server

        @anvil.server.route("/callers")
        def callers(**params):
            frame, files = sys._getframe(), []
            while frame is not None:
                files.append(frame.f_code.co_filename)
                frame = frame.f_back
            return files
        """
    )
)


@pytest.mark.parametrize("kept", [False, True], ids=["fresh", "kept"])
def test_the_serve_turn_is_compiled_once_not_each_run(runtime: Runtime, kept: bool) -> None:
    """Every run's turn runs code the warm-up compiled (`_guest._KNOWN_TURNS`): parsing
    and compiling its text each time was a fifth of a fresh hello route's fuel."""
    persistent = keep("callers") if kept else None
    for _ in range(2):
        result = route(runtime, persistent, "/callers", CALLERS)
        assert result.response is not None, result.message
        files = json.loads(result.response.body)
        # the interpreter names a turn's code compiled from its text "<turn N>"
        assert SERVE_FILE in files


def test_fresh_by_default(runtime: Runtime) -> None:
    assert [count(route(runtime, None)) for _ in range(3)] == [1, 1, 1]


def test_state_is_kept_between_requests(runtime: Runtime) -> None:
    persistent = keep("kept")
    assert [count(route(runtime, persistent)) for _ in range(3)] == [1, 2, 3]


def test_calls_share_the_routes_interpreter(runtime: Runtime) -> None:
    persistent = keep("calls")
    assert count(route(runtime, persistent)) == 1
    called = runtime.run(Call(COUNTER, "called", persistent=persistent))
    assert called.status is Status.OK
    assert called.value == 2


def test_recycled_after_its_runs(runtime: Runtime) -> None:
    persistent = keep("recycled", runs=2)
    assert [count(route(runtime, persistent)) for _ in range(5)] == [1, 2, 1, 2, 1]


def test_a_new_version_gets_a_fresh_interpreter(runtime: Runtime) -> None:
    old, new = keep("versions", "1"), keep("versions", "2")
    assert [count(route(runtime, old)) for _ in range(2)] == [1, 2]
    assert count(route(runtime, new)) == 1
    assert count(route(runtime, old)) == 1  # the old version's was discarded


def test_other_files_never_meet_a_kept_interpreter(runtime: Runtime) -> None:
    persistent = keep("files")
    assert count(route(runtime, persistent)) == 1
    edited = Code.single(COUNTER.files["main.py"] + "\n# edited\n")
    assert count(route(runtime, persistent, code=edited)) == 1


def test_two_widgets_never_share(runtime: Runtime) -> None:
    first, second = keep("widget-a"), keep("widget-b")
    results = [count(route(runtime, p)) for p in (first, second, first, second, first)]
    assert results == [1, 1, 2, 2, 3]


def test_a_timeout_discards_the_interpreter(runtime: Runtime) -> None:
    persistent = keep("timeout")
    assert [count(route(runtime, persistent)) for _ in range(2)] == [1, 2]
    slow = route(runtime, persistent, limits=Limits(timeout=0.5), sleep="5")
    assert slow.status is Status.TIMEOUT
    assert count(route(runtime, persistent)) == 1


def test_an_exit_discards_the_interpreter(runtime: Runtime) -> None:
    persistent = keep("exit")
    assert count(route(runtime, persistent)) == 1
    assert route(runtime, persistent, exit="1").status is Status.ERROR
    assert count(route(runtime, persistent)) == 1


def test_the_widgets_own_error_keeps_it(runtime: Runtime) -> None:
    persistent = keep("errors")
    assert count(route(runtime, persistent)) == 1
    failed = route(runtime, persistent, fail="1")
    assert failed.status is Status.ERROR
    assert failed.error is not None
    assert failed.error.type == "ValueError"
    assert count(route(runtime, persistent)) == 3  # the failed run counted too


def test_recycled_when_its_memory_grows(runtime: Runtime) -> None:
    roomy = keep("memory-roomy", memory_growth=256 * 1024 * 1024)
    assert [count(route(runtime, roomy, grow="3")) for _ in range(6)] == [1, 2, 3, 4, 5, 6]
    tight = keep("memory-tight", memory_growth=8 * 1024 * 1024)
    counts = [count(route(runtime, tight, grow="3")) for _ in range(6)]
    assert counts[0] == 1
    assert 1 in counts[1:], counts  # 18 MiB in all: recycled once


def test_recycled_after_idle_time(runtime: Runtime) -> None:
    persistent = keep("idle", idle=0.3)
    assert [count(route(runtime, persistent)) for _ in range(2)] == [1, 2]
    time.sleep(1.0)
    assert count(route(runtime, persistent)) == 1


def test_scratch_files_are_kept_with_the_interpreter(runtime: Runtime) -> None:
    persistent = keep("scratch")
    assert answer(runtime, persistent, "/scratch", write="first") == b"first"
    assert answer(runtime, persistent, "/scratch") == b"first"
    assert route(runtime, None, "/scratch").response.body == b"none"  # type: ignore[union-attr]


def test_every_request_starts_in_the_scratch_folder(runtime: Runtime) -> None:
    """A request that changed the working folder leaves the next one where every run
    starts (the driver changes it back only when it differs)."""
    persistent = keep("cwd")
    assert answer(runtime, persistent, "/cwd", to="/widget") == b"/tmp"
    assert answer(runtime, persistent, "/cwd", to="/tmp/below") == b"/tmp"
    assert answer(runtime, persistent, "/cwd") == b"/tmp"


def test_one_visitors_call_context_never_reaches_the_next(runtime: Runtime) -> None:
    persistent = keep("visitors")
    for visitor in ("10.0.0.1", "10.0.0.2"):
        result = route(runtime, persistent, "/who", visitor=visitor)
        assert result.status is Status.OK, result.message + result.stderr
        assert result.response is not None
        assert result.response.body == visitor.encode()


def test_limits_apply_to_each_request(runtime: Runtime) -> None:
    persistent = keep("limits")
    for _ in range(3):  # each run has its own second; together they take longer
        assert count(route(runtime, persistent, limits=Limits(timeout=1.0), sleep="0.4")) > 0


def test_open_files_count_for_the_interpreter_not_each_request(runtime: Runtime) -> None:
    persistent = keep("open-files")
    limits = Limits.request().with_(open_files=10)
    first = route(runtime, persistent, "/open", limits=limits, n="6")
    assert first.response is not None
    assert first.response.body == b"6 open"
    second = route(runtime, persistent, "/open", limits=limits, n="6")
    assert second.response is not None
    assert second.response.body == b"refused after 10: EMFILE"


def test_the_scratch_quota_counts_what_earlier_requests_left(runtime: Runtime) -> None:
    persistent = keep("scratch-quota")
    limits = Limits.request().with_(scratch_bytes=8 * 1024 * 1024)
    answers = [route(runtime, persistent, "/fill", limits=limits, mib="3") for _ in range(3)]
    bodies = [a.response.body if a.response else a.message for a in answers]
    assert bodies == [b"written", b"written", b"refused: ENOSPC"], bodies


def test_the_guest_packages_caches_start_empty_in_every_request(runtime: Runtime) -> None:
    persistent = keep("caches")
    for _ in range(2):
        result = route(runtime, persistent, "/caches")
        assert result.status is Status.OK, result.message + result.stderr
        assert result.response is not None
        assert json.loads(result.response.body) == {
            "user": False,
            "session": False,
            "tables": False,
        }
    assert count(route(runtime, persistent)) == 1  # the same interpreter: it kept the module
