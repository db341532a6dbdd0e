"""Fuel as people read it: an estimate of CPU time.

Fuel is wasmtime's count of the work a run's WebAssembly did (about one unit per
instruction): exact and the same on every machine, but a number no one has a feel for. The
IDE shows it as the CPU time it takes on the machine it was measured on, with the count
itself in a tooltip. The factor comes from `just bench runtime` ("fuel per CPU
millisecond"): a loop of what widgets' code does (strings, dicts, lists, JSON, a regular
expression, a sort, function calls) spent 6.4-6.5 M per millisecond of CPU on this
machine's 2 cores on 2026-12-05, plain arithmetic 8.4-9.0 M. It estimates the guest's own
CPU time: the host's work for the run (its bridge calls: HTTP, Data Tables, ...) is not
counted in fuel, so a run that waits on those takes longer than its estimate.

A run stopped mid-computation (its deadline, a cancel) has no count: wasmtime's counter is
stale once an epoch interrupt stops the guest. What a limit charges such a run (`charged`,
and `CHARGED_SQL` for the same rule in a query) is its wall time as if it had computed
throughout: the most it could have used, so a loop that runs until its deadline cannot
slip past a CPU limit.
"""

from __future__ import annotations

FUEL_PER_CPU_MS = 6_500_000
"""Fuel per millisecond of CPU time (the mixed loop, rounded)."""
FUEL_PER_CPU_SECOND = FUEL_PER_CPU_MS * 1000
CHARGED_SQL = (
    f"COALESCE({{table}}.fuel, CAST({{table}}.wall_time * {FUEL_PER_CPU_SECOND} AS INTEGER), 0)"
)
"""`charged` in SQL, for a table's rows with `fuel` and `wall_time` columns (`.format(table=)`);
a run still queued or running (no wall time yet) is charged nothing yet."""


def charged(fuel: int | None, wall_time: float | None) -> int:
    """The fuel a limit charges a run: its count, else its wall time's worth (see above)."""
    if fuel is not None:
        return fuel
    return int((wall_time or 0.0) * FUEL_PER_CPU_SECOND)


def cpu_ms(fuel: int | None) -> float | None:
    """The CPU time, in milliseconds, that `fuel` takes here (None when it is unknown)."""
    return None if fuel is None else fuel / FUEL_PER_CPU_MS
