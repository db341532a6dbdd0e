"""The widget's own modules, imported from the host's memory rather than through the files.

Every file call a guest makes (a stat, an open, a read) is a trip to a thread of
wasmtime's: 13 us on the guest's core, 60-100 us when that thread wakes on another one.
Importing one module through `/widget` made about twenty of them (the folder's listing and
its stats, the module's stats, the bytecode's open, stats and reads), a good part of a
fresh run's time. Yet the host knows the widget's files, and their bytecode, before the
run starts. So the job lists them (`files`, and `bytecode` for the compiled ones), and
each folder of the widget gets a finder here that answers from that list, and a loader
that takes the module's bytecode (or its source, not compiled yet) through the bridge in
one call (`widgetbox.file`): no file call at all.

Nothing else changes for the widget's code. The finders are `sys.path_importer_cache`'s
entries for `/widget` and its folders, so `sys.path`'s order holds (a folder before
`/widget` still wins), and they decide as `FileFinder` does: a package, then a module,
then a namespace package. The modules are the ones the files would give: `__file__`,
`__cached__`, `__path__` and `__spec__` the same, and the loader a `SourceFileLoader`, so
`get_data`, `get_source`, resources, `pkgutil.iter_modules` and tracebacks read the real
files. The sources stay in `/widget` for that; the bytecode is only here.
"""

import marshal
import sys
from importlib.machinery import FileFinder, ModuleSpec, PathFinder, SourceFileLoader
from importlib.util import module_from_spec, spec_from_file_location

from . import bridge

FILE = "widgetbox.file"
PACKAGE, MODULE, NAMESPACE = "package", "module", "namespace"

_root = "/widget"
_bytecode = frozenset()
"""The relative paths of the widget's compiled files (`__pycache__/x.<tag>.pyc`)."""


_installed = None
"""What the finders in place were made from (a kept interpreter's later runs have the same)."""


def install(root, files, bytecode):
    """Answer imports from `root` (the widget's folder) and its folders from `files` (the
    widget's relative paths) and `bytecode` (the compiled ones' relative paths)."""
    global _root, _bytecode, _installed
    listing = (root, tuple(files), tuple(bytecode))
    if listing == _installed and isinstance(sys.path_importer_cache.get(root), WidgetFinder):
        return  # a kept interpreter's later run, its finders still there
    _root, _bytecode, _installed = root, frozenset(bytecode), listing
    for folder, entries in _folders(files).items():
        path = f"{root}/{folder}" if folder else root
        sys.path_importer_cache[path] = WidgetFinder(path, entries)


def import_entry(name):
    """`import name` for the run's entry module, a fresh interpreter's first import of the
    widget's code, without most of importlib's steps: nearly half of a hello route's
    instructions were importlib's own. What `import` does for it is done here, in its order
    (`_entry_spec`): the finders ahead of the path consulted, the widget's folder's finder
    asked; then the module made from its spec, put in `sys.modules` while it runs (marked
    initializing, so that a circular import is named one) and taken out again if it fails.
    The module lock is left out: a guest has one thread. Any other case is `import`'s own."""
    spec = _entry_spec(name)
    if spec is None:
        __import__(name)
        return
    module = module_from_spec(spec)
    spec._initializing = True
    try:
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
    finally:
        spec._initializing = False


def _entry_spec(name):
    """The spec `import name` would load from the widget's folder, or None where `import`
    must decide: a module imported already (a kept interpreter's), one in a package, a
    changed `sys.path` (the widget's folder first, as `PathFinder` reads it), a module a
    finder ahead of the path gives (it would win), or none at all (`import` words the
    error)."""
    finder = sys.path_importer_cache.get(_root)
    if name in sys.modules or "." in name or sys.path[:1] != [_root]:
        return None
    if not isinstance(finder, WidgetFinder) or PathFinder not in sys.meta_path:
        return None
    for ahead in sys.meta_path[: sys.meta_path.index(PathFinder)]:
        if ahead.find_spec(name, None) is not None:
            return None
    return finder.find_spec(name)


def read(relative):
    """The bytes of one of the widget's files, through the bridge."""
    return bridge.call_for_bytes(FILE, relative)


def compiled(relative):
    """The code of the widget's `relative` .py file from its bytecode, or None when it has
    none (the host compiles each version once, after its first run)."""
    pyc = _pyc(relative)
    if pyc not in _bytecode:
        return None
    # The host's own compile job made this from the same source (runtime/_pycache.py).
    return marshal.loads(memoryview(read(pyc))[16:])  # noqa: S302 - after the pyc header


def _pyc(relative):
    folder, _, name = relative.rpartition("/")
    pyc = f"__pycache__/{name[:-3]}.{sys.implementation.cache_tag}.pyc"
    return f"{folder}/{pyc}" if folder else pyc


def _folders(files):
    """{folder: {name: PACKAGE, MODULE or NAMESPACE}} for every folder holding a file."""
    present = set(files)
    folders = {"": {}}
    for relative in files:
        parts = relative.split("/")
        for depth in range(1, len(parts)):
            folders.setdefault("/".join(parts[:depth]), {})
    for folder in folders:
        if folder:
            parent, _, name = folder.rpartition("/")
            folders[parent][name] = PACKAGE if f"{folder}/__init__.py" in present else NAMESPACE
    for relative in files:  # a module before a namespace package, after a package
        folder, _, name = relative.rpartition("/")
        if name.endswith(".py") and name != ".py":
            entries = folders[folder]
            if entries.get(name[:-3]) != PACKAGE:
                entries[name[:-3]] = MODULE
    return folders


class WidgetLoader(SourceFileLoader):
    """A widget's module, its code taken through the bridge (see the module's docstring)."""

    def get_code(self, fullname):
        relative = self.path[len(_root) + 1 :]
        code = compiled(relative)
        if code is not None:
            return code
        return self.source_to_code(read(relative), self.path)


class WidgetFinder(FileFinder):
    """The finder of one of the widget's folders, answering from the job's list of files."""

    def __init__(self, path, entries):
        super().__init__(path, (WidgetLoader, [".py"]))
        self._entries = entries

    def find_spec(self, fullname, target=None):
        tail = fullname.rpartition(".")[2]
        kind = self._entries.get(tail)
        if kind is None:
            return None
        base = f"{self.path}/{tail}"
        if kind == NAMESPACE:
            spec = ModuleSpec(fullname, None)
            spec.submodule_search_locations = [base]
            return spec
        origin = f"{base}/__init__.py" if kind == PACKAGE else f"{base}.py"
        return spec_from_file_location(
            fullname,
            origin,
            loader=WidgetLoader(fullname, origin),
            submodule_search_locations=[base] if kind == PACKAGE else None,
        )

    def invalidate_caches(self):
        """The widget's files do not change during a run (`/widget` is read-only)."""
