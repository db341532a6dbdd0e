"""Compiled bytecode for widgets' files, so a request does not compile the widget every time.

Compiling is the largest part of a fresh interpreter's work on a request: about 7 ms for a
300-line module, in every run, because every run starts from nothing. So the first run of
a version of a widget compiles as usual, and meanwhile a background job compiles the files
once more in a separate sandbox (`COMPILE`: only `compile()`, no widget code is executed),
and keeps the resulting `.pyc` files here, keyed by each file's path and content hash. Later
runs are given them with their job (by their `__pycache__` paths), and the guest's import
of the widget's modules (and the driver, for scripts) loads them without compiling (see
`_widgetbox/imports.py`).

The bytecode is made by Widgetbox's own code from the source alone, so it is exactly what
compiling that source gives, whoever asks: sharing it between widgets is safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from ._jobs import Code, Script
from ._limits import Limits
from ._result import Status

if TYPE_CHECKING:
    from ._guest import Guest

log = logging.getLogger("widgetbox.runtime")

MAX_BYTES = 64 * 1024 * 1024
"""The cache's size; the least recently used bytecode is dropped beyond it."""

COMPILE_ENTRY = "__widgetbox_compile__.py"
COMPILE = """
import importlib.util, os
from importlib._bootstrap_external import _code_to_hash_pyc

for relative in {files!r}:
    path = "/widget/" + relative
    with open(path, "rb") as f:
        source = f.read()
    try:
        code = compile(source, path, "exec", dont_inherit=True)
    except SyntaxError:
        continue  # a run reports it, with its line
    target = "/tmp/pyc/" + relative
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as f:
        f.write(_code_to_hash_pyc(code, importlib.util.source_hash(source), checked=False))
"""
COMPILE_LIMITS = Limits(timeout=60.0)


PACKAGES_COMPILE = """
import importlib.util, os
from importlib._bootstrap_external import _code_to_hash_pyc

compiled = 0
for folder, dirs, files in os.walk("/packages"):
    dirs[:] = sorted(d for d in dirs if d != "__pycache__")
    for name in sorted(files):
        if not name.endswith(".py"):
            continue
        path = folder + "/" + name
        with open(path, "rb") as f:
            source = f.read()
        try:
            code = compile(source, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            continue  # importing it reports the error, as it would anywhere
        target = importlib.util.cache_from_source(path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(_code_to_hash_pyc(code, importlib.util.source_hash(source), checked=False))
        compiled += 1
print(compiled)
"""
PACKAGES_COMPILE_LIMITS = Limits(
    timeout=600.0, memory=1024 * 1024 * 1024, scratch_bytes=2**40, scratch_files=10**7
)
"""The folder is the host's and already limited in size; the bytecode is about as large."""


def pyc_path(relative: str, cache_tag: str) -> str:
    """`lib/__pycache__/util.cpython-315.pyc` for `lib/util.py`."""
    folder, _, name = relative.rpartition("/")
    pyc = f"__pycache__/{name[:-3]}.{cache_tag}.pyc"
    return f"{folder}/{pyc}" if folder else pyc


def _key(relative: str, text: str) -> tuple[str, str]:
    return relative, hashlib.sha256(text.encode("utf-8")).hexdigest()


class CompileFailed(Exception):
    """A compile job did not finish; `quiet` when only because the runtime is closing."""

    def __init__(self, message: str, quiet: bool = False) -> None:
        super().__init__(message)
        self.quiet = quiet


CompileFiles = Callable[[dict[str, str]], dict[str, bytes]]
"""Compiles widget files (relative path -> source) into pyc bytes by relative path (empty
bytes for a file that does not compile); raises CompileFailed."""


