"""A guard for the code and vocabulary the host, the guest and the browser share: each has one
source, every side runs or reads that source, and what the build made from it equals it.

- The value codec (`anvil._serialize`), the `anvil.server` exception classes
  (`anvil._server_errors`), `anvil.tables` and `anvil.tz` live in wasm-python/anvil/. The guest
  imports them; the host loads the codec by path (`widgetbox.runtime._codec`); the client's
  bundle takes them all from there (client/src/gui/python.js), and client/build must have been
  built from them as they are.
- The run statuses live in runtime/statuses.json: the runtime's `Status`, the host and the page
  scripts read it, a background task's view carries its Anvil termination status from it to
  the guest's and the browser's `Task`, and no other place (host, runtime, guest, page scripts,
  the browser's `anvil`) spells three or more of them out in one literal.

What the codec does is tested once, in tests/unit/test_codec.py.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest

from tests.unit._client_dom import CLIENT_PYTHON, forget_modules, install_package, package_sources
from widgetbox.runtime import RUN_STATUSES, Status, _codec
from widgetbox.runtime._paths import GUEST_DIR, STATUS_FILE
from widgetbox.runtime._statuses import Termination

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
CLIENT_BUILD = REPO / "client" / "build"
SHARED = {
    "anvil/_serialize.py": GUEST_DIR / "anvil" / "_serialize.py",
    "anvil/_server_errors.py": GUEST_DIR / "anvil" / "_server_errors.py",
    "anvil/_portable.py": GUEST_DIR / "anvil" / "_portable.py",
    "anvil/_tasks.py": GUEST_DIR / "anvil" / "_tasks.py",
    "anvil/tz.py": GUEST_DIR / "anvil" / "tz.py",
    **{
        f"anvil/tables/{path.name}": path
        for path in sorted((GUEST_DIR / "anvil" / "tables").glob("*.py"))
    },
}
"""The guest's modules the browser client runs too, by their name in both packages."""


@pytest.fixture
def guest_server(guest_modules: None) -> types.ModuleType:
    import anvil.server

    return anvil.server


