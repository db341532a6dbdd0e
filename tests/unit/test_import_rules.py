"""The dependency rules of ARCHITECTURE.md, checked by reading every import."""

from __future__ import annotations

import ast
import http
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
GUEST_PACKAGES = {"anvil", "_widgetbox", "classroom"}
PACKAGES = {"runtime": ("widgetbox", "runtime"), "host": ("widgetbox", "host"), "wasm-python": ()}
"""The package each scanned folder is imported as (the editable install's mapping; the guest's
folder is the sandbox's top level)."""
OUTSIDE = "<beyond the top-level package>"
"""What a relative import that climbs past its top-level package resolves to."""


def module_of(file: str) -> tuple[str, ...]:
    """`host/gui/apps.py` -> ("widgetbox", "host", "gui", "apps")."""
    root, *rest = Path(file).with_suffix("").parts
    return (*PACKAGES[root], *rest)


def resolve(file: str, module: str, level: int) -> str:
    """The absolute name a (maybe relative) import in `file` means, as Python resolves it:
    `from ...runtime import _artifacts` in host/gui/apps.py is widgetbox.runtime._artifacts."""
    if not level:
        return module
    package = module_of(file)[:-1]  # a module's package; `__init__`'s is its own folder
    if level - 1 >= len(package):
        return OUTSIDE
    base = package[: len(package) - (level - 1)]
    return ".".join((*base, *([module] if module else [])))


def imports_in(file: str, source: str) -> list[tuple[str, int]]:
    """(absolute module name, level) for every import in `source`, read as the repo's `file`;
    a name imported from a module counts as `module.name` too (it may be a module: `from a
    import _b`), and so does a dotted name used through an imported name (`import litestar`
    then `litestar.exceptions.X` reaches the module without naming it in an import)."""
    found = []
    bound: dict[str, str] = {}  # the name an import binds -> what it stands for
    tree = ast.parse(source, file)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append((alias.name, 0))
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    bound[top(alias.name)] = top(alias.name)
        elif isinstance(node, ast.ImportFrom):
            module = resolve(file, node.module or "", node.level)
            found.append((module, node.level))
            for alias in node.names:
                found.append((f"{module}.{alias.name}", node.level))
                bound[alias.asname or alias.name] = f"{module}.{alias.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and (dotted := dotted_name(node)):
            first, _, rest = dotted.partition(".")
            if first in bound:
                found.append((f"{bound[first]}.{rest}", 0))
    return found


def dotted_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and (base := dotted_name(node.value)):
        return f"{base}.{node.attr}"
    return None


def files(folder: str) -> list[str]:
    return [
        str(path.relative_to(REPO))
        for path in sorted((REPO / folder).rglob("*.py"))
        if "__pycache__" not in path.parts
    ]


def imports(folder: str) -> list[tuple[str, str, int]]:
    """(file, absolute module name, level) for every import under `folder`."""
    return [
        (file, name, level)
        for file in files(folder)
        for name, level in imports_in(file, (REPO / file).read_text())
    ]


def top(name: str) -> str:
    return name.split(".", maxsplit=1)[0]


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


# -- the rules: each says what is wrong with one import, or None ------------------------------


def runtime_problem(file: str, name: str, level: int) -> str | None:
    """runtime/ imports only the standard library, wasmtime and itself; runtime/remote/ the
    NATS client and nkeys too (the optional `workers` extra)."""
    if within(name, "widgetbox.runtime"):
        return None
    if level == 0 and top(name) in STDLIB | {"wasmtime"}:
        return None
    if top(name) in {"nats", "nkeys"} and file.startswith("runtime/remote/"):
        return None
    return "runtime/ may import only the standard library, wasmtime and itself"


def host_problem(file: str, name: str, level: int) -> str | None:
    if level:
        # none today: the host names what it imports in full, so a relative import that
        # climbs into the runtime's private modules cannot hide as `from ...runtime import _x`
        return "a relative import (the host imports by absolute name)"
    if top(name) == "wasmtime" or top(name) in GUEST_PACKAGES:
        return "the sandbox's own code (use `widgetbox.runtime`)"
    if name.startswith("widgetbox.runtime._") or within(name, "runtime"):
        return "a private part of the runtime (use `widgetbox.runtime`'s public names)"
    return None


