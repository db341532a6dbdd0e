"""Per-run limits. Every one is enforced by the sandbox; hitting one ends the run or fails
the operation with a clear, typed outcome."""

from __future__ import annotations

from dataclasses import dataclass, replace

MiB = 1024 * 1024

MAX_STREAM_CHUNK = 768 * 1024
"""The largest `Limits.stream_chunk_bytes`: base64-encoded, a chunk fits a 1 MiB frame."""

TOO_LONG = "Server code took too long"
"""Anvil's words for a run stopped by its wall-clock limit."""


@dataclass(frozen=True)
class Limits:
    """What one run may use. `Limits.script()` and `Limits.request()` give the defaults."""

    timeout: float = 300.0
    """Wall-clock seconds, including time spent sleeping and in host calls."""
    memory: int = 256 * MiB
    """Bytes of guest linear memory; beyond it allocations fail with MemoryError."""
    output: int = 2 * MiB
    """Bytes of stdout plus stderr captured; beyond it the output is truncated with a
    marker and the run is stopped."""
    scratch_bytes: int = 64 * MiB
    """Bytes the run may write into its scratch area (cwd and /tmp); beyond it writes fail
    with OSError (ENOSPC)."""
    scratch_files: int = 1000
    """Files, folders and links the run may create in its scratch area."""
    open_files: int = 256
    """Files and folders the run may have open at once; beyond it `open()` fails with
    OSError (EMFILE). Each is a descriptor of the sandbox process, which its other guests
    share."""
    host_calls: int = 200_000
    """Calls through the bridge; the next one fails with a LimitExceeded error. Each call is
    bounded in size and time, and services keep their own budgets (outbound requests, Data
    Tables operations), so this is a backstop: high enough for a script that writes 100,000
    rows one `add_row` at a time, which Anvil code does."""
    host_request_bytes: int = 1 * MiB
    """Largest request frame the guest may send through the bridge."""
    host_response_bytes: int = 8 * MiB
    """Largest answer the host sends back through the bridge."""
    host_call_timeout: float = 10.0
    """Seconds one host call may take (never more than what is left of `timeout`)."""
    stream_chunk_bytes: int = 256 * 1024
    """Largest piece of a streamed HTTP response one chunk may carry (a route's
    `HttpResponse` with an iterator body: each piece it yields is one chunk); a larger one
    is refused with a LimitExceeded error. At most 768 KiB: a chunk crosses the bridge in
    one request frame, base64-encoded."""
    stream_bytes: int = 32 * MiB
    """Bytes a streamed HTTP response may carry in all; the chunk that would pass it is
    refused with a LimitExceeded error."""
    fuel: int | None = None
    """An optional budget of wasm fuel (roughly instructions). Fuel is always counted and
    reported; with a budget the run is stopped when it is spent."""

    @classmethod
    def script(cls) -> Limits:
        """Defaults for scripts and scheduled tasks: five minutes."""
        return cls()

    @classmethod
    def request(cls) -> Limits:
        """Defaults for HTTP routes and server calls: thirty seconds (and a share of host
        calls to match)."""
        return cls(timeout=30.0, host_calls=20_000)

    def with_(self, **changes: object) -> Limits:
        """A copy with some limits changed (validated)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        for name in ("timeout", "host_call_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Limits.{name} must be positive")
        for name in (
            "memory",
            "output",
            "scratch_bytes",
            "scratch_files",
            "open_files",
            "host_calls",
            "host_request_bytes",
            "host_response_bytes",
            "stream_chunk_bytes",
            "stream_bytes",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"Limits.{name} must not be negative")
        if self.stream_chunk_bytes > MAX_STREAM_CHUNK:
            raise ValueError(f"Limits.stream_chunk_bytes may be at most {MAX_STREAM_CHUNK}")
        if self.fuel is not None and self.fuel <= 0:
            raise ValueError("Limits.fuel must be positive or None")
