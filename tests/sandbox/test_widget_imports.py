"""A widget's own modules are imported from the host's memory (`_widgetbox/imports.py`), not
through /widget's files, and behave exactly as modules imported from the files would."""

from __future__ import annotations

import json
import textwrap
import uuid
from typing import Any

import pytest

from widgetbox.runtime import Code, HttpRequest, Persistent, Route, Runtime, Status

pytestmark = pytest.mark.sandbox


def answer(runtime: Runtime, files: dict[str, str], path: str = "/", **kwargs: Any) -> Any:
    code = Code(files={name: textwrap.dedent(text) for name, text in files.items()})
    result = runtime.run(Route(code, HttpRequest("GET", path), **kwargs))
    assert result.status is Status.OK, result.message + result.stderr
    response = result.response
    assert response is not None
    if response.headers["content-type"].startswith("application/json"):
        return json.loads(response.body)
    return response.body.decode()


LAYOUT = {
    "main.py": """
        import importlib, importlib.resources, inspect, pkgutil, sys
        from importlib.machinery import FileFinder, SourceFileLoader
        import anvil.server
        import pkg.sub.deep, pkg.mod, space.part, both

        def as_files_make_it(module):
            # the spec a finder reading the files gives, against the module's own
            where = module.__spec__.origin or list(module.__path__)[0]
            if where.endswith("/__init__.py"):
                where = where.rpartition("/")[0]
            spec = FileFinder(where.rpartition("/")[0], (SourceFileLoader, [".py"])).find_spec(
                module.__name__
            )
            fields = lambda s: (s.name, s.origin, s.cached, s.parent, s.has_location,
                                list(s.submodule_search_locations or []))
            return fields(spec) == fields(module.__spec__)

        @anvil.server.route("/")
        def root(**q):
            deep = pkg.sub.deep
            return {
                "deep": deep.VALUE,
                "relative": pkg.mod.from_sibling(),
                "file": deep.__file__,
                "cached": deep.__spec__.cached,
                "same_specs": [as_files_make_it(m) for m in (deep, pkg, pkg.sub, space, both)],
                "package_path": list(pkg.__path__),
                "namespace_path": list(space.__path__),
                "namespace_file": getattr(space, "__file__", None),
                "part": space.part.NAME,
                "both": both.KIND,
                "resource": importlib.resources.files("pkg").joinpath("data.txt").read_text(),
                "listed": sorted(m.name for m in pkgutil.iter_modules(["/widget"])),
                "source": inspect.getsource(pkg.mod.from_sibling).splitlines()[0],
                "loader": type(deep.__loader__).__mro__[1].__name__,
                "reloaded": importlib.reload(pkg.mod).from_sibling(),
                "missing": importlib.util.find_spec("not_a_module") is None,
            }
    """,
    "pkg/__init__.py": "",
    "pkg/data.txt": "a resource",
    "pkg/mod.py": """
        from .sub import deep
        def from_sibling():
            return deep.VALUE * 2
    """,
    "pkg/sub/__init__.py": "",
    "pkg/sub/deep.py": "VALUE = 21\n",
    "space/part.py": "NAME = 'a namespace portion'\n",
    "both.py": "KIND = 'module'\n",
    "both/__init__.py": "KIND = 'package'\n",
}


def test_modules_packages_and_namespaces_are_what_the_files_make(runtime: Runtime) -> None:
    found = answer(runtime, LAYOUT)
    assert found == {
        "deep": 21,
        "relative": 42,
        "file": "/widget/pkg/sub/deep.py",
        "cached": "/widget/pkg/sub/__pycache__/deep.cpython-315.pyc",
        "same_specs": [True] * 5,
        "package_path": ["/widget/pkg"],
        "namespace_path": ["/widget/space"],
        "namespace_file": None,
        "part": "a namespace portion",
        "both": "package",  # a package wins over a module of the same name, as FileFinder's
        "resource": "a resource",
        "listed": ["both", "main", "pkg"],  # pkgutil lists no namespace package
        "source": "def from_sibling():",
        "loader": "SourceFileLoader",
        "reloaded": 42,
        "missing": True,
    }


def test_a_module_wins_over_a_namespace_folder(runtime: Runtime) -> None:
    files = {
        "main.py": """
            import anvil.server, thing
            @anvil.server.route("/")
            def root(**q):
                return thing.KIND
        """,
        "thing.py": "KIND = 'module'\n",
        "thing/notes.txt": "not a package",
    }
    assert answer(runtime, files) == "module"


def test_no_file_of_the_widget_is_opened_to_import_it(runtime: Runtime) -> None:
    files = {
        "main.py": """
            import sys
            opened = []
            sys.addaudithook(lambda event, args: event == "open" and opened.append(str(args[0])))
            import anvil.server, helper
            imported = list(opened)
            open(helper.__file__).close()  # the hook does see files opened
            @anvil.server.route("/")
            def root(**q):
                return {"imported": imported, "opened": opened, "value": helper.VALUE}
        """,
        "helper.py": "VALUE = 'imported'\n",
    }
    assert answer(runtime, files) == {
        "imported": [],
        "opened": ["/widget/helper.py"],
        "value": "imported",
    }


