"""The dependency rules of ARCHITECTURE.md, checked by reading every import."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
GUEST_PACKAGES = {"anvil", "_widgetbox", "classroom"}


def imports(folder: str) -> list[tuple[Path, str, int]]:
    """(file, absolute module name, level) for every import under `folder`; a name imported
    from a module counts as `module.name` too (it may be a module: `from a import _b`)."""
    found = []
    for path in sorted((REPO / folder).rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.extend((path, alias.name, 0) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                found.append((path, module, node.level))
                found.extend((path, f"{module}.{alias.name}", node.level) for alias in node.names)
    return found


def top(name: str) -> str:
    return name.split(".", maxsplit=1)[0]


def test_runtime_imports_only_the_stdlib_and_wasmtime() -> None:
    """...and runtime/remote/ the NATS client and nkeys too (the optional `workers` extra:
    nothing else in runtime/ imports remote/ but where NATS is configured, lazily)."""
    remote = REPO / "runtime" / "remote"
    bad = [
        f"{path.name}: {name}"
        for path, name, level in imports("runtime")
        if level == 0
        and top(name) not in STDLIB | {"wasmtime"}
        and not (top(name) in {"nats", "nkeys"} and remote in path.parents)
    ]
    assert bad == [], "runtime/ may import only the standard library and wasmtime"


def test_runtime_remote_is_imported_only_where_workers_are_asked_for() -> None:
    """nats-py is optional: no module of runtime/ outside remote/ imports remote/ when it is
    loaded (only inside the function that starts workers, or for type checking)."""
    eager = []
    for path in sorted((REPO / "runtime").glob("*.py")):
        for node in ast.parse(path.read_text(), str(path)).body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.ImportFrom) and "remote" in (node.module or "").split("."):
                eager.append(f"{path.name}: line {node.lineno}")
    assert eager == [], "import runtime/remote/ only where NATS workers are started"


def test_host_uses_the_runtime_only_through_its_public_api() -> None:
    bad = []
    for path, name, level in imports("host"):
        if level:
            continue
        if top(name) == "wasmtime" or top(name) in GUEST_PACKAGES:
            bad.append(f"{path.name}: {name}")
        if name.startswith("widgetbox.runtime._") or name == "runtime":
            bad.append(f"{path.name}: {name} (use `widgetbox.runtime`'s public names)")
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


LOADERS = {
    "__import__",
    "eval",
    "exec",
    "exec_module",
    "import_module",
    "load_module",
    "run_module",
    "run_path",
    "SourceFileLoader",
    "spec_from_file_location",
}
"""Ways to run Python files without an `import` statement."""

GUEST_CODE_ON_THE_HOST = {
    ("runtime/_codec.py", "spec_from_file_location"),
    ("runtime/_codec.py", "exec_module"),
}
"""The one exception: the value codec has one source, the guest's `anvil/_serialize.py`, and
the runtime loads that file by path from the guest folder it mounts (`_paths.GUEST_DIR`)."""

CHILD_PROCESSES = {("runtime/_launch.py", "run_module")}
"""Not guest code: the single-file executable runs its own sandbox process or pip by module
name, as `python -m` would, for one of two fixed modules (`_launch.MODULES`)."""


def loads(folder: str) -> set[tuple[str, str]]:
    """(file, loader) for every call of a loader, or use of `sys.path`, under `folder`."""
    found = set()
    for path in sorted((REPO / folder).rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        name = str(path.relative_to(REPO))
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                called = node.func
                called_name = called.attr if isinstance(called, ast.Attribute) else ""
                if isinstance(called, ast.Name):
                    called_name = called.id
                if called_name in LOADERS:
                    found.add((name, called_name))
            elif (
                isinstance(node, ast.Attribute)
                and node.attr == "path"
                and isinstance(node.value, ast.Name)
                and node.value.id == "sys"
            ):
                found.add((name, "sys.path"))
    return found


def test_the_host_runs_guest_code_only_to_load_the_codec() -> None:
    """No module of runtime/ or host/ loads Python files by path or reaches `sys.path`, but
    the codec's loader (a file load, not an import of the guest's packages)."""
    found = loads("runtime") | loads("host")
    assert found == GUEST_CODE_ON_THE_HOST | CHILD_PROCESSES


def test_the_rules_see_real_imports() -> None:
    # Guard against a vacuous pass: the scanner finds the imports we know exist.
    assert ("wasmtime", 0) in {(name, level) for _, name, level in imports("runtime")}
    assert any(name == "widgetbox.runtime" for _, name, _ in imports("host"))
