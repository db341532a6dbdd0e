"""A widget's files and their bytecode as they cross to a sandbox process: sent once, named
by their content's digest after that.

Every run needs the widget's files (and the bytecode `_pycache` has for them) in the
sandbox process. Sending them with each run cost the runtime a hash of every file (to find
their bytecode) and a JSON encoding of the lot, and the process the decoding, on every
request. Instead, `Bundles` (the runtime's side) gives each widget version's files and
bytecode a `Bundle` named by the sha256 of their content, remembered per `Code` object, and
`Shelf` (a process's side) keeps the bundles it was sent, by the digest it computes itself
from what arrived. The runtime sends a bundle's files with a run only when the process is
not known to hold them; a process that has dropped them meanwhile says so (`wire.Lacking`)
and the run is sent again with them.

Correct by construction: a bundle is found only by the digest of its own content, so one
widget's run can never be given another's files, whichever widget sent them first. Both
sides are bounded in bytes, least recently used first out.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from ._jobs import Code
from ._pycache import BytecodeCache

MAX_BYTES = 64 * 1024 * 1024
"""What a process keeps (and the runtime counts it as keeping), in bytes of files and
bytecode."""
MAX_REMEMBERED = 1024
"""`Code` objects whose bundle the runtime remembers (the host keeps a widget's `Code`
between requests: see `host/widgets/heads.py`)."""


@dataclass(frozen=True)
class Bundle:
    """A widget version's files and the bytecode known for them, named by `digest`."""

    digest: str
    files: dict[str, str]
    bytecode: dict[str, bytes]
    size: int
    """Bytes of files and bytecode: what keeping it costs."""


def digest(files: Mapping[str, str], bytecode: Mapping[str, bytes]) -> str:
    """The sha256 of the files and bytecode (each path and content length-prefixed, so no
    two different bundles read the same)."""
    h = hashlib.sha256()
    for kind, items in ((b"f", {p: t.encode("utf-8") for p, t in files.items()}), (b"b", bytecode)):
        for path in sorted(items):
            name, data = path.encode("utf-8"), items[path]
            h.update(b"%s%d:%s%d:" % (kind, len(name), name, len(data)))
            h.update(data)
    return h.hexdigest()


def size(files: Mapping[str, str], bytecode: Mapping[str, bytes]) -> int:
    """About what keeping a bundle costs, in bytes (the same count on both sides)."""
    return sum(len(p) + len(t) for p, t in files.items()) + sum(
        len(p) + len(b) for p, b in bytecode.items()
    )


class Bundles:
    """The runtime's side: the bundle to send for a `Code`, with the bytecode `bytecode`
    has for it. A bundle is remembered per `Code` object once every file has its bytecode
    (or `bytecode` is off), so a request that reuses its `Code` neither hashes nor encodes
    its files again; until then each run asks `bytecode` afresh (which schedules the
    compile job)."""

    def __init__(self, bytecode: BytecodeCache) -> None:
        self.bytecode = bytecode
        self._known: OrderedDict[int, tuple[weakref.ref[Code], Bundle]] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, code: Code) -> Bundle:
        key = id(code)
        with self._lock:
            known = self._known.get(key)
            if known is not None and known[0]() is code:  # not another object at that id
                self._known.move_to_end(key)
                return known[1]
        bytecode, complete = self.bytecode.lookup_complete(code)
        files = dict(code.files)
        bundle = Bundle(digest(files, bytecode), files, bytecode, size(files, bytecode))
        if complete:
            with self._lock:
                self._known[key] = (weakref.ref(code), bundle)
                while len(self._known) > MAX_REMEMBERED:
                    self._known.popitem(last=False)
        return bundle


Content = tuple[dict[str, str], dict[str, bytes]]
"""A bundle's files and bytecode."""


class Shelf:
    """Bundles by digest, bounded to `limit` bytes; least recently used first out. A
    process keeps their content; the runtime keeps, per process, only their names and sizes
    (what it believes that process holds, with the same bound, so the two mostly agree; when
    they do not, the process asks for the files)."""

    def __init__(self, limit: int = MAX_BYTES) -> None:
        self.limit = limit
        self._items: OrderedDict[str, tuple[Content | None, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def has(self, name: str) -> bool:
        with self._lock:
            if name not in self._items:
                return False
            self._items.move_to_end(name)
            return True

    def get(self, name: str) -> Content | None:
        with self._lock:
            item = self._items.get(name)
            if item is None:
                return None
            self._items.move_to_end(name)
            return item[0]

    def put(self, name: str, size: int, content: Content | None = None) -> None:
        """Keep a bundle (or only its name) under `name`, which the caller computed from
        its content."""
        if size > self.limit:
            return
        with self._lock:
            old = self._items.pop(name, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[name] = (content, size)
            self._bytes += size
            while self._bytes > self.limit:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def discard(self, name: str) -> None:
        with self._lock:
            old = self._items.pop(name, None)
            if old is not None:
                self._bytes -= old[1]
