"""A sandbox process's messages framed as `multiprocessing.connection.Connection` frames
them (the process reads and writes with one), cut and written here without ever waiting, so
that the server's event loop can be the runtime's end of the socket (`SandboxProcess`).

The framing: a 4-byte big-endian signed length, or -1 and then an 8-byte length for a
message of 2 GiB or more, then the message. `Frames` cuts messages from the bytes as they
arrive: a length beyond the bound is refused before any of the message is kept, so a
subverted process cannot make the host hold more than `limit` bytes at once, and each byte
is copied a bounded number of times (linear in what arrives). `Sender` writes them: what the
socket takes at once goes at once, the rest to a writer thread, in order.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
from collections import deque

_SHORT = struct.Struct("!i")
_LONG = struct.Struct("!Q")


class FrameError(ValueError):
    """The stream announced a message longer than the bound (or a malformed length)."""


class Frames:
    """Feed it bytes as they arrive; it gives back each whole message, in order."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._buffer = bytearray()

    @property
    def pending(self) -> int:
        """Bytes received that do not yet make a whole message."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        """The messages completed by `data` (perhaps none); FrameError when a length is
        refused (the stream cannot be trusted after that)."""
        buffer = self._buffer
        buffer += data
        messages: list[bytes] = []
        start = 0
        while True:
            found = self._next(buffer, start)
            if found is None:
                break
            begin, end = found
            messages.append(bytes(buffer[begin:end]))
            start = end
        if start:
            del buffer[:start]  # once per feed: each byte is moved at most once more
        return messages

    def _next(self, buffer: bytearray, start: int) -> tuple[int, int] | None:
        """Where the message at `start` lies, once it has all arrived."""
        if len(buffer) - start < _SHORT.size:
            return None
        (size,) = _SHORT.unpack_from(buffer, start)
        begin = start + _SHORT.size
        if size == -1:
            if len(buffer) - begin < _LONG.size:
                return None
            (size,) = _LONG.unpack_from(buffer, begin)
            begin += _LONG.size
        if size < 0 or size > self._limit:
            raise FrameError(f"a message of {size} bytes is beyond the bound of {self._limit}")
        end = begin + size
        return (begin, end) if len(buffer) >= end else None


def frame(message: bytes) -> bytes:
    """`message` as `Connection` frames it (the short form: messages here are far below 2 GiB)."""
    if len(message) > 0x7FFFFFFF:
        raise ValueError("a message of 2 GiB or more")
    return _SHORT.pack(len(message)) + message


class Sender:
    """Sends messages on `sock` from any thread, and never makes the sender wait: what the
    socket takes at once is sent at once (the usual case: a run's request), and the rest of
    the message, with any sent after it, is queued in order for a writer thread that waits
    for room. A sender on the event loop that reads the other end must not wait: the other
    end may itself be waiting to send to it.

    Works whether or not the descriptor is blocking (uvloop's reader makes it non-blocking)."""

    def __init__(self, sock: socket.socket, name: str) -> None:
        """`sock`: without a timeout (with one, `send` waits even when asked not to)."""
        self._socket = sock
        self._pending: deque[memoryview] = deque()
        """What waits for the writer, the first perhaps in part sent; the writer removes a
        message only once all of it is sent, so no one sends past it meanwhile."""
        self._changed = threading.Condition()
        self._stopping = False
        self._gone = False
        self._writer = threading.Thread(target=self._write, name=name, daemon=True)
        self._writer.start()

    def send(self, message: bytes) -> None:
        """Frame and send `message` (or queue it); OSError when the other end has gone, as
        far as this end knows by now."""
        framed = frame(message)
        with self._changed:
            if self._gone or self._stopping:
                raise BrokenPipeError("the other end has gone")
            if not self._pending:
                try:
                    sent = self._socket.send(framed, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    sent = 0
                except OSError:
                    self._gone = True
                    raise
                if sent == len(framed):
                    return
                framed = framed[sent:]
            self._pending.append(memoryview(framed))
            self._changed.notify()

    def _write(self) -> None:
        room = select.poll()
        room.register(self._socket, select.POLLOUT)
        try:
            while True:
                with self._changed:
                    self._changed.wait_for(lambda: self._pending or self._stopping)
                    if not self._pending:
                        return  # stopped, with everything sent
                    rest = self._pending[0]
                while rest:
                    room.poll()  # until there is room, or the other end has gone
                    try:
                        rest = rest[self._socket.send(rest, socket.MSG_DONTWAIT) :]
                    except BlockingIOError:
                        continue
                with self._changed:
                    self._pending.popleft()
        except OSError:
            with self._changed:
                self._gone = True
                self._pending.clear()
        finally:
            with self._changed:  # no one sends from now on: they find it stopping or gone
                self._socket.close()

    def stop(self, timeout: float | None = None) -> None:
        """Send what is queued, then end the writer (waiting `timeout` seconds for it);
        later sends raise."""
        with self._changed:
            self._stopping = True
            self._changed.notify()
        self._writer.join(timeout)
