"""The memory image's objects made immortal, so that runs stop copying pages to count
references.

Every page of the image a run writes is copied for that run (the image is mapped
copy-on-write: see `_prefault`). A hello route wrote about 260 pages, and 180 of those held
only reference counts: a function called, a class instantiated, a module's attribute read
raise an object's count and lower it again, and the page is copied all the same (94 of them
ended exactly as they began). CPython leaves an immortal object's count alone (PEP 683):
None, small ints, interned strings and the builtin types are immortal already. So when the
image is made, every object alive after the warm-up is made immortal too, as CPython does
for its own: the count of each is set to the value None has.

How, without a way to do it from Python: a turn in the guest (`TURN`) walks every object
reachable from the modules, the interpreter's own state and every object the garbage
collector tracks, keeps them all in one list that the image holds for good, and writes
their addresses (`id`) to a file in its scratch area, after the count None has and None's
own address. The host then writes that count at each address in its copy of the memory
(`apply`), before the image is made from it. The list is what makes this safe: an object
the walk met but whose last other reference goes away before the memory is read (the
turn's own parse tree, say) stays alive through it, so no address written to can be free
memory (where the allocator keeps its own pointers).

Immortal objects are never freed: a run that drops an object of the image (a module's
attribute replaced) leaves it in its instance's memory, which the instance is about to
lose anyway (a kept interpreter keeps it, as it keeps the rest of the image). Nothing else
changes: a count is no one's business but `sys.getrefcount`'s. On an interpreter that
cannot say which objects are immortal (`sys._is_immortal`, 3.14+), or whose objects are
not laid out as expected (checked against None), nothing is changed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from ._guest import SCRATCH_MOUNT

FILE = "immortal"
"""The turn's file in the guest's scratch area."""

TURN = f"""
def __widgetbox_immortal():
    import array, gc, sys
    if not hasattr(sys, "_is_immortal") or sys.maxsize != 2**31 - 1:
        return []  # not an interpreter whose objects this knows how to make immortal: no file
    enabled = gc.isenabled()
    gc.disable()
    gc.unfreeze()
    tracked = gc.get_objects()  # first: the walk's own objects are made after it
    seen = {{}}
    waiting = [sys.modules, sys.__dict__, __builtins__, globals(), *tracked]
    referents = gc.get_referents
    while waiting:
        item = waiting.pop()
        if id(item) not in seen:
            seen[id(item)] = item
            waiting.extend(referents(item))
    immortal = sys._is_immortal
    kept = [item for item in seen.values() if not immortal(item)]
    addresses = array.array("I", [sys.getrefcount(None), id(None)])
    addresses.extend(id(item) for item in kept)
    with open({f"{SCRATCH_MOUNT}/{FILE}"!r}, "wb") as file:
        file.write(addresses.tobytes())
    gc.freeze()
    if enabled:
        gc.enable()
    return kept
__widgetbox_immortal = __widgetbox_immortal()
"""
"""Run as a turn after the warm-up (`_snapshot.take`): see the module's docstring. The list
it returns stays in the image (`__widgetbox_immortal`), holding every object named."""

_WORD = struct.Struct("<I")


@dataclass(frozen=True)
class Immortal:
    count: int
    """The reference count that marks an object immortal (None's)."""
    none: int
    """None's address, where `count` must already be: the layout is as expected."""
    addresses: list[int]


def found(scratch: Path) -> Immortal | None:
    """What the turn wrote in the guest's scratch area (`scratch`, the host's folder);
    None when it wrote nothing (an interpreter it does not know how to change)."""
    try:
        data = (scratch / FILE).read_bytes()
    except FileNotFoundError:
        return None
    return read(data)


def read(data: bytes) -> Immortal | None:
    """The turn's file; None when the interpreter made nothing immortal."""
    if len(data) < 2 * _WORD.size or len(data) % _WORD.size:
        return None
    words = [word for (word,) in _WORD.iter_unpack(data)]
    return Immortal(count=words[0], none=words[1], addresses=words[2:])


def apply(memory: bytearray, immortal: Immortal) -> int:
    """Write the immortal count at each address in `memory`; the number written. Nothing
    is written unless None's count sits at None's address, as it does in CPython's layout
    (the count first) on a 32-bit interpreter."""
    count = _WORD.pack(immortal.count)
    if memory[immortal.none : immortal.none + _WORD.size] != count:
        return 0
    size = len(memory)
    written = 0
    for address in immortal.addresses:
        if address % _WORD.size == 0 and address + _WORD.size <= size:
            memory[address : address + _WORD.size] = count
            written += 1
    return written
