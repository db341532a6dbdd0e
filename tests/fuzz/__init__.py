"""Fuzzing the host's doors: the bridge's frame parsing, the guest's result reports, the wire
protocol between the runtime and its sandbox processes, every host handler registered on the
runtime's bridge, all of the bridge end to end through a real sandbox, the GUI's server-call
door, and what the host reads of a widget's packages.

`contract.py` holds what every target shares (`ContractError`, `within`, `checked`, `Target`);
each target states its contract (what it may return, the only exceptions it may raise, a bound
on its time per input) with its check: the bridge's own targets in `targets.py` (which also
lists every target, `TARGETS`), the host handlers' in `handlers.py`, the GUI door's in
`gui.py`, packages' in `packages.py`. Hostile inputs are hypothesis strategies: the bridge's in
`strategies.py`, the handlers' in `handler_cases.py`, the others beside their checks.
`python -m tests.fuzz` (`just fuzz`) runs every target for its share of a time budget with a
printed seed; `test_fuzz.py` is the short, fixed-seed version that `just test` runs.
"""
