"""How far an install has come, as the IDE shows it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Phase = Literal["queued", "resolving", "downloading", "installing", "done", "failed"]


@dataclass(frozen=True)
class Progress:
    phase: Phase
    message: str = ""
    """What is happening (`reading attrs 26.1.0`), or why it failed."""
    done: int = 0
    """Files downloaded so far (downloading)."""
    total: int = 0
    """Files to download (downloading)."""
    bytes: int = 0
    """Bytes downloaded so far, by the whole install."""
    total_bytes: int | None = None
    """Bytes the files to download add up to, when the index says (PEP 700)."""


OnProgress = Callable[[Progress], None]
"""Receives every change; called on the install's thread, so it must be quick."""
