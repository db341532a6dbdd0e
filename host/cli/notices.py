"""What commands tell the person at the terminal on stderr, beside their output: a notice
(`say`) and the progress of long one-time work (`CompileBar`: compiling the interpreter)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class CompileBar:
    """Renders `(elapsed, estimate)` as a bar on a terminal, or a line every 10 s otherwise."""

    WIDTH = 30

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._last_line = -1e9
        self._started = False

    def __call__(self, elapsed: float, estimate: float) -> None:
        if not self._started:
            self._started = True
            self.stream.write(
                f"Compiling the interpreter for this machine (once; about {estimate:.0f} s)\n"
            )
        fraction = min(elapsed / estimate, 0.99) if estimate > 0 else 0.0
        if self.tty:
            filled = int(fraction * self.WIDTH)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.stream.write(f"\r  [{bar}] {fraction:4.0%}  {elapsed:4.0f} s / ~{estimate:.0f} s")
            self.stream.flush()
        elif time.monotonic() - self._last_line >= 10:
            self._last_line = time.monotonic()
            self.stream.write(f"  {fraction:4.0%}  {elapsed:4.0f} s / ~{estimate:.0f} s\n")
            self.stream.flush()

    def done(self) -> None:
        if self._started and self.tty:
            self.stream.write("\n")
        if self._started:
            self.stream.write("Compiled; later starts load it from the cache.\n")
            self.stream.flush()


def say(line: str) -> None:
    print(f"widgetbox: {line}", file=sys.stderr, flush=True)
