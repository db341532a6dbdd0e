"""The entry file an imported Anvil app gets (`server.py` of a GUI widget, `main.py` of an
HTTP API or a scheduled task): it loads the app's server modules as Anvil does.

Anvil puts an app's client modules, forms and server modules in one package, named by
`package_name` (`MyApp.ServerModule1`, `MyApp.Module1`), imports every server module when
the app starts, and still lets old code import a module of the app by its bare name. The
entry does the same in the sandbox: the package's folders are `server_code/` and then
`client_code/`, every top-level module and package of `server_code/` is imported (so its
functions, endpoints and background tasks are registered, and any module may import any
other: `from . import Other`, `from .Module1 import helper`, `import Other`), and
`package_name` comes from `app.json` when the code runs, so a renamed package needs no new
entry. A scheduled task's entry then launches the app's background task, as Anvil's
scheduler does.

Export leaves the entry out (it is recognised by its exact text) and writes the modules back
under `server_code/`.
"""

from __future__ import annotations

import json

ENTRY_FILES = {"gui": "server.py", "http": "main.py", "scheduled": "main.py"}

_LOADER = '''\
"""Made by Widgetbox when this Anvil app was imported: it loads every server module in
server_code/ as Anvil does, into the app's package (package_name in app.json), beside the
client code. Edit the modules rather than this file; `widgetbox export` leaves it out."""

import importlib
import importlib.machinery
import importlib.util
import json
import os
import sys

_ROOT = os.path.dirname(os.path.abspath(__file__))
_FOLDERS = [os.path.join(_ROOT, "server_code"), os.path.join(_ROOT, "client_code")]


def _package_name():
    try:
        with open(os.path.join(_ROOT, "app.json"), encoding="utf-8") as f:
            name = json.load(f).get("package_name")
    except (OSError, ValueError, AttributeError):
        name = None
    return name if isinstance(name, str) and name.isidentifier() else "client_code"


PACKAGE = _package_name()


def _is_module(folder, name):
    return os.path.isfile(os.path.join(folder, name + ".py")) or os.path.isfile(
        os.path.join(folder, name, "__init__.py")
    )


class _BareNames:
    """`import Other` finds the app's module `<package>.Other`, as Anvil lets old code."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if path is not None or "." in name or name == PACKAGE:
            return None
        if any(_is_module(folder, name) for folder in _FOLDERS):
            return importlib.machinery.ModuleSpec(name, _BareNames)
        return None

    @staticmethod
    def create_module(spec):
        return importlib.import_module(PACKAGE + "." + spec.name)

    @staticmethod
    def exec_module(module):
        pass


if PACKAGE not in sys.modules:
    _spec = importlib.machinery.ModuleSpec(PACKAGE, None, is_package=True)
    _spec.submodule_search_locations = list(_FOLDERS)
    sys.modules[PACKAGE] = importlib.util.module_from_spec(_spec)
    sys.meta_path.append(_BareNames)

for _entry in sorted(os.listdir(_FOLDERS[0]) if os.path.isdir(_FOLDERS[0]) else []):
    _name = _entry[:-3] if _entry.endswith(".py") else _entry
    if _name.isidentifier() and _name != "__init__" and _is_module(_FOLDERS[0], _name):
        importlib.import_module(PACKAGE + "." + _name)
'''

_TASK = """
if __name__ == "__main__":
    import anvil.server

    anvil.server.launch_background_task({task})
"""


def entry_text(task: str | None = None) -> str:
    """The entry: the loader, and for a scheduled task the launch of its background task."""
    if task is None:
        return _LOADER
    return _LOADER + _TASK.format(task=json.dumps(task))


def entry_task(text: str) -> str | bool | None:
    """The task an entry launches, None for an entry without one, False for other code."""
    if text == _LOADER:
        return None
    if not text.startswith(_LOADER):
        return False
    before, after = _TASK.split("{task}")
    rest = text[len(_LOADER) :]
    if not (rest.startswith(before) and rest.endswith(after)) or len(rest) < len(before + after):
        return False
    try:
        task = json.loads(rest[len(before) : len(rest) - len(after)])
    except ValueError:
        return False
    return task if isinstance(task, str) and entry_text(task) == text else False
