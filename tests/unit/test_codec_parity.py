"""A guard for the code and vocabulary the host, the guest and the browser share: each has one
source, every side runs or reads that source, and what the build made from it equals it.

- The value codec (`anvil._serialize`), the `anvil.server` exception classes
  (`anvil._server_errors`), `anvil.tables` and `anvil.tz` live in wasm-python/anvil/. The guest
  imports them; the host loads the codec by path (`widgetbox.runtime._codec`); the client's
  bundle takes them all from there (client/src/gui/python.js), and client/build must have been
  built from them as they are.
- The run statuses live in runtime/statuses.json: the runtime's `Status`, the host and the page
  scripts read it, and no other place spells the list out.

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
from typing import Any

import pytest

from tests.unit._client_dom import CLIENT_PYTHON, forget_modules, install_package, package_sources
from widgetbox.runtime import RUN_STATUSES, Status, _codec
from widgetbox.runtime._paths import GUEST_DIR, STATUS_FILE

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


def test_the_page_scripts_read_the_vocabulary() -> None:
    lib = REPO / "client" / "src" / "lib"
    assert 'from "../../../runtime/statuses.json"' in (lib / "format.js").read_text()


FROZEN = {
    "migrations.py": "a shipped migration's CHECK never changes: a new status needs a new one",
    "schemas.py": "the API schema's Literal (msgspec and mypy need it spelled out)",
}
"""The host's modules allowed to spell the statuses out (by file name: they move), and why."""


def _spelled_lists(text: str, quote: str) -> Iterator[str]:
    """Runs of three or more quoted status names, separated only by commas and spaces."""
    names = "|".join(re.escape(name) for name in RUN_STATUSES)
    item = rf"{quote}(?:{names}){quote}"
    yield from (found.group(0) for found in re.finditer(rf"{item}(?:\s*,\s*{item}){{2,}}", text))


def test_no_other_place_spells_the_statuses_out() -> None:
    found: dict[str, Any] = {}
    for folder, pattern in (("host", "*.py"), ("runtime", "*.py"), ("client/src", "*.js")):
        for path in sorted((REPO / folder).rglob(pattern)):
            name = str(path.relative_to(REPO))
            text = path.read_text()
            lists = [*_spelled_lists(text, '"'), *_spelled_lists(text, "'")]
            if lists and not (folder == "host" and path.name in FROZEN):
                found[name] = lists
    assert found == {}, "read the statuses from widgetbox.runtime.RUN_STATUSES or format.js"
