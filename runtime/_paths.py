"""Where Widgetbox finds its own files and keeps its caches."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
"""runtime/ in a checkout (an editable install maps `widgetbox.runtime` onto it), or
`widgetbox/runtime/` in an installed wheel, beside `widgetbox/guest/` (see pyproject.toml)."""

_INSTALLED_GUEST = _PACKAGE.parent / "guest"
GUEST_DIR = _INSTALLED_GUEST if _INSTALLED_GUEST.is_dir() else _PACKAGE.parent / "wasm-python"
"""The guest side: the driver and the `anvil` package, mounted read-only in every sandbox
(wasm-python/ in a checkout, `widgetbox/guest/` in a wheel)."""

PIN_FILE = GUEST_DIR / "interpreter.toml"
"""The interpreter pin: wheel version and the sha256 of every artifact used."""

INCLUDED_FILE = GUEST_DIR / "included.toml"
"""The packages every widget can import without installing them: wheels and their sha256."""

STATUS_FILE = Path(__file__).resolve().parent / "statuses.json"
"""The run-status vocabulary (`_statuses.py`), beside the runtime's modules: the browser's
scripts bundle it too (client/src/lib/format.js)."""


def cache_dir(chosen: Path | None = None) -> Path:
    """The cache for the interpreter artifacts, the compiled module and the guest's bytecode:
    `chosen` (the `cache_dir` setting, passed down by whoever starts the runtime) when given,
    else `$XDG_CACHE_HOME/widgetbox`, else `~/.cache/widgetbox`. Nothing in it is precious:
    `widgetbox prepare` rebuilds it.
    """
    if chosen is not None:
        return chosen.expanduser().resolve()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return (base / "widgetbox").resolve()