@pytest.fixture
def client_server(tmp_path: Path) -> Iterator[types.ModuleType]:
    """The client's `anvil.server`, installed as the build bundles the package."""
    saved = forget_modules()
    install_package(tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        import anvil.server

        yield anvil.server
    finally:
        sys.path.remove(str(tmp_path))
        forget_modules()
        sys.modules.update(saved)


# -- the codec and the exceptions --------------------------------------------------------------


def test_the_host_runs_the_guest_codec(guest_modules: None) -> None:
    from anvil import _serialize

    source = SHARED["anvil/_serialize.py"]
    assert source == _codec.SOURCE
    assert Path(_serialize.__file__) == source
    for name in ("encode", "decode"):
        host, guest = getattr(_codec, name), getattr(_serialize, name)
        assert host.__code__.co_filename == str(source), name
        assert host.__code__.co_code == guest.__code__.co_code, name
    assert _codec.SerializationError.__module__ == "widgetbox.runtime._codec"
    assert (_codec.TAG, _codec.MAX_DEPTH) == (_serialize.TAG, _serialize.MAX_DEPTH)


def test_the_browser_client_bundles_the_shared_modules_from_the_guest() -> None:
    sources = package_sources()
    for module, source in SHARED.items():
        assert sources[module] == source, module
        assert not (CLIENT_PYTHON / module).exists(), f"a copy of {module} in the client"


def _built_sources() -> dict[Path, str]:
    """What the client's build read, from its source maps: {source file: its text then}."""
    if not (CLIENT_BUILD / "manifest.json").is_file():
        pytest.skip("the client is not built (`just client` builds it)")
    found: dict[Path, str] = {}
    for map_file in CLIENT_BUILD.rglob("*.js.map"):
        sourcemap = json.loads(map_file.read_text())
        for name, text in zip(sourcemap["sources"], sourcemap["sourcesContent"], strict=True):
            found[(map_file.parent / name).resolve()] = text
    return found


def test_the_built_client_was_built_from_the_shared_sources_as_they_are() -> None:
    built = _built_sources()
    for source in [*SHARED.values(), STATUS_FILE]:
        assert source in built, f"{source.name} is not in client/build"
        assert built[source] == source.read_text(), (
            f"client/build was built from an older {source.name}: run `just client`"
        )


def test_both_anvil_server_modules_offer_the_shared_exceptions(
    guest_server: types.ModuleType,
) -> None:
    from anvil import _server_errors

    assert _server_errors.EXCEPTIONS[0] is _server_errors.AnvilWrappedError
    for cls in _server_errors.EXCEPTIONS:
        assert getattr(guest_server, cls.__name__) is cls
        assert cls.__name__ in guest_server.__all__
        assert cls.__module__ == "anvil.server"
        assert issubclass(cls, _server_errors.AnvilWrappedError)


def test_the_client_raises_every_shared_exception_by_name(
    client_server: types.ModuleType,
) -> None:
    from anvil import _server_errors

    for cls in _server_errors.EXCEPTIONS:
        assert getattr(client_server, cls.__name__) is cls
        assert cls.__name__ in client_server.__all__
        assert client_server._exception(f"anvil.server.{cls.__name__}", "m").__class__ is cls


def test_the_host_names_only_shared_exceptions() -> None:
    """The GUI call answers name `anvil.server` classes for the browser to raise."""
    tree = ast.parse(SHARED["anvil/_server_errors.py"].read_text())
    shared = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    text = "".join(path.read_text() for path in (REPO / "host").rglob("*.py"))
    named = set(re.findall(r"\"anvil\.server\.([A-Z]\w+)\"", text))  # classes, not functions
    assert named, "the scan finds the names the host answers with"
    assert named <= shared


# -- the run statuses --------------------------------------------------------------------------


def test_the_status_enum_is_the_vocabularys_outcomes() -> None:
    declared = json.loads(STATUS_FILE.read_text())["statuses"]
    assert list(RUN_STATUSES) == list(declared)
    assert [status.value for status in Status] == [
        name for name, fields in declared.items() if fields["outcome"]
    ]
    assert {status.tone for status in RUN_STATUSES.values()} <= {
        "ok",
        "bad",
        "busy",
        "warn",
        "idle",
    }


def test_a_finished_run_is_a_task_that_ended_in_anvils_words() -> None:
    """A task has a termination status once its run is over, and only then; it is one of the
    four Anvil's `Task.get_termination_status()` returns (tests/unit/test_guest_tasks.py
    checks each status's)."""
    anvils = set(get_args(Termination))
    assert anvils == {"completed", "failed", "killed", "missing"}
    for status in RUN_STATUSES.values():
        assert (status.termination is not None) is status.finished, status.name
        assert status.termination is None or status.termination in anvils, status.name


def test_the_page_scripts_read_the_vocabulary() -> None:
    lib = REPO / "client" / "src" / "lib"
    assert 'from "../../../runtime/statuses.json"' in (lib / "format.js").read_text()


FROZEN = {
    "migrations.py": "a shipped migration's CHECK never changes: a new status needs a new one",
    "schemas.py": "the API schema's Literal (msgspec and mypy need it spelled out)",
}
"""The host's modules allowed to spell the statuses out (by file name: they move), and why."""
SCANNED = (
    ("host", "*.py"),
    ("runtime", "*.py"),
    ("wasm-python", "*.py"),
    ("client/src", "*.js"),
    ("client/src/gui/python", "*.py"),
)
"""Where the statuses may not be spelled out: the host, the runtime, the guest (whose `anvil`
package the browser bundles too), the page scripts and the browser's own `anvil` package."""
LISTED = 3
"""Status names one literal may hold before it is a copy of the vocabulary."""


def _too_many(line: int, values: list[Any]) -> Iterator[str]:
    named = sorted({value for value in values if isinstance(value, str) and value in RUN_STATUSES})
    if len(named) >= LISTED:
        yield f"line {line}: {', '.join(named)}"


def _spelled_lists(text: str) -> Iterator[str]:
    """Runs of three or more quoted status names separated only by commas, in any text
    (a SQL `IN (...)` inside a string too)."""
    names = "|".join(re.escape(name) for name in RUN_STATUSES)
    for quote in "\"'":
        item = rf"{quote}(?:{names}){quote}"
        for found in re.finditer(rf"{item}(?:\s*,\s*{item}){{2,}}", text):
            yield found.group(0)


def _python_listings(text: str) -> Iterator[str]:
    """Python literals holding three or more status names: tuples, lists, sets, dict keys,
    `dict(...)`'s keywords and `case` alternatives."""
    for node in ast.walk(ast.parse(text)):
        values: list[Any]
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            values = [item.value for item in node.elts if isinstance(item, ast.Constant)]
        elif isinstance(node, ast.Dict):
            values = [key.value for key in node.keys if isinstance(key, ast.Constant)]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            values = [keyword.arg for keyword in node.keywords] if node.func.id == "dict" else []
        elif isinstance(node, ast.MatchOr):
            values = [
                pattern.value.value
                for pattern in node.patterns
                if isinstance(pattern, ast.MatchValue) and isinstance(pattern.value, ast.Constant)
            ]
        else:
            continue
        yield from _too_many(getattr(node, "lineno", 0), values)


_JS_TOKEN = re.compile(
    r"""//[^\n]*|/\*.*?\*/"""  # comments
    r"""|(?P<quote>["'`])(?P<text>(?:\\.|(?!(?P=quote)).)*?)(?P=quote)"""  # a string
    r"""|(?P<open>[\[{(])|(?P<close>[\]})])"""
    r"""|(?P<key>(?<![\w$.])[A-Za-z_$][\w$]*)\s*:(?!:)""",  # an object's key
    re.DOTALL,
)


def _script_listings(text: str) -> Iterator[str]:
    """Brackets in a page script (an array, an object, a call's arguments, a block) holding
    three or more status names of their own, as strings or as object keys."""
    groups: list[tuple[int, list[Any]]] = [(0, [])]  # the file's top level is not one
    for token in _JS_TOKEN.finditer(text):
        if token["open"]:
            groups.append((text.count("\n", 0, token.start()) + 1, []))
        elif token["close"] and len(groups) > 1:
            yield from _too_many(*groups.pop())
        elif token["quote"]:
            groups[-1][1].append(token["text"])
        elif token["key"]:
            groups[-1][1].append(token["key"])
    for group in groups[1:]:  # left open
        yield from _too_many(*group)


def _spelled_out(path: Path, text: str) -> list[str]:
    if path.suffix == ".py":
        return [*_spelled_lists(text), *_python_listings(text)]
    return list(_script_listings(text))


def test_no_other_place_spells_the_statuses_out() -> None:
    found: dict[str, Any] = {}
    scanned = 0
    for folder, pattern in SCANNED:
        for path in sorted((REPO / folder).rglob(pattern)):
            if "__pycache__" in path.parts:
                continue
            scanned += 1
            lists = _spelled_out(path, path.read_text())
            if lists and not (folder == "host" and path.name in FROZEN):
                found[str(path.relative_to(REPO))] = lists
    assert scanned > 300, "the scan reads every folder"
    assert found == {}, (
        "read the statuses from widgetbox.runtime (RUN_STATUSES, FINISHED), format.js, or a "
        "task's view (its `termination`)"
    )
    frozen = REPO / "host" / "storage" / "migrations.py"
    assert _spelled_out(frozen, frozen.read_text()), "the scan finds what FROZEN allows"


SPELLED_PYTHON = [
    'RUNNING = ("queued", "running", "ok")',
    'DONE = ["ok", "error", "timeout", "memory"]',
    'if status in {"killed", "interrupted", "skipped"}:\n    pass',
    'WORDS = {"ok": "completed", "error": "failed", "killed": "killed"}',
    "WORDS = dict(ok=1, error=2, timeout=3)",
    'match status:\n    case "ok" | "error" | "timeout":\n        pass',
    'MIXED = ("ok", 1, "error", "other", "skipped")',
    "SQL = \"SELECT 1 FROM runs WHERE status IN ('queued', 'running', 'ok')\"",
]
NOT_SPELLED_PYTHON = [
    'RUNNING = ("queued", "running")',
    'TONES = {"ok": 1, "bad": 2, "busy": 3}',
    'f("ok")\ng("error")\nh("timeout")',
    'NESTED = [("ok",), ("error",), ("timeout",)]',
    '"""Runs end ok, error or timeout."""',
    'WORDS = {"ok": "error", "x": "timeout", "y": "memory"}',
]
SPELLED_SCRIPT = [
    'const done = ["ok", "error", "timeout"];',
    'const words = { ok: "completed", error: "failed", killed: "killed" };',
    "const quoted = { \"queued\": 1, 'running': 2, ok: 3 };",
    'function tone(s) {\n  return s === "ok" ? 1 : s === "error" ? 2 : s === "memory" ? 3 : 0;\n}',
    'switch (s) {\n  case "ok":\n  case "killed":\n  case "skipped":\n    break;\n}',
    "const open = [`ok`, `error`, `timeout`",
]
NOT_SPELLED_SCRIPT = [
    'const two = ["queued", "running"];',
    'f("ok");\ng("error");\nh("timeout");',
    'function a() {\n  f("ok");\n  g("error");\n  h("timeout");\n}',
    '// "ok", "error", "timeout"\n/* { ok: 1, error: 2, timeout: 3 } */',
    'const tones = { none: "idle", pending: "busy", ready: "ok", failed: "bad" };',
    'const text = "ok, error, timeout";',
    "const o = { a: x.ok, b: x.error, c: x.timeout };",
]


@pytest.mark.parametrize("text", SPELLED_PYTHON)
def test_the_scan_finds_python_that_spells_the_statuses(text: str) -> None:
    assert _spelled_out(Path("x.py"), text)


@pytest.mark.parametrize("text", NOT_SPELLED_PYTHON)
def test_the_scan_lets_python_name_a_few(text: str) -> None:
    assert _spelled_out(Path("x.py"), text) == []


@pytest.mark.parametrize("text", SPELLED_SCRIPT)
def test_the_scan_finds_scripts_that_spell_the_statuses(text: str) -> None:
    assert _spelled_out(Path("x.js"), text)


@pytest.mark.parametrize("text", NOT_SPELLED_SCRIPT)
def test_the_scan_lets_scripts_name_a_few(text: str) -> None:
    assert _spelled_out(Path("x.js"), text) == []
