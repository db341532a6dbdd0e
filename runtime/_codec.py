"""Values crossing into and out of the sandbox, by Anvil's rules for server calls.

JSON types pass as they are; tuples arrive as lists; dicts must have string keys; `date`
and `datetime` survive the trip. Special values travel as tagged objects
(`{"$wb": "date", "v": "2026-11-24"}`); a dict that itself has a `"$wb"` key is wrapped
so it cannot be mistaken for a tag.

The codec has one source, the guest's `anvil/_serialize.py`, which the guest and the browser
client run too. The host loads that file by path from the guest folder the runtime mounts
(`_paths.GUEST_DIR`), as a module of its own named after this one: nothing is imported from
the guest's packages (there is no `anvil` on the host), and a copy can never drift. This is
the one place the host runs guest code; tests/unit/test_import_rules.py allows exactly it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ._paths import GUEST_DIR

SOURCE = GUEST_DIR / "anvil" / "_serialize.py"
"""The codec's one source."""


def load_guest_file(relative: str, name: str) -> ModuleType:
    """The guest's file at `relative` (under the guest folder), run as a module called `name`
    (not entered in sys.modules). For the few files whose code the host shares with the guest
    (this codec; Data Tables' value tags, `anvil/tables/_wire.py`): plain Python that imports
    only the standard library."""
    source = GUEST_DIR / relative
    spec = importlib.util.spec_from_file_location(name, source)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {source}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Named after this module, so what it defines reports a module where it can be found
# (`widgetbox.runtime._codec.SerializationError`).
_source = load_guest_file(str(SOURCE.relative_to(GUEST_DIR)), __name__)

TAG: str = _source.TAG
MAX_DEPTH: int = _source.MAX_DEPTH
SerializationError: type[ValueError] = _source.SerializationError
"""A value that cannot cross the sandbox boundary (Anvil's `SerializationError`)."""
encode: Callable[[Any], Any] = _source.encode
"""A JSON-ready form of a value; raises SerializationError."""
decode: Callable[[Any], Any] = _source.decode
"""The Python value an `encode`d form stands for; raises SerializationError."""
if TYPE_CHECKING:

    class Carried:
        """A Data Tables row or search (`{"$wb": "row" | "search", "v": payload}`) as the
        host sees it: `tag` and `payload` kept as they came, encoded back to the same form."""

        tag: str
        payload: Any

        def __init__(self, tag: str, payload: Any) -> None: ...

else:
    Carried = _source.Carried
