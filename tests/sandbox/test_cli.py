"""`widgetbox run` and `widgetbox prepare` from a terminal's point of view."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.sandbox

WIDGETBOX = [sys.executable, "-m", "widgetbox.host.cli"]


def widgetbox(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WIDGETBOX, *args], capture_output=True, text=True, timeout=120, check=False, cwd=cwd
    )


@pytest.fixture
def script(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(source: str) -> str:
        path = tmp_path / "job.py"
        path.write_text(source)
        return str(path)

    return write


def test_run_streams_output_and_succeeds(script) -> None:  # type: ignore[no-untyped-def]
    done = widgetbox("run", script("import sys\nprint('out')\nprint('err', file=sys.stderr)"))
    assert done.returncode == 0
    assert done.stdout == "out\n"
    assert done.stderr == "err\n"


@pytest.mark.parametrize(
    ("source", "options", "code", "words"),
    [
        ("1/0", [], 1, "ZeroDivisionError: division by zero"),
        ("while True: pass", ["--timeout", "0.5"], 3, "Server code took too long"),
        ("x = bytearray(300 * 2**20)", ["--memory", "64"], 4, "out of memory"),
    ],
)
def test_run_exit_status_says_how_it_ended(script, source, options, code, words) -> None:  # type: ignore[no-untyped-def]
    done = widgetbox("run", *options, script(source))
    assert done.returncode == code
    assert words in done.stderr


def test_run_json_prints_the_result_record(script) -> None:  # type: ignore[no-untyped-def]
    done = widgetbox("run", "--json", script("print('hi')\nraise ValueError('no')"))
    record = json.loads(done.stdout)
    assert done.returncode == 1
    assert record["status"] == "error"
    assert record["stdout"] == "hi\n"
    assert record["error"]["type"] == "ValueError"
    assert record["error"]["frames"][0]["filename"] == "job.py"
    assert record["fuel"] > 0
    assert record["peak_memory"] > 0
    assert "hi\n" in done.stderr  # the output still streamed, to stderr


def test_prepare_is_idempotent_and_quick_when_ready() -> None:
    done = widgetbox("prepare")
    assert done.returncode == 0
    assert "interpreter ready" in done.stderr
    assert "Compiling" not in done.stderr


def test_bad_arguments_are_explained(script) -> None:  # type: ignore[no-untyped-def]
    assert widgetbox("run", "/no/such/file.py").returncode == 2
    assert widgetbox("run", "--timeout", "-1", script("pass")).returncode == 2