HTTP_STATUS_MODULES = (
    "litestar.status_codes",
    "litestar.exceptions",
    "http.HTTPStatus",
    "starlette.status",
    "starlette.exceptions",
)
STATUS_CONSTANTS = {f"http.client.{status.name}" for status in http.HTTPStatus}
"""`http.client` re-exports every status as a constant (`http.client.NOT_FOUND`); the module
itself is the outbound HTTP client's (host/outbound/client.py) and stays allowed."""
HTTP_ALLOWED = ("host/web/",)
"""Only the web plumbing speaks HTTP statuses: domain code raises domain errors
(host/errors.py) and web/errors.py answers each, once. Routes still choose a success status
(`status_code=201`) and edge checks answer in web/errors.py's shape (`web.errors.body`), with
plain numbers; no other module imports these."""


def http_problem(file: str, name: str) -> str | None:
    if file.startswith(HTTP_ALLOWED):
        return None
    if any(within(name, module) for module in HTTP_STATUS_MODULES) or name in STATUS_CONSTANTS:
        return "HTTP statuses outside host/web/ (raise a domain error from host/errors.py)"
    return None


def guest_problem(name: str) -> str | None:
    if top(name) in STDLIB | GUEST_PACKAGES | {"_host"}:
        return None
    return "guest code imports only the stdlib, the bridge and itself"


def problems(folder: str, rule: Any) -> list[str]:
    return [
        f"{file}: {name}: {problem}"
        for file, name, level in imports(folder)
        if (problem := rule(file, name, level))
    ]


def test_runtime_imports_only_the_stdlib_and_wasmtime() -> None:
    """...and runtime/remote/ the NATS client and nkeys too (the optional `workers` extra:
    nothing else in runtime/ imports remote/ but where NATS is configured, lazily)."""
    assert problems("runtime", runtime_problem) == []


def eager_remote_imports(source: str) -> list[int]:
    """Lines that import runtime/remote/ when the module is loaded: anywhere but inside a
    function (a `try` or an `if` at the top level runs at import too) or a TYPE_CHECKING
    block, named as a module (`from .remote import x`, `import widgetbox.runtime.remote`)
    or as a name (`from . import remote`)."""
    lines = []
    pending: list[ast.AST] = [ast.parse(source)]
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [alias.name for alias in node.names]
            if isinstance(node, ast.ImportFrom):
                names = [f"{node.module or ''}.{name}" for name in names]
            if any("remote" in name.split(".") for name in names):
                lines.append(node.lineno)
        pending.extend(ast.iter_child_nodes(node))
    return sorted(lines)


def test_runtime_remote_is_imported_only_where_workers_are_asked_for() -> None:
    """nats-py is optional: no module of runtime/ outside remote/ imports remote/ when it is
    loaded (only inside the function that starts workers, or for type checking)."""
    eager = [
        f"{path.name}: line {line}"
        for path in sorted((REPO / "runtime").glob("*.py"))
        for line in eager_remote_imports(path.read_text())
    ]
    assert eager == [], "import runtime/remote/ only where NATS workers are started"


def test_host_uses_the_runtime_only_through_its_public_api() -> None:
    assert problems("host", host_problem) == []


def test_only_the_web_plumbing_speaks_http_statuses() -> None:
    assert problems("host", lambda file, name, _level: http_problem(file, name)) == []


def test_guest_code_imports_only_the_stdlib_the_bridge_and_itself() -> None:
    assert problems("wasm-python", lambda _file, name, _level: guest_problem(name)) == []