def test_a_folder_before_the_widget_on_sys_path_still_wins(runtime: Runtime) -> None:
    files = {
        "main.py": """
            import sys
            with open("/tmp/shadow.py", "w") as f:
                f.write("WHERE = 'tmp'\\n")
            sys.path.insert(0, "/tmp")
            import anvil.server, shadow
            @anvil.server.route("/")
            def root(**q):
                return shadow.WHERE
        """,
        "shadow.py": "WHERE = 'widget'\n",
    }
    assert answer(runtime, files) == "tmp"


def test_a_kept_interpreter_imports_a_module_first_needed_by_a_later_run(
    runtime: Runtime,
) -> None:
    files = {
        "main.py": """
            import anvil.server
            @anvil.server.route("/")
            def root(**q):
                return "root"
            @anvil.server.route("/late")
            def late(**q):
                import later
                return later.VALUE
        """,
        "later.py": "VALUE = 'imported in a later run'\n",
    }
    kept = Persistent(uuid.uuid4().hex, "1")
    assert answer(runtime, files, persistent=kept) == "root"
    assert answer(runtime, files, "/late", persistent=kept) == "imported in a later run"


def test_the_door_hands_over_only_the_widgets_code(runtime: Runtime) -> None:
    files = {
        "main.py": """
            import anvil.server
            from _widgetbox import bridge
            @anvil.server.route("/")
            def root(**q):
                refused = {}
                for path in ["notes.txt", "../main.py", "/widget/main.py", "absent.py", 7]:
                    try:
                        bridge.call_for_bytes("widgetbox.file", path)
                    except bridge.HostCallError as e:
                        refused[str(path)] = e.kind
                with open("/widget/main.py", "rb") as f:
                    same = bridge.call_for_bytes("widgetbox.file", "main.py") == f.read()
                return {"refused": refused, "main": same}
        """,
        "notes.txt": "data, not code",
    }
    found = answer(runtime, files)
    assert found["refused"] == dict.fromkeys(
        ["notes.txt", "../main.py", "/widget/main.py", "absent.py", "7"], "NotFound"
    )
    assert found["main"] is True  # the file's bytes as they are


ENTRY_ITSELF = {
    "main.py": """
        import sys
        import anvil.server
        from importlib.machinery import FileFinder, SourceFileLoader

        INITIALIZING = __spec__._initializing
        import helper  # imports this module back, half made

        def dunders(module):  # helper's, made by `import` itself, and main's
            return sorted(name for name in vars(module) if name.startswith("__"))

        @anvil.server.route("/")
        def root(**q):
            module = sys.modules[__name__]
            spec = FileFinder("/widget", (SourceFileLoader, [".py"])).find_spec("main")
            fields = lambda s: (s.name, s.origin, s.cached, s.parent, s.has_location,
                                s.submodule_search_locations)
            return {
                "name": __name__,
                "file": __file__,
                "cached": __spec__.cached,
                "package": __package__,
                "same_attributes": dunders(module) == dunders(helper),
                "same_spec": fields(spec) == fields(__spec__),
                "loader_is_specs": __loader__ is __spec__.loader,
                "source_loader": isinstance(__loader__, SourceFileLoader),
                "in_modules": module.root is root,
                "initializing": [INITIALIZING, __spec__._initializing],
                "circular": helper.CIRCULAR,
            }

        LATER = "defined after helper's import"
    """,
    "helper.py": """
        try:
            from main import LATER
        except ImportError as e:
            CIRCULAR = str(e)
    """,
}


def test_the_entry_is_imported_as_import_would(runtime: Runtime) -> None:
    """The entry module is imported without most of importlib's steps
    (`imports.import_entry`), and is the module `import main` makes."""
    found = answer(runtime, ENTRY_ITSELF)
    assert found == {
        "name": "main",
        "file": "/widget/main.py",
        "cached": "/widget/__pycache__/main.cpython-315.pyc",
        "package": "",
        "same_attributes": True,
        "same_spec": True,
        "loader_is_specs": True,
        "source_loader": True,
        "in_modules": True,
        "initializing": [True, False],
        "circular": "cannot import name 'LATER' from partially initialized module 'main' "
        "(most likely due to a circular import) (/widget/main.py)",
    }


def test_an_entry_that_fails_is_not_left_imported(runtime: Runtime) -> None:
    """A kept interpreter's entry that raised is imported afresh by its next run, as a
    failed `import` leaves nothing in `sys.modules`."""
    files = {
        "main.py": """
            import os
            import anvil.server
            FIRST = not os.path.exists("/tmp/tried")
            open("/tmp/tried", "w").close()
            if FIRST:
                raise RuntimeError("the first import fails")

            @anvil.server.route("/")
            def root(**q):
                return "imported again"
        """,
    }
    code = Code(files={name: textwrap.dedent(text) for name, text in files.items()})
    kept = Persistent(uuid.uuid4().hex, "1")
    failed = runtime.run(Route(code, HttpRequest("GET", "/"), persistent=kept))
    assert failed.status is Status.ERROR
    assert "the first import fails" in failed.message
    assert answer(runtime, files, persistent=kept) == "imported again"
