"""ARCHITECTURE.md's module tables name modules that exist: every file or folder named in the
first column of a table (`host/`, `runtime/`, `client/src/`... relative to where the table
is about) must be there, and so must every module a row's description names (`store.py`,
`transfer/folders.py`), looked for in the row's own folder first, so the map cannot drift
from the code it describes."""

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
GLOBBED = re.compile(r"`([\w./-]+)/\*[\w.]*`")
"""A first column naming a folder's files (`pages/*.js`): the row is about that folder."""
MODULE = re.compile(r"`(\w[\w./-]*\.(?:py|js|mjs|css|html))`")
"""A module or file named in a description (not a URL such as `/_/theme-colors.css`)."""
MODULES_JS = REPO / "client" / "src" / "gui" / "modules.js"
NOT_FILES = {
    "anvil.js": "the client's Python module `anvil.js` (python/anvil/js.py), by its name",
    "_anvil_designer.py": MODULES_JS,
    "anvil/_app_data.py": MODULES_JS,
}
"""Names a description uses that are not files in the repo, with why: a module by its Python
name, or a module the GUI loader writes into the browser's file system (the path of the
code that does, which must name it)."""


def rows(text: str) -> list[tuple[str, str]]:
    """(first column, the rest) of every table row."""
    found = []
    for line in text.splitlines():
        if not line.startswith("| ") or line.startswith("|---"):
            continue
        _, first, *rest = line.split("|")
        found.append((first, "|".join(rest)))
    return found


def named_in_first_columns(text: str) -> list[str]:
    return [name for first, _ in rows(text) for name in NAMED.findall(first)]


def exists(name: str) -> bool:
    return any((base / name).exists() for base in BASES)


def folders_of(first: str) -> list[Path]:
    """The folders a row is about: those its first column names, and those of its files."""
    folders = []
    for name in NAMED.findall(first) + [f"{name}/" for name in GLOBBED.findall(first)]:
        for base in BASES:
            path = base / name
            if path.is_dir():
                folders.append(path)
            elif path.exists():
                folders.append(path.parent)
    return folders


def missing_in_descriptions(text: str) -> list[str]:
    missing = set()
    for first, rest in rows(text):
        folders = folders_of(first)
        for name in MODULE.findall(rest):
            if name in NOT_FILES or any((folder / name).exists() for folder in folders):
                continue
            if not exists(name):
                missing.add(f"{first.strip()}: {name}")
    return sorted(missing)


def test_the_module_tables_name_real_modules() -> None:
    names = named_in_first_columns(DOC.read_text())
    assert len(names) > 60, "the tables were not found"
    missing = sorted({name for name in names if not exists(name)})
    assert missing == [], f"ARCHITECTURE.md names modules that do not exist: {missing}"


def test_the_descriptions_name_real_modules() -> None:
    text = DOC.read_text()
    named = [name for _, rest in rows(text) for name in MODULE.findall(rest)]
    assert len(named) > 200, "the descriptions were not read"
    missing = missing_in_descriptions(text)
    assert missing == [], f"ARCHITECTURE.md's tables name modules that do not exist: {missing}"


def test_names_that_are_not_files_are_still_used() -> None:
    for name, why in NOT_FILES.items():
        if isinstance(why, Path):
            assert name in why.read_text(), f"{why.name} no longer makes {name}"
    assert (REPO / "client" / "src" / "gui" / "python" / "anvil" / "js.py").exists()


def test_a_stale_name_in_a_description_is_found() -> None:
    # the check can fail: a module that is not in the row's folder nor anywhere else
    table = (
        "| `tables/` | the engine: `store.py`, `tables_gone.py`, `transfer/folders.py` |\n"
        "| `pages/*.js` | `code.js` and `lib/saving.js` and `saving.js` |\n"
    )
    assert missing_in_descriptions(table) == [
        "`pages/*.js`: saving.js",
        "`tables/`: tables_gone.py",
    ]
