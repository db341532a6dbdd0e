"""`python -m tests.bench [group ...]`: run benchmark groups, print tables, write JSON."""

from __future__ import annotations

import argparse
import importlib
import sys

from ._report import save, show

GROUPS = [
    "runtime", "host", "execution", "packages", "outbound", "browser", "gui", "tables", "users",
    "scaleout", "classroom",
]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(prog="just bench", description=__doc__)
    parser.add_argument("groups", nargs="*", choices=[*GROUPS, []], help="default: all")
    parser.add_argument("--quick", action="store_true", help="fewer samples (smoke run)")
    args = parser.parse_args()
    for group in args.groups or GROUPS:
        module = importlib.import_module(f"tests.bench.{group}")
        figures = module.run(quick=args.quick)
        show(group, figures)
        print(f"written: {save(group, figures)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
