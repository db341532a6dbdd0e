"""ARCHITECTURE.md's module tables name modules that exist: every file or folder named in the
first column of a table (`host/`, `runtime/`, `client/src/`... relative to where the table
is about) must be there, so the map cannot drift from the code it describes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "ARCHITECTURE.md"
BASES = [
    REPO,
    REPO / "runtime",
    REPO / "host",
    REPO / "host" / "packages",
    REPO / "wasm-python",
    REPO / "wasm-python" / "_widgetbox",
    REPO / "client",
    REPO / "client" / "src",
    REPO / "client" / "src" / "gui",
    REPO / "client" / "src" / "gui" / "python" / "anvil",
]
NAMED = re.compile(r"`([\w./-]+(?:\.(?:py|js|mjs|json|css|html|toml)|/))`")


def named_in_first_columns(text: str) -> list[str]:
    names = []
    for line in text.splitlines():
        if not line.startswith("| ") or line.startswith("|---"):
            continue
        first = line.split("|")[1]
        names += NAMED.findall(first)
    return names


def exists(name: str) -> bool:
    return any((base / name).exists() for base in BASES)


def test_the_module_tables_name_real_modules() -> None:
    names = named_in_first_columns(DOC.read_text())
    assert len(names) > 60, "the tables were not found"
    missing = sorted({name for name in names if not exists(name)})
    assert missing == [], f"ARCHITECTURE.md names modules that do not exist: {missing}"
