"""Script mode in the real sandbox: top to bottom, output streamed, errors as data."""

from __future__ import annotations

import textwrap
import threading

import pytest

from widgetbox.runtime import Code, Limits, Runtime, Script, Status

pytestmark = pytest.mark.sandbox


def script(source: str, **code: str) -> Script:
    files = {"main.py": textwrap.dedent(source), **code}
    return Script(Code(files=files))


def test_hello(runtime: Runtime) -> None:
    result = runtime.run(script("print('hello')"))
    assert result.status is Status.OK
    assert result.stdout == "hello\n"
    assert result.stderr == ""
    assert result.fuel is not None
    assert result.fuel > 0
    assert result.peak_memory > 0
    assert result.wall_time > 0


def test_runs_as_main_with_argv_cwd_and_no_host_environment(runtime: Runtime) -> None:
    result = runtime.run(
        Script(
            Code.single(
                textwrap.dedent(
                    """
                    import os, sys
                    print(__name__, sys.argv, os.getcwd(), sorted(os.environ))
                    print(__file__)
                    """
                )
            ),
            argv=["one", "two"],
        )
    )
    assert result.stdout.splitlines() == [
        "__main__ ['main.py', 'one', 'two'] /tmp ['HOME', 'LANG', 'PYTHONTZPATH', 'TMPDIR']",
        "/widget/main.py",
    ]


def test_stderr_is_kept_apart(runtime: Runtime) -> None:
    result = runtime.run(script("import sys\nprint('out')\nprint('err', file=sys.stderr)"))
    assert (result.stdout, result.stderr) == ("out\n", "err\n")


def test_output_streams_before_the_run_ends(runtime: Runtime) -> None:
    first_line = threading.Event()
    released = threading.Event()
    seen: list[tuple[str, str]] = []

    def on_output(stream: str, text: str) -> None:
        seen.append((stream, text))
        first_line.set()

    def watch() -> None:
        # The script only finishes after the host has seen its first line.
        assert first_line.wait(10)
        released.set()

    runtime.bridge.register("test_script.wait_release", lambda call, data: released.wait(10))
    watcher = threading.Thread(target=watch)
    watcher.start()
    result = runtime.run(
        script(
            """
            from _widgetbox import bridge
            print("first", flush=False)
            assert bridge.call("test_script.wait_release")
            print("second")
            """
        ),
        on_output=on_output,
    )
    watcher.join()
    assert result.status is Status.OK, result.message
    assert seen[0] == ("stdout", "first\n")
    assert result.stdout == "first\nsecond\n"


def test_a_user_error_has_a_trimmed_traceback(runtime: Runtime) -> None:
    result = runtime.run(
        script(
            """
            import helper

            def main():
                helper.explode(0)

            main()
            """,
            **{"helper.py": "def explode(n):\n    return 1 / n\n"},
        )
    )
    assert result.status is Status.ERROR
    error = result.error
    assert error is not None
    assert (error.type, error.message) == ("ZeroDivisionError", "division by zero")
    assert [(f.filename, f.lineno, f.name) for f in error.frames] == [
        ("main.py", 7, "<module>"),
        ("main.py", 5, "main"),
        ("helper.py", 2, "explode"),
    ]
    assert error.frames[-1].line == "return 1 / n"
    assert error.traceback.startswith("Traceback (most recent call last):\n")
    assert error.traceback.endswith("ZeroDivisionError: division by zero\n")
    for hidden in ("/widgetbox", "_widgetbox", "driver", "/usr/local", "/tmp/widgetbox"):
        assert hidden not in error.traceback
    assert result.message == "ZeroDivisionError: division by zero"


def test_errors_inside_the_stdlib_keep_only_the_widgets_frames(runtime: Runtime) -> None:
    result = runtime.run(script("import json\njson.loads('{bad')\n"))
    assert result.error is not None
    assert [f.filename for f in result.error.frames] == ["main.py"]
    assert result.error.type == "JSONDecodeError"


def test_a_syntax_error_points_at_the_line(runtime: Runtime) -> None:
    result = runtime.run(script("x = 1\ny = (\n"))
    assert result.status is Status.ERROR
    assert result.error is not None
    assert result.error.type == "SyntaxError"
    assert result.error.lineno == 2
    assert 'File "main.py", line 2' in result.error.traceback


@pytest.mark.parametrize(
    ("source", "status", "message"),
    [
        ("import sys; sys.exit()", Status.OK, ""),
        ("import sys; sys.exit(0)", Status.OK, ""),
        ("import sys; sys.exit(4)", Status.ERROR, "The code exited with status 4"),
        ("raise SystemExit('bye')", Status.ERROR, "The code exited with status 1"),
        ("import os; os._exit(0)", Status.OK, ""),
        ("import os; os._exit(7)", Status.ERROR, "The code exited with status 7"),
    ],
)
def test_exits(runtime: Runtime, source: str, status: Status, message: str) -> None:
    result = runtime.run(script(source))
    assert (result.status, result.message) == (status, message)


def test_the_compiled_in_packages_import(runtime: Runtime) -> None:
    result = runtime.run(
        script("import numpy as np\nprint(int(np.arange(10).sum()))"),
        limits=Limits.script().with_(timeout=60),
    )
    assert (result.status, result.stdout) == (Status.OK, "45\n")


def test_non_ascii_output_and_source(runtime: Runtime) -> None:
    result = runtime.run(script("print('héllo, wörld ✓')"))
    assert result.stdout == "héllo, wörld ✓\n"
