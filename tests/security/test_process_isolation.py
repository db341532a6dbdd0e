"""The processes that run guests import only Widgetbox's own code: started in isolated mode
(-I) from a private folder, they never import a stray module from where `widgetbox` was
started (the `widgetbox` command itself has its own folder first on sys.path)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.security

WIDGETBOX = Path(sys.executable).parent / "widgetbox"  # the console script, as people run it
TRAP = 'open(__file__ + ".imported", "w").close()\nraise SystemExit("a stray module ran")\n'
STRAY = ("zlib.py", "json.py", "socket.py", "threading.py", "wasmtime.py")


def test_a_stray_module_beside_the_working_directory_is_never_imported(tmp_path: Path) -> None:
    for name in STRAY:
        (tmp_path / name).write_text(TRAP)
    (tmp_path / "hello.py").write_text("print('hello')\n")
    done = subprocess.run(
        [str(WIDGETBOX), "run", "hello.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    imported = sorted(path.name for path in tmp_path.glob("*.imported"))
    assert imported == []
    assert (done.returncode, done.stdout) == (0, "hello\n"), done.stderr
