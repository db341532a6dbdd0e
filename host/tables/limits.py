"""The limits of Data Tables: one frozen dataclass with the defaults of the design, so the
settings can feed it later (`TableLimits(**from_settings)`) without anything else changing."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1_000_000


@dataclass(frozen=True)
class TableLimits:
    """What one widget's tables, and one run's use of them, may take."""

    storage_bytes: int = 100 * MB
    """Bytes a widget's tables file may hold (used pages times the page size, measured after
    each write); a write that would pass it is undone and raises QuotaExceeded."""
    page_rows: int = 100
    """Rows in a page of `search` results when the code does not ask for a size."""
    max_page_rows: int = 1000
    """Most rows one page may hold (a larger `page_size` is lowered to this)."""
    op_seconds: float = 10.0
    """Seconds one operation may take (never more than its bridge call has left)."""
    ops_per_run: int = 100_000
    """Operations one run may make."""
    lock_wait: float = 2.0
    """Seconds a write waits for another run's transaction before TransactionConflict."""
    transaction_seconds: float = 60.0
    """Seconds a transaction may stay open; after that a writer that waits may end it (rolled
    back), and its run's next operation raises TableError."""
    open_files: int = 64
    """Widgets' tables files kept open at once (least recently used closed first)."""

    def __post_init__(self) -> None:
        for name in ("op_seconds", "lock_wait", "transaction_seconds"):
            if not getattr(self, name) > 0:
                raise ValueError(f"TableLimits.{name} must be positive")
        for name in ("storage_bytes", "page_rows", "max_page_rows", "ops_per_run", "open_files"):
            if getattr(self, name) < 1:
                raise ValueError(f"TableLimits.{name} must be at least 1")
        if self.page_rows > self.max_page_rows:
            raise ValueError("TableLimits.page_rows must not exceed max_page_rows")


def size_text(count: float) -> str:
    """Bytes as people read them: 100 MB, 1.5 MB, 12 kB (decimal units)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{int(count)} bytes"