def compile_in_guest(guest: Guest, files: dict[str, str]) -> dict[str, bytes]:
    """Run the compile job in `guest` (which it spends) and collect the pyc files it made."""
    source = COMPILE.format(files=sorted(files))
    job = Script(Code(files={**files, COMPILE_ENTRY: source}, entry=COMPILE_ENTRY))
    result = guest.run(job.payload(), dict(job.code.files), COMPILE_LIMITS)
    if not result.ok:
        raise CompileFailed(result.message, quiet=result.status is Status.KILLED)
    made = {}
    for relative in files:
        pyc = guest.scratch_dir / "pyc" / relative
        made[relative] = pyc.read_bytes() if pyc.is_file() else b""
    return made


def compile_packages(guest: Guest) -> int:
    """Compile every module of the packages folder `guest` mounts writable into unchecked
    hash-based pycs beside them (in `__pycache__`), so importing an installed package loads
    bytecode as the stdlib does; returns how many modules were compiled. Only `compile()`
    runs: no package code is executed."""
    job = Script(Code.single(PACKAGES_COMPILE, COMPILE_ENTRY))
    result = guest.run(job.payload(), dict(job.code.files), PACKAGES_COMPILE_LIMITS)
    if not result.ok:
        raise CompileFailed(
            f"{result.message}\n{result.stderr[-2000:]}".strip(),
            quiet=result.status is Status.KILLED,
        )
    return int(result.stdout.split()[-1])


class BytecodeCache:
    """Bytecode by (file path, source hash), filled by background compile jobs."""

    def __init__(self, compile_files: CompileFiles, cache_tag: str, enabled: bool) -> None:
        self._compile_files = compile_files
        self.enabled = enabled
        self.cache_tag = cache_tag
        self._entries: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._bytes = 0
        self._pending: set[tuple[tuple[str, str], ...]] = set()
        self._lock = threading.Lock()
        # One compile job at a time: they are background work.
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="widgetbox-compile")

    def close(self) -> None:
        self._worker.shutdown(wait=True, cancel_futures=True)

    def lookup(self, code: Code) -> dict[str, bytes]:
        """The pyc files (relative path -> bytes) known for `code`; schedules a compile job
        in the background when some Python file has none yet."""
        return self.lookup_complete(code)[0]

    def lookup_complete(self, code: Code) -> tuple[dict[str, bytes], bool]:
        """`lookup`, and whether that is all there will be for `code` (every Python file
        has its entry, or the cache is off)."""
        found: dict[str, bytes] = {}
        if not self.enabled:
            return found, True
        missing = []
        with self._lock:
            for relative, text in python_files(code.files).items():
                key = _key(relative, text)
                data = self._entries.get(key)
                if data is None:
                    missing.append(key)
                    continue
                self._entries.move_to_end(key)
                if data:  # empty: known not to compile (a syntax error the run reports)
                    found[pyc_path(relative, self.cache_tag)] = data
            wanted = tuple(sorted(missing))
            schedule = bool(missing) and wanted not in self._pending
            if schedule:
                self._pending.add(wanted)
        if schedule:
            with contextlib.suppress(RuntimeError):  # shutting down: nothing more to compile
                self._worker.submit(self._compile, code, wanted)
        return found, not missing

    def _compile(self, code: Code, wanted: tuple[tuple[str, str], ...]) -> None:
        files = python_files(code.files)
        try:
            made = self._compile_files(files)
            with self._lock:
                for relative, data in made.items():
                    if relative in files:
                        self._store(_key(relative, files[relative]), data)
        except CompileFailed as e:
            if not e.quiet:
                log.warning("compiling a widget's files failed: %s", e)
        except Exception:
            log.exception("compiling a widget's files failed")
        finally:
            with self._lock:
                self._pending.discard(wanted)

    def _store(self, key: tuple[str, str], data: bytes) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old)
        self._entries[key] = data
        self._bytes += len(data)
        while self._bytes > MAX_BYTES and self._entries:
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= len(dropped)


def python_files(files: Mapping[str, str]) -> dict[str, str]:
    return {relative: text for relative, text in files.items() if relative.endswith(".py")}
