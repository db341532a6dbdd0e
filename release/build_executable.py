"""Build the single-file executable from a built wheel: `python release/build_executable.py
WHEEL OUTDIR` writes OUTDIR/widgetbox-linux-x86_64 (`just dist` runs it after the wheel;
tests/release/ runs it too).

It makes a build environment of its own in a temporary folder with the Python that runs it,
installs the wheel there with its `release` extra (PyInstaller, pinned in pyproject.toml),
and runs PyInstaller with release/widgetbox.spec, so the executable carries exactly what
the wheel installs, with this Python. The package index serves the dependencies (pip's
cache makes that quick); PyInstaller takes a minute or two.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SPEC = Path(__file__).resolve().parent / "widgetbox.spec"
NAME = "widgetbox-linux-x86_64"
"""The executable's file name (the spec's `name`)."""


def build(wheel: Path, out: Path) -> Path:
    """The executable built from `wheel`, in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="widgetbox-executable-") as folder:
        work = Path(folder)
        venv = work / "venv"
        _run([sys.executable, "-m", "venv", str(venv)])
        python = str(venv / "bin" / "python")
        _run([python, "-m", "pip", "install", "--quiet", f"{wheel.resolve()}[release]"])
        _run(
            [
                python,
                "-m",
                "PyInstaller",
                "--noconfirm",
                "--log-level=ERROR",
                "--distpath",
                str(work / "dist"),
                "--workpath",
                str(work / "build"),
                str(SPEC),
            ],
            cwd=work,
        )
        target = out / NAME
        shutil.move(work / "dist" / NAME, target)
    return target


def _run(command: list[str], cwd: Path | None = None) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)  # noqa: S603 - our own commands
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-5000:] + done.stderr[-5000:])
        raise SystemExit(f"build_executable: {command[2:4]} failed (exit {done.returncode})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("wheel", type=Path, help="the built widgetbox wheel")
    parser.add_argument("out", type=Path, help="the folder to write the executable into")
    arguments = parser.parse_args()
    print(build(arguments.wheel, arguments.out))


if __name__ == "__main__":
    main()
