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
from typing import Any

from ._paths import GUEST_DIR

SOURCE = GUEST_DIR / "anvil" / "_serialize.py"
"""The codec's one source."""


def _load() -> ModuleType:
    # Named after this module, so what it defines reports a module where it can be found
    # (`widgetbox.runtime._codec.SerializationError`); it is not entered in sys.modules.
    spec = importlib.util.spec_from_file_location(__name__, SOURCE)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the value codec from {SOURCE}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_source = _load()

TAG: str = _source.TAG
MAX_DEPTH: int = _source.MAX_DEPTH
SerializationError: type[ValueError] = _source.SerializationError
"""A value that cannot cross the sandbox boundary (Anvil's `SerializationError`)."""
encode: Callable[[Any], Any] = _source.encode
"""A JSON-ready form of a value; raises SerializationError."""
decode: Callable[[Any], Any] = _source.decode
"""The Python value an `encode`d form stands for; raises SerializationError."""
