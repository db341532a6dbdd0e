"""Run the fuzz targets: `python -m tests.fuzz [--minutes N] [--seed S] [target ...]`.

Each target runs for its share of the time budget, as a series of hypothesis runs of
`Target.chunk` examples, each with its own seed derived from the run's seed (the first run's
seed is the run's seed itself), hypothesis' example database off. A failure prints its
minimal example and the seed that replays it (`--seed <seed> <target>` runs that series
first). Exits 1 when any target broke its contract.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import logging
import secrets
import sys
import textwrap
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as with_seed
from hypothesis.errors import HypothesisWarning

from tests.fuzz import contract, targets
from tests.fuzz.contract import Check, ContractError, Target

DEFAULT_MINUTES = 6.0
MAX_DISTINCT = 5
"""Distinct failures (by rule) collected per target before it stops."""
NOTE_CHARACTERS = 3000


@dataclass
class Failure:
    rule: str
    detail: str
    example: str
    seed: int


@dataclass
class Tally:
    examples: int = 0
    runs: int = 0
    seconds: float = 0.0
    failures: dict[str, Failure] = field(default_factory=dict)


def series_seed(seed: int, index: int) -> int:
    """The seed of a target's `index`th hypothesis run: the run's own seed first."""
    return (
        seed if index == 0 else (seed * 6364136223846793005 + index * 1442695040888963407) % (2**63)
    )


def one_run(target: Target, check: Check, seed: int, counter: list[int]) -> BaseException | None:
    """One hypothesis run of the target's examples with `seed`: None, or its minimal failure."""
    phases = (Phase.generate, Phase.target) + ((Phase.shrink,) if target.shrink else ())

    @settings(
        max_examples=target.chunk,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        phases=phases,
        report_multiple_bugs=False,
        verbosity=Verbosity.normal,  # quiet would not note the falsifying example
        print_blob=False,
    )
    @given(case=target.strategy)
    def body(case: Any) -> None:
        counter[0] += 1
        check(case)

    try:
        with_seed(seed)(body)()
    except Exception as e:
        return e
    return None


def example_of(error: BaseException) -> str:
    notes = "\n".join(getattr(error, "__notes__", []))
    if len(notes) > NOTE_CHARACTERS:
        notes = notes[:NOTE_CHARACTERS] + f"\n... ({len(notes):,} characters in all)"
    return notes or "(no example recorded)"


def fuzz(target: Target, seed: int, seconds: float, say: Callable[[str], None]) -> Tally:
    tally = Tally()
    with target.session() as raw_check:
        check = contract.checked(raw_check)
        started = time.monotonic()
        index = 0
        while time.monotonic() - started < seconds and len(tally.failures) < MAX_DISTINCT:
            counter = [0]
            run_seed = series_seed(seed, index)
            error = one_run(target, check, run_seed, counter)
            tally.examples += counter[0]
            tally.runs += 1
            index += 1
            if error is None:
                continue
            rule = error.rule if isinstance(error, ContractError) else type(error).__name__
            if rule not in tally.failures:
                detail = str(error)
                tally.failures[rule] = Failure(rule, detail, example_of(error), run_seed)
                say(f"  {target.name}: FAILED {detail[:300]}")
        tally.seconds = time.monotonic() - started
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--minutes", type=float, default=DEFAULT_MINUTES, help="time budget")
    parser.add_argument("--seed", type=int, default=None, help="replay a run (printed at start)")
    parser.add_argument("--list", action="store_true", help="print each target's contract")
    parser.add_argument("targets", nargs="*", help=f"of {', '.join(targets.TARGETS)} (all)")
    args = parser.parse_args(argv)
    if args.list:
        for target in targets.TARGETS.values():
            print(f"{target.name}:\n{textwrap.indent(inspect.cleandoc(target.contract), '    ')}\n")
        return 0
    unknown = [name for name in args.targets if name not in targets.TARGETS]
    if unknown:
        parser.error(f"no target named {', '.join(unknown)}")
    chosen = [targets.TARGETS[name] for name in args.targets or targets.TARGETS]
    seed = args.seed if args.seed is not None else secrets.randbits(63)
    # Handlers log what they refuse; a fuzzer makes them refuse a lot.
    logging.basicConfig(handlers=[logging.NullHandler()], force=True)
    # hypothesis builds reprs of strategies when it cannot invert a value; ours are long
    warnings.filterwarnings("ignore", "Generating overly large repr", HypothesisWarning)
    contract.WATCHDOG = True

    def say(text: str) -> None:
        print(text, flush=True)

    weights = sum(target.weight for target in chosen)
    say(f"fuzz: seed {seed}, {args.minutes:g} minutes, targets {', '.join(t.name for t in chosen)}")
    say(f"      (replay: python -m tests.fuzz --seed {seed} ...)")
    tallies: dict[str, Tally] = {}
    for target in chosen:
        seconds = 60 * args.minutes * target.weight / weights
        say(f"{target.name}: {seconds:.0f} s")
        tallies[target.name] = fuzz(target, seed, seconds, say)
    say("")
    say(f"{'target':<10} {'examples':>10} {'runs':>6} {'seconds':>8}  failures")
    for name, tally in tallies.items():
        say(
            f"{name:<10} {tally.examples:>10,} {tally.runs:>6} {tally.seconds:>8.1f}  "
            f"{len(tally.failures)}"
        )
    failed = False
    for name, tally in tallies.items():
        for failure in tally.failures.values():
            failed = True
            say("")
            say(f"FAILED {name}: {failure.detail}")
            say(f"replay: python -m tests.fuzz --seed {failure.seed} {name}")
            say(failure.example)
    say("")
    say(f"fuzz: {'FAILED' if failed else 'all contracts held'} (seed {seed})")
    return 1 if failed else 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
