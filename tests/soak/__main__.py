"""`python -m tests.soak [--short] [scenario ...]` (`just soak`): run the reliability
scenarios against real servers, print each one's figures, write `soak-results/*.json`.

Every scenario is a module here with `run(short: bool) -> list[Figure]`. Figures with a
target carry `met`: the guarantee the scenario checks (zero errors, zero writes lost, ...);
the suite exits non-zero when one is not met. `--short` is the version `just test` runs
(`tests/soak/test_*.py`); without it each scenario runs at full length.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from tests.bench._report import Figure, show, write

SCENARIOS = [
    "sustained",  # steady 100 req/s: zero errors, p99, memory flat
    "overload",  # 3x capacity: refusals with Retry-After, admitted requests on time, recovery
    "sandbox_loss",  # kill -9 a sandbox process: only its runs fail, as killed
    "neighbours",  # spinning scripts and a memory hog beside an HTTP API
    "crash",  # kill -9 the server under writes: integrity ok, no acknowledged write lost
    "disk_full",  # the data folder's file system fills up, then has room again
    "backup_drill",  # backup under load, restore onto a fresh folder, everything works
]
RESULTS = Path(__file__).resolve().parents[2] / "soak-results"


def unmet(figures: list[Figure]) -> list[Figure]:
    """The figures whose guarantee was not met."""
    return [figure for figure in figures if figure.met is False]


def main() -> int:
    parser = argparse.ArgumentParser(prog="just soak", description=__doc__)
    parser.add_argument("scenarios", nargs="*", choices=[*SCENARIOS, []], help="default: all")
    parser.add_argument("--short", action="store_true", help="the short version (as in CI)")
    args = parser.parse_args()
    failed: list[str] = []
    for name in args.scenarios or SCENARIOS:
        module = importlib.import_module(f"tests.soak.{name}")
        figures = module.run(short=args.short)
        show(name, figures)
        print(f"written: {write(RESULTS, name, figures)}")
        failed += [f"{name}: {figure.name}" for figure in unmet(figures)]
    if failed:
        print("\nguarantees not met:\n  " + "\n  ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
