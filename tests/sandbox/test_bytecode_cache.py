"""Each version of a widget's files is compiled once, in the background, and reused."""

from __future__ import annotations

import threading
import time

import pytest

from widgetbox.runtime import Cancel, Code, HttpRequest, Limits, Route, Runtime, Script, Status

pytestmark = pytest.mark.sandbox


def big_module(answer: str) -> str:
    routes = "".join(
        f'\n@anvil.server.route("/r{i}")\ndef r{i}(**q):\n'
        f'    total = sum(j * {i} for j in range(3))\n    return {{"total": total}}\n'
        for i in range(40)
    )
    root = f'@anvil.server.route("/")\ndef root():\n    return "{answer}"\n'
    return f"import anvil.server\n\n{root}{routes}"


def wait_until_cached(runtime: Runtime, code: Code) -> None:
    deadline = time.monotonic() + 30
    while not runtime._bundles.bytecode.lookup(code):
        assert time.monotonic() < deadline, "the compile job never finished"
        time.sleep(0.05)


def test_later_runs_load_bytecode_instead_of_compiling(runtime: Runtime) -> None:
    code = Code.single(big_module("one"))
    job = Route(code, HttpRequest("GET", "/"))
    first = runtime.run(job)
    wait_until_cached(runtime, code)
    later = runtime.run(job)
    assert first.response is not None
    assert later.response is not None
    assert first.response.body == later.response.body == b"one"
    assert first.fuel is not None
    assert later.fuel is not None
    assert later.fuel < first.fuel / 2  # compiling was most of the first run's work


def test_a_changed_file_is_never_served_stale_bytecode(runtime: Runtime) -> None:
    old = Code.single(big_module("old"))
    runtime.run(Route(old, HttpRequest("GET", "/")))
    wait_until_cached(runtime, old)
    new = Code.single(big_module("new"))
    response = runtime.run(Route(new, HttpRequest("GET", "/"))).response
    assert response is not None
    assert response.body == b"new"


def test_tracebacks_from_bytecode_still_show_the_source(runtime: Runtime) -> None:
    code = Code(
        files={
            "main.py": "import helper\nhelper.fail()\n",
            "helper.py": "def fail():\n    raise ValueError('from bytecode')\n",
        }
    )
    runtime.run(Script(code))
    wait_until_cached(runtime, code)
    result = runtime.run(Script(code))
    assert result.error is not None
    assert [(f.filename, f.line) for f in result.error.frames] == [
        ("main.py", "helper.fail()"),
        ("helper.py", "raise ValueError('from bytecode')"),
    ]


def test_a_file_with_a_syntax_error_is_still_reported(runtime: Runtime) -> None:
    code = Code(files={"main.py": "import broken\n", "broken.py": "def f(:\n"})
    runtime.run(Script(code))
    wait_until_cached(runtime, code)  # main.py compiles; broken.py is remembered as broken
    result = runtime.run(Script(code))
    assert not runtime._bundles.bytecode._pending  # nothing is compiled again
    assert result.status is Status.ERROR
    assert result.error is not None
    assert result.error.type == "SyntaxError"
    assert result.error.frames[-1].filename == "broken.py"


def test_compiling_is_not_starved_by_a_steady_load_of_requests() -> None:
    """Scripts give way to executing requests; the compile job must not, or under a steady
    load every request would go on compiling what it exists to compile once."""
    with Runtime(pool_size=1, processes=1) as runtime:
        spin = Route(
            Code.single(
                'import anvil.server\n@anvil.server.route("/")\ndef spin():\n    while True: pass\n'
            ),
            HttpRequest("GET", "/"),
        )
        cancel = Cancel()
        spinning = threading.Thread(
            target=runtime.run,
            args=(spin,),
            kwargs={"cancel": cancel, "limits": Limits.request().with_(timeout=30.0)},
        )
        spinning.start()
        try:
            time.sleep(0.5)  # a request's guest is executing from now on
            code = Code.single(big_module("compiled under load"))
            started = time.monotonic()
            wait_until_cached(runtime, code)
            assert time.monotonic() - started < 15
        finally:
            cancel.set()
            spinning.join(10)
