"""What a version changed: each file added, removed or changed since the version before,
with the lines added and removed, counted as the diffs (`records.diff`) show them.

Pure (difflib only): the migration that counted the versions saved before it uses it too."""

from __future__ import annotations

import difflib
from collections import Counter
from typing import Any

MATCHED_PAIRS = 4_000_000
"""Beyond this many line pairs (2,000 lines against 2,000) the matcher, quadratic at worst,
gives way to counting lines as multisets, which is linear: a save (in the database's write
transaction) never waits on a hostile file."""


def line_counts(before: str, after: str) -> tuple[int, int]:
    """(lines added, lines removed) from `before` to `after`, by the matcher that
    `difflib.unified_diff` uses, so the counts agree with the diff's + and - lines; for
    files too large to match in bounded time, the lines only one side has (as multisets)."""
    a, b = before.splitlines(), after.splitlines()
    if len(a) * len(b) > MATCHED_PAIRS:
        old, new = Counter(a), Counter(b)
        return sum((new - old).values()), sum((old - new).values())
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b).get_opcodes():
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    return added, removed


def file_changes(before: dict[str, str], after: dict[str, str]) -> list[dict[str, Any]]:
    """The files that differ from `before` to `after`, by path: `{"path", "status"
    ("added", "removed" or "changed"), "added", "removed"}` (line counts)."""
    changes = []
    for path in sorted(before.keys() | after.keys()):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        status = "added" if old is None else "removed" if new is None else "changed"
        added, removed = line_counts(old or "", new or "")
        changes.append({"path": path, "status": status, "added": added, "removed": removed})
    return changes
