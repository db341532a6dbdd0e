"""The dependency rules of ARCHITECTURE.md, checked by reading every import."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
GUEST_PACKAGES = {"anvil", "_widgetbox"}


def imports(folder: str) -> list[tuple[Path, str, int]]:
    """(file, absolute module name, level) for every import under `folder`."""
    found = []
    for path in sorted((REPO / folder).rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.extend((path, alias.name, 0) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                found.append((path, node.module or "", node.level))
    return found


def top(name: str) -> str:
    return name.split(".", maxsplit=1)[0]


def test_runtime_imports_only_the_stdlib_and_wasmtime() -> None:
    bad = [
        f"{path.name}: {name}"
        for path, name, level in imports("runtime")
        if level == 0 and top(name) not in STDLIB | {"wasmtime"}
    ]
    assert bad == [], "runtime/ may import only the standard library and wasmtime"


def test_host_uses_the_runtime_only_through_its_public_api() -> None:
    bad = []
    for path, name, level in imports("host"):
        if level:
            continue
        if top(name) == "wasmtime" or top(name) in GUEST_PACKAGES:
            bad.append(f"{path.name}: {name}")
        if name.startswith("widgetbox.runtime.") or name == "runtime":
            bad.append(f"{path.name}: {name} (use `widgetbox.runtime`)")
    assert bad == []


def test_guest_code_imports_only_the_stdlib_the_bridge_and_itself() -> None:
    allowed = STDLIB | GUEST_PACKAGES | {"_host"}
    bad = [
        f"{path.relative_to(REPO)}: {name}"
        for path, name, level in imports("wasm-python")
        if level == 0 and top(name) not in allowed
    ]
    assert bad == []


def test_nothing_imports_the_guest_packages_on_the_host() -> None:
    bad = [
        f"{path.name}: {name}"
        for folder in ("runtime", "host")
        for path, name, level in imports(folder)
        if level == 0 and top(name) in GUEST_PACKAGES
    ]
    assert bad == []


def test_the_rules_see_real_imports() -> None:
    # Guard against a vacuous pass: the scanner finds the imports we know exist.
    assert ("wasmtime", 0) in {(name, level) for _, name, level in imports("runtime")}
    assert any(name == "widgetbox.runtime" for _, name, _ in imports("host"))
