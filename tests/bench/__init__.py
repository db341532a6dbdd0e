"""Benchmarks: `just bench [group ...]`. Each group reports figures with baselines measured
in the same run; nothing here is a pass/fail test."""