def test_nothing_imports_the_guest_packages_on_the_host() -> None:
    bad = [
        f"{file}: {name}"
        for folder in ("runtime", "host")
        for file, name, _ in imports(folder)
        if top(name) in GUEST_PACKAGES
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
    # Guard against a vacuous pass: the scanner finds the imports we know exist, relative
    # ones by the absolute name Python gives them.
    runtime = {(name, level) for _, name, level in imports("runtime")}
    assert ("wasmtime", 0) in runtime
    assert ("widgetbox.runtime._artifacts", 1) in runtime  # runtime/__init__.py
    assert any(name == "widgetbox.runtime" for _, name, _ in imports("host"))
    assert any(within(name, "litestar.exceptions") for _, name, _ in imports("host"))
    assert ("_widgetbox.bridge", 1) in {(n, level) for _, n, level in imports("wasm-python")}


# -- the scanner against the forms a violation could take -------------------------------------

HOST_LOOPHOLES = [
    "from widgetbox.runtime import _artifacts",
    "from widgetbox.runtime._artifacts import locate",
    "import widgetbox.runtime._engine",
    "import widgetbox.runtime._engine as engine",
    "from ...runtime import _artifacts",  # host/gui/apps.py: widgetbox.runtime._artifacts
    "from ...runtime._artifacts import locate",
    "from ... import runtime",  # a relative import at all
    "from . import apps",
    "from ..... import anything",  # past the top-level package
    "import wasmtime",
    "from anvil import server",
    "import _widgetbox.driver",
]


@pytest.mark.parametrize("source", HOST_LOOPHOLES)
def test_the_host_rule_catches(source: str) -> None:
    found = imports_in("host/gui/apps.py", source)
    assert any(host_problem("host/gui/apps.py", name, level) for name, level in found)


@pytest.mark.parametrize(
    "source",
    ["from widgetbox.runtime import Runtime, Code", "from widgetbox.host.gui import hosts"],
)
def test_the_host_rule_allows(source: str) -> None:
    found = imports_in("host/gui/apps.py", source)
    assert not any(host_problem("host/gui/apps.py", name, level) for name, level in found)


def test_relative_imports_resolve_as_python_resolves_them() -> None:
    assert resolve("host/gui/apps.py", "runtime", 3) == "widgetbox.runtime"
    assert resolve("host/gui/__init__.py", "", 1) == "widgetbox.host.gui"
    assert resolve("runtime/_jobs.py", "_limits", 1) == "widgetbox.runtime._limits"
    assert resolve("wasm-python/_widgetbox/clients/httpx_transport.py", "", 2) == "_widgetbox"
    assert resolve("wasm-python/anvil/server.py", "", 2) == OUTSIDE
    assert resolve("host/app.py", "", 3) == OUTSIDE


HTTP_LOOPHOLES = [
    "from litestar.status_codes import HTTP_404_NOT_FOUND",
    "from litestar import status_codes",
    "import litestar.status_codes as codes",
    "from litestar.exceptions import NotFoundException",
    "from litestar.exceptions.http_exceptions import NotFoundException",
    "import litestar\nraise litestar.exceptions.NotFoundException()",
    "from http import HTTPStatus",
    "import http\nstatus = http.HTTPStatus.NOT_FOUND",
    "from http.client import NOT_FOUND",
    "from starlette import status",
]


@pytest.mark.parametrize("source", HTTP_LOOPHOLES)
def test_the_http_status_rule_catches(source: str) -> None:
    file = "host/widgets/records.py"
    assert any(http_problem(file, name) for name, _ in imports_in(file, source))
    # ...and lets the web plumbing, whose job it is, do the same
    file = "host/web/errors.py"
    assert not any(http_problem(file, name) for name, _ in imports_in(file, source))


def test_the_http_status_rule_allows_the_outbound_client() -> None:
    source = "import http.client\nconn: http.client.HTTPConnection\nfrom litestar import get"
    file = "host/outbound/client.py"
    assert not any(http_problem(file, name) for name, _ in imports_in(file, source))


@pytest.mark.parametrize(
    "source",
    [
        "from ..host import config",  # climbs out of the runtime into the host
        "from .. import host",
        "import widgetbox.host.config",
        "import litestar",
        "from anvil import server",
    ],
)
def test_the_runtime_rule_catches(source: str) -> None:
    found = imports_in("runtime/_jobs.py", source)
    assert any(runtime_problem("runtime/_jobs.py", name, level) for name, level in found)


def test_the_runtime_rule_allows_nats_only_in_remote() -> None:
    source = "import nats\nfrom ._limits import Limits"
    assert not any(
        runtime_problem("runtime/remote/_workers.py", name, level)
        for name, level in imports_in("runtime/remote/_workers.py", source)
    )
    assert any(
        runtime_problem("runtime/_jobs.py", name, level)
        for name, level in imports_in("runtime/_jobs.py", source)
    )


@pytest.mark.parametrize(
    "source",
    [
        "from .remote import _workers",
        "from . import remote",
        "import widgetbox.runtime.remote._workers",
        "try:\n    from .remote import _workers\nexcept ImportError:\n    pass",
        "if True:\n    from . import remote",
        "class A:\n    from .remote import _workers",
    ],
)
def test_the_remote_rule_catches(source: str) -> None:
    assert eager_remote_imports(source) != []


def test_the_remote_rule_allows_lazy_imports() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .remote import _workers\n"
        "def start():\n    from .remote import _workers\n"
    )
    assert eager_remote_imports(source) == []


@pytest.mark.parametrize("source", ["import requests", "from .. import anything"])
def test_the_guest_rule_catches(source: str) -> None:
    file = "wasm-python/anvil/server.py"
    assert any(guest_problem(name) for name, _ in imports_in(file, source))
