"""Fuzzing the bridge: the door's frame parsing, the guest's result reports, the wire
protocol between the runtime and its sandbox processes, the host's bridge handlers, and all
of it end to end through a real sandbox.

`targets.py` states each target's contract (what it may return, the only exceptions it may
raise, a bound on its time per input) and checks it; `strategies.py` generates the hostile
inputs with hypothesis. `python -m tests.fuzz` (`just fuzz`) runs every target for its
share of a time budget with a printed seed; `test_fuzz.py` is the short, fixed-seed version
that `just test` runs.
"""
