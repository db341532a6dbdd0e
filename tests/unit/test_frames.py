"""A sandbox process's messages framed without waiting (`_frames`): the stream a real
`multiprocessing.connection.Connection` writes, however it is split into reads, gives back
exactly the messages sent, and a length beyond the bound is refused as soon as it arrives;
what `Sender` sends, never waiting, a real `Connection` reads whole and in order."""

from __future__ import annotations

import socket
import struct
import threading
import time
from multiprocessing.connection import Connection

import pytest

from widgetbox.runtime._frames import FrameError, Frames, Sender

pytestmark = pytest.mark.unit

MESSAGES = [b"", b"x", b'{"kind":"done","run":1}', bytes(range(256)) * 300]


def connection_stream(messages: list[bytes]) -> bytes:
    """The bytes a real `Connection` writes for `messages`."""
    ours, theirs = socket.socketpair()
    sender = Connection(ours.detach())
    with theirs:
        for message in messages:
            sender.send_bytes(message)
        sender.close()
        received = b""
        while chunk := theirs.recv(1 << 16):
            received += chunk
    return received


def test_what_a_connection_sends_comes_back_whole_however_it_is_read() -> None:
    stream = connection_stream(MESSAGES)
    assert Frames(1 << 20).feed(stream) == MESSAGES  # in one read
    for size in (1, 2, 3, 5, 4096):  # in reads of every size, across every boundary
        frames = Frames(1 << 20)
        got: list[bytes] = []
        for start in range(0, len(stream), size):
            got += frames.feed(stream[start : start + size])
        assert got == MESSAGES
        assert frames.pending == 0


def test_a_message_waits_until_it_has_all_arrived() -> None:
    frames = Frames(100)
    assert frames.feed(struct.pack("!i", 5) + b"abc") == []
    assert frames.pending == 7
    assert frames.feed(b"de" + struct.pack("!i", 1)) == [b"abcde"]
    assert frames.feed(b"z") == [b"z"]
    assert frames.pending == 0


def test_the_long_form_of_a_length_is_read() -> None:
    # what Connection writes for a message of 2 GiB or more: -1, then an 8-byte length
    frames = Frames(100)
    assert frames.feed(struct.pack("!i", -1) + struct.pack("!Q", 3)[:5]) == []
    assert frames.feed(struct.pack("!Q", 3)[5:] + b"abc") == [b"abc"]


@pytest.mark.parametrize(
    "header",
    [
        struct.pack("!i", 101),
        struct.pack("!i", -7),
        struct.pack("!i", -1) + struct.pack("!Q", 2**40),
    ],
    ids=["over the bound", "negative", "long form over the bound"],
)
def test_a_length_beyond_the_bound_is_refused_before_its_message_arrives(header: bytes) -> None:
    frames = Frames(100)
    assert frames.feed(struct.pack("!i", 2) + b"ok") == [b"ok"]
    with pytest.raises(FrameError):
        frames.feed(header)  # nothing of the message has come yet


def receive_all(sock: socket.socket, count: int) -> list[bytes]:
    """`count` messages read with a real `Connection`."""
    receiver = Connection(sock.detach())
    try:
        return [receiver.recv_bytes() for _ in range(count)]
    finally:
        receiver.close()


def test_a_sender_never_waits_and_its_messages_arrive_whole_and_in_order() -> None:
    """The other end reads nothing while far more than the socket holds is sent: no send
    waits, and once it reads, every message arrives whole and in order, including those sent
    from another thread meanwhile."""
    ours, theirs = socket.socketpair()
    sender = Sender(ours, "test-writer")
    big = [bytes([n]) * (300 * 1024) for n in range(8)]  # beyond the socket's buffers
    small = [b"small %d" % n for n in range(50)]
    started = time.monotonic()
    for message in big[:4]:
        sender.send(message)
    other = threading.Thread(target=lambda: [sender.send(m) for m in small])
    other.start()
    other.join()
    for message in big[4:]:
        sender.send(message)
    assert time.monotonic() - started < 5  # sending 2.4 MiB nobody reads did not wait
    assert receive_all(theirs, 58) == [*big[:4], *small, *big[4:]]
    sender.stop(5)


def test_a_sender_raises_once_the_other_end_has_gone() -> None:
    ours, theirs = socket.socketpair()
    sender = Sender(ours, "test-writer")
    theirs.close()
    with pytest.raises(BrokenPipeError):
        sender.send(b"x")  # found now
    with pytest.raises(BrokenPipeError, match="has gone"):
        sender.send(b"again")  # known since
    sender.stop(5)


def test_stopping_a_sender_sends_what_is_queued_first_and_refuses_later_messages() -> None:
    ours, theirs = socket.socketpair()
    sender = Sender(ours, "test-writer")
    queued = [bytes([n]) * (400 * 1024) for n in range(3)]
    for message in queued:
        sender.send(message)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.extend(receive_all(theirs, 3)))
    reader.start()
    sender.stop(10)
    reader.join(10)
    assert received == queued
    with pytest.raises(BrokenPipeError, match="has gone"):
        sender.send(b"late")
