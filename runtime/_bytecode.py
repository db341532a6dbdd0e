"""The guest package (wasm-python/) precompiled into one bundle, built once per version.

Compiling the driver and the `anvil` package from source, or even importing them through
the file system or zipimport, costs every fresh interpreter milliseconds of start-up. So the
guest's own CPython 3.15 compiles them once (`BUILD`, run in the sandbox) into a single
marshalled bundle `{module name: (is package, file name, marshalled code)}`, and every
interpreter's warm-up reads that one file and installs a tiny import finder for it
(`WARM_UP`). Each module's code stays marshalled until the module is imported: most runs
import a few of the guest's modules (the driver, `anvil.server`), and unmarshalling all of
them up front cost every interpreter 3.3 ms of its start (0.04 ms now). The bundle lives in
the cache, keyed by the sources' hash, the interpreter's and these scripts', and is rebuilt
automatically when any of them changes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from ._paths import GUEST_DIR

BUNDLE_NAME = "guest.bundle"

BUILD = """
import marshal, os

root = "/widgetbox"
modules = {}
for folder, dirs, files in os.walk(root):
    dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
    for name in sorted(files):
        if not name.endswith(".py"):
            continue
        path = f"{folder}/{name}"
        parts = path[len(root) + 1 : -3].split("/")
        package = parts[-1] == "__init__"
        if package:
            parts.pop()
        with open(path, "rb") as f:
            code = compile(f.read(), path, "exec", dont_inherit=True)
        modules[".".join(parts)] = (package, path, marshal.dumps(code))
with open("/tmp/guest.bundle", "wb") as f:
    f.write(marshal.dumps(modules))
"""

WARM_UP = """
import marshal, sys
sys.dont_write_bytecode = True  # every mount but /tmp is read-only
from _frozen_importlib import ModuleSpec

class _GuestBundle:
    def __init__(self, modules):
        self.modules = modules
    def find_spec(self, name, path=None, target=None):
        entry = self.modules.get(name)
        if entry is None:
            return None
        return ModuleSpec(name, self, origin=entry[1], is_package=entry[0])
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        _, path, code = self.modules[module.__name__]
        module.__file__ = path
        exec(marshal.loads(code), module.__dict__)

with open({bundle!r}, "rb") as _f:
    sys.meta_path.insert(0, _GuestBundle(marshal.loads(_f.read())))
del _f
sys.path.insert(0, {widget!r})
import _widgetbox.driver as __widgetbox_driver
"""


def sources_digest(module_sha256: str) -> str:
    """A digest of every guest source file, the interpreter they are compiled for and the
    scripts that build and load the bundle (its format)."""
    digest = hashlib.sha256(f"{module_sha256}\0{BUILD}\0{WARM_UP}\0".encode())
    for path in sorted(GUEST_DIR.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        digest.update(str(path.relative_to(GUEST_DIR)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


def bundle_dir(cache: Path, module_sha256: str) -> Path:
    """The folder that holds (or will hold) the bundle for the current sources."""
    return cache / "guest" / sources_digest(module_sha256)


def install(data: bytes, folder: Path) -> Path:
    """Write the bundle into `folder` atomically and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=folder, prefix=".bundle-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    target = folder / BUNDLE_NAME
    os.replace(partial, target)
    return target
