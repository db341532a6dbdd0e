"""Run mypy (strict) on widgetbox.runtime and widgetbox.host.

The packages live in runtime/ and host/ and are mapped onto `widgetbox.*` by the editable
install's import hook, which mypy cannot see; so mypy is pointed at a tree of symlinks with
the installed layout (.cache/typecheck/widgetbox/{runtime,host}).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    tree = REPO / ".cache" / "typecheck" / "widgetbox"
    tree.mkdir(parents=True, exist_ok=True)
    for name in ("runtime", "host"):
        link = tree / name
        if not link.is_symlink():
            link.symlink_to(REPO / name, target_is_directory=True)
    env = {**os.environ, "MYPYPATH": str(tree.parent)}
    command = [sys.executable, "-m", "mypy", "-p", "widgetbox.runtime", "-p", "widgetbox.host"]
    return subprocess.run(command, cwd=REPO, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
