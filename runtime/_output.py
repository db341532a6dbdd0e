"""A run's captured stdout and stderr: decoded as it arrives, streamed, and capped."""

from __future__ import annotations

import codecs
import logging
from collections.abc import Callable

log = logging.getLogger("widgetbox.runtime")

OutputCallback = Callable[[str, str], None]
"""Receives (stream, text) as the guest writes; stream is "stdout" or "stderr"."""

STDOUT, STDERR = 1, 2


class Output:
    """Collects what the guest prints, up to `cap` bytes across both streams."""

    def __init__(self, cap: int, on_output: OutputCallback | None = None) -> None:
        self.cap = cap
        self.used = 0
        self.truncated = False
        self._on_output = on_output
        self._parts: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self._decoders = {
            name: codecs.getincrementaldecoder("utf-8")(errors="replace") for name in self._parts
        }

    def write(self, fd: int, data: bytes) -> None:
        if self.truncated or not data:
            return
        stream = "stdout" if fd == STDOUT else "stderr"
        room = self.cap - self.used
        if len(data) > room:
            data = data[:room]
            self.truncated = True
        self.used += len(data)
        self._emit(stream, self._decoders[stream].decode(data))
        if self.truncated:
            self._emit(stream, self._decoders[stream].decode(b"", final=True))
            self._emit(stream, f"\n[output truncated: the limit is {self.cap:,} bytes]\n")

    def finish(self) -> None:
        """Flush any partial UTF-8 sequence left at the end of each stream."""
        for stream, decoder in self._decoders.items():
            self._emit(stream, decoder.decode(b"", final=True))

    def text(self, stream: str) -> str:
        return "".join(self._parts[stream])

    def _emit(self, stream: str, text: str) -> None:
        if not text:
            return
        self._parts[stream].append(text)
        if self._on_output is not None:
            try:
                self._on_output(stream, text)
            except Exception:  # a broken listener must not break the run
                log.exception("output callback failed")
