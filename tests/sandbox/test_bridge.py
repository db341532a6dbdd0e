"""The bridge from guest code to host handlers, end to end."""

from __future__ import annotations

import textwrap
import threading

import pytest

from widgetbox.runtime import Code, HostCall, HostCallError, Limits, Runtime, Script, Status

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module", autouse=True)
def handlers(runtime: Runtime) -> None:
    bridge = runtime.bridge
    bridge.register(
        "t_bridge.echo", lambda call, data: {"data": data, "widget": call.context.get("widget")}
    )
    bridge.register("t_bridge.big", lambda call, data: "x" * data)

    def refuse(call: HostCall, data: object) -> object:
        raise HostCallError("NotAllowed", "you may not")

    bridge.register("t_bridge.refuse", refuse)
    never = threading.Event()
    bridge.register("t_bridge.slow", lambda call, data: never.wait(call.timeout + 1))


def run(runtime: Runtime, source: str, limits: Limits | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
    job = Script(Code.single(textwrap.dedent(source)))
    return runtime.run(job, limits=limits or Limits.script().with_(timeout=10), **kwargs)  # type: ignore[arg-type]


def test_a_handler_answers_with_the_runs_context(runtime: Runtime) -> None:
    result = run(
        runtime,
        """
        from _widgetbox import bridge
        print(bridge.call("t_bridge.echo", {"n": [1, 2.5, None, "é"]}))
        """,
        context={"widget": "w-42"},
    )
    assert result.stdout == "{'data': {'n': [1, 2.5, None, 'é']}, 'widget': 'w-42'}\n"
    assert result.host_calls == 1


def test_typed_errors_can_be_caught(runtime: Runtime) -> None:
    result = run(
        runtime,
        """
        from _widgetbox import bridge
        for op in ("t_bridge.refuse", "t_bridge.nothing_here"):
            try:
                bridge.call(op)
            except bridge.HostCallError as e:
                print(type(e).__name__, e.kind, e)
        """,
    )
    assert result.stdout.splitlines() == [
        "HostCallError NotAllowed you may not",
        "UnknownOperation UnknownOperation the host has no operation named 't_bridge.nothing_here'",
    ]


def test_each_call_has_its_own_timeout(runtime: Runtime) -> None:
    result = run(
        runtime,
        """
        from _widgetbox import bridge
        try:
            bridge.call("t_bridge.slow")
        except TimeoutError as e:
            print(type(e).__name__)
        """,
        Limits.script().with_(timeout=10, host_call_timeout=0.2),
    )
    assert (result.status, result.stdout) == (Status.OK, "HostTimeout\n")


def test_the_number_of_calls_is_limited(runtime: Runtime) -> None:
    result = run(
        runtime,
        """
        from _widgetbox import bridge
        done = 0
        try:
            while True:
                bridge.call("t_bridge.echo")
                done += 1
        except bridge.LimitExceeded as e:
            print(done, e)
        """,
        Limits.script().with_(host_calls=25),
    )
    assert result.stdout == "25 this run may make at most 25 host calls\n"
    assert result.host_calls == 25


def test_request_and_answer_sizes_are_limited(runtime: Runtime) -> None:
    result = run(
        runtime,
        """
        from _widgetbox import bridge
        try:
            bridge.call("t_bridge.echo", "x" * 5000)
        except bridge.BadRequest as e:
            print("request:", e)
        try:
            bridge.call("t_bridge.big", 9000)
        except bridge.LimitExceeded as e:
            print("answer:", e)
        print(len(bridge.call("t_bridge.big", 100)))
        """,
        Limits.script().with_(host_request_bytes=4096, host_response_bytes=8192),
    )
    lines = result.stdout.splitlines()
    assert lines[0].startswith("request: a request may be at most 4,096 bytes")
    assert lines[1] == "answer: the answer to 't_bridge.big' is larger than 8,192 bytes"
    assert lines[2] == "100"


def test_the_raw_door_refuses_garbage_with_a_typed_answer(runtime: Runtime) -> None:
    result = run(
        runtime,
        """
        import _host, json
        print(json.loads(_host.call(b"\\xff not json"))["error"]["kind"])
        """,
    )
    assert result.stdout == "BadRequest\n"
