"""Runs are isolated: nothing one run leaves behind (files, interpreter state, patched
modules) is visible to the next, and runs at the same time cannot see each other."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.security._helpers import run
from widgetbox.runtime import Bridge, Code, Limits, Runtime, Script, Status, _artifacts, _snapshot
from widgetbox.runtime._guest import Guest, Sandbox

pytestmark = pytest.mark.security

POLLUTE = """
import builtins, json, os, sys, types
with open("/tmp/secret", "w") as f:
    f.write("run N was here")
os.makedirs("/tmp/nested/deeper")
os.symlink("secret", "/tmp/link")
builtins.pwned_builtin = "run N"
sys.modules["pwned_module"] = types.ModuleType("pwned_module")
json.dumps = lambda *args, **kwargs: "PATCHED"
os.environ["PWNED_VARIABLE"] = "run N"
sys.path.insert(0, "/tmp")
with open("/tmp/pwned_import.py", "w") as f:
    f.write("VALUE = 'imported from run N'")
sys.setrecursionlimit(50)
import anvil.server
anvil.server.pwned_attribute = "run N"
print("polluted")
"""

INSPECT = """
import builtins, json, os, sys
print(sorted(os.listdir("/tmp")))
print(hasattr(builtins, "pwned_builtin"))
print("pwned_module" in sys.modules)
print(json.dumps({"a": 1}))
print("PWNED_VARIABLE" in os.environ)
print("/tmp" in sys.path)
print(sys.getrecursionlimit() > 50)
import anvil.server
print(hasattr(anvil.server, "pwned_attribute"))
try:
    import pwned_import
    print("imported", pwned_import.VALUE)
except ImportError:
    print("no pwned_import")
"""


def test_the_next_run_sees_nothing_of_the_last(runtime: Runtime) -> None:
    first = run(runtime, POLLUTE, prelude=False)
    assert (first.status, first.stdout) == (Status.OK, "polluted\n"), first.message
    second = run(runtime, INSPECT, prelude=False)
    assert second.status is Status.OK, second.message
    assert second.stdout.splitlines() == [
        "[]",
        "False",
        "False",
        '{"a": 1}',
        "False",
        "False",
        "True",
        "False",
        "no pwned_import",
    ]


def test_a_run_that_failed_leaves_nothing_either(runtime: Runtime) -> None:
    first = run(runtime, POLLUTE + "\nwhile True: pass", Limits.script().with_(timeout=0.5))
    assert first.status is Status.TIMEOUT
    second = run(runtime, INSPECT, prelude=False)
    assert second.status is Status.OK, second.message
    assert second.stdout.splitlines()[:2] == ["[]", "False"]
    assert "no pwned_import" in second.stdout


def test_runs_at_the_same_time_cannot_see_each_other(runtime: Runtime) -> None:
    writer = """
import os, time
with open("/tmp/writer-was-here", "w") as f:
    f.write("secret")
deadline = time.monotonic() + 1.0
while time.monotonic() < deadline and "reader-was-here" not in os.listdir("/tmp"):
    time.sleep(0.01)
print(sorted(os.listdir("/tmp")))
"""
    reader = """
import os, time
with open("/tmp/reader-was-here", "w") as f:
    f.write("secret")
time.sleep(0.3)
print(sorted(os.listdir("/tmp")))
"""
    limits = Limits.script().with_(timeout=5.0)
    with ThreadPoolExecutor(2) as pool:
        jobs = [
            pool.submit(runtime.run, Script(Code.single(source)), limits=limits)
            for source in (writer, reader)
        ]
        results = [job.result() for job in jobs]
    assert [r.status for r in results] == [Status.OK, Status.OK]
    assert results[0].stdout == "['writer-was-here']\n"
    assert results[1].stdout == "['reader-was-here']\n"
    assert results[0].wall_time >= 1.0  # the writer waited in vain for the reader's file


def test_the_widgets_own_files_come_from_this_run_only(runtime: Runtime) -> None:
    first = runtime.run(
        Script(Code(files={"main.py": "print('one')", "helper.py": "X = 1"})),
        limits=Limits.script().with_(timeout=2.0),
    )
    assert first.stdout == "one\n"
    second = run(
        runtime,
        "import os\nprint(sorted(os.listdir('/widget')))\n"
        "try:\n    import helper\nexcept ImportError:\n    print('no helper')",
        prelude=False,
    )
    assert second.stdout == "['main.py']\nno helper\n"


@pytest.mark.parametrize(
    "path", ["../escape.py", "/etc/cron.d/x.py", "a/../../b.py", "./main.py", "a\\b.py", "x\0.py"]
)
def test_a_widgets_file_names_cannot_leave_its_folder(path: str) -> None:
    with pytest.raises(ValueError, match="bad file path"):
        Code(files={"main.py": "", path: ""})


LEAVE_NOTHING = """
import os
with open("/tmp/passing", "w") as f:
    f.write("gone before the run ends")
os.remove("/tmp/passing")
print(sorted(os.listdir("/widget")))
"""

LEAVE_A_FILE = """
with open("/tmp/left", "w") as f:
    f.write("left behind")
"""

LOOK = """
import os
print(sorted(os.listdir("/widget")), sorted(os.listdir("/tmp")), open("/widget/main.py").read())
"""


def test_a_guests_folders_reach_the_next_guest_only_empty(tmp_path: Path) -> None:
    """A closed guest's folders are handed to the next guest (`runtime/_folders.py`) only
    when its scratch area is empty, and the code folder then holds the next run's files
    alone: the next guest finds none of the last one's."""
    sandbox = Sandbox(_snapshot.compiled(_artifacts.locate()), Bridge(), tmp_path)
    try:

        def run_in_guest(files: dict[str, str]) -> tuple[str, object]:
            job = Script(Code(files=files))
            guest = Guest(sandbox)
            folders = guest._folders  # which folders it had: the test is of handing them on
            result = guest.run(job.payload(), files, Limits(timeout=30.0))
            guest.close()
            assert result.status is Status.OK, result.message + result.stderr
            return result.stdout, folders

        out, first = run_in_guest({"main.py": LEAVE_NOTHING, "secret.py": "KEY = 1\n"})
        assert out == "['main.py', 'secret.py']\n"
        out, second = run_in_guest({"main.py": LOOK})
        assert second is first  # handed on: its scratch area was left empty
        assert out == f"['main.py'] [] {LOOK}\n"
        out, third = run_in_guest({"main.py": LEAVE_A_FILE})
        assert third is first
        out, fourth = run_in_guest({"main.py": LOOK})
        assert fourth is not first  # a file was left: those folders were removed
        assert not first.dir.exists()
        assert out == f"['main.py'] [] {LOOK}\n"
    finally:
        sandbox.close_all()
    assert list(tmp_path.glob("guest-*")) == []  # none left behind once the sandbox closes
