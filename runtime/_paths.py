"""Where Widgetbox finds its own files and keeps its caches."""

from __future__ import annotations

import os
from pathlib import Path

# runtime/ sits beside wasm-python/ in the checkout (an editable install maps
# `widgetbox.runtime` onto runtime/, so this holds for the installed package too).
REPO_ROOT = Path(__file__).resolve().parent.parent

GUEST_DIR = REPO_ROOT / "wasm-python"
"""The guest side: the driver and the `anvil` package, mounted read-only in every sandbox."""

PIN_FILE = GUEST_DIR / "interpreter.toml"
"""The interpreter pin: wheel version and the sha256 of every artifact used."""


def cache_dir() -> Path:
    """The cache for the interpreter artifacts and the compiled module.

    `$WIDGETBOX_CACHE_DIR` when set, else `$XDG_CACHE_HOME/widgetbox`, else
    `~/.cache/widgetbox`. Nothing in it is precious: it is rebuilt by `widgetbox prepare`.
    """
    explicit = os.environ.get("WIDGETBOX_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser().resolve()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return (base / "widgetbox").resolve()
