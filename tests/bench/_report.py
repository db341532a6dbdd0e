"""Measurements, the printed table and the JSON file."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[2] / "bench-results"


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline: str = ""
    """What `ratio` compares against (measured in the same run)."""
    baseline_value: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""
    ratio: float | None = field(default=None)

    def __post_init__(self) -> None:
        if self.baseline_value:
            self.ratio = self.value / self.baseline_value


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def show(group: str, figures: list[Figure]) -> None:
    print(f"\n== {group} " + "=" * max(0, 88 - len(group)))
    header = f"{'figure':52} {'value':>12} {'ratio':>8}  {'target':16} met"
    print(header)
    print("-" * len(header))
    for f in figures:
        value = f"{f.value:,.2f} {f.unit}"
        ratio = f"{f.ratio:.2f}x" if f.ratio is not None else ""
        met = {True: "yes", False: "NO", None: ""}[f.met]
        print(f"{f.name:52} {value:>12} {ratio:>8}  {f.target:16} {met}")
        if f.baseline:
            print(f"{'':4}ratio against: {f.baseline}")
        if f.note:
            print(f"{'':4}{f.note}")


def save(group: str, figures: list[Figure]) -> Path:
    return write(RESULTS, group, figures)


def write(folder: Path, group: str, figures: list[Figure]) -> Path:
    """The figures as `folder/<group>.json`, with when and where they were measured."""
    folder.mkdir(exist_ok=True)
    path = folder / f"{group}.json"
    record = {
        "group": group,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "figures": [asdict(f) for f in figures],
    }
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path
