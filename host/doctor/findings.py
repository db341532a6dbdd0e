"""What a check found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "warn", "fail"]
OK: Status = "ok"
WARN: Status = "warn"
"""Works, but not as it should for others (a loose permission, little room left)."""
FAIL: Status = "fail"
"""Widgetbox cannot work as set up; `widgetbox doctor` exits with status 1."""


@dataclass(frozen=True)
class Finding:
    check: str
    """What was checked, in a word or two ("interpreter", "apps DNS")."""
    status: Status
    message: str
    fix: str = ""
    """What to do about it (empty when nothing needs doing)."""
