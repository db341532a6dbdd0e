"""The IDE's scripts and styles: built by esbuild into client/build/ (see client/build.mjs),
named in pages through the build's manifest, and served at /static/ from memory.

Every built file has a content hash in its name, so it is sent with a one-year, immutable
cache lifetime; a page names the current files, and a rebuild gives changed files new names.
Files are sent gzipped (from the build's `.gz` twins) to browsers that accept it; a file the
build wrote only gzipped (Pyodide's 31 MB start-up snapshot, see client/snapshot.mjs) is
sent only to them. Only files the build wrote can be fetched: the manifest's directory
listing is the allow-list. GUI apps' origins serve the loader and runtimes from the same
build (`host/gui/apps.py`), through `send`.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litestar import Request, Response, route
from litestar.enums import HttpMethod
from litestar.params import FromPath

from widgetbox.host.errors import NotFound

log = logging.getLogger("widgetbox.host")

PREFIX = "/static/"
MANIFEST = "manifest.json"
IMMUTABLE = "public, max-age=31536000, immutable"
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json",
    ".json": "application/json",
    ".wasm": "application/wasm",
    ".zip": "application/zip",
    ".bin": "application/octet-stream",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class _Built:
    """One build: its manifest's entries and the files it wrote."""

    entries: dict[str, dict[str, Any]]
    files: frozenset[str]
    """Paths relative to the build folder (with `/`), `.gz` twins excluded."""
    stamp: float
    """The manifest's modification time when read."""


@dataclass
class Assets:
    """The build in `directory`, re-read when its manifest changes (a rebuild while the
    server runs, as `just client-watch` does)."""

    directory: Path
    _built: _Built | None = None
    _cache: dict[str, tuple[bytes | None, bytes | None]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _warned: bool = False

    def _current(self) -> _Built | None:
        manifest = self.directory / MANIFEST
        try:
            stamp = manifest.stat().st_mtime
        except FileNotFoundError:
            if not self._warned:
                log.error(
                    "the IDE's scripts are not built (%s is missing): run `just client`", manifest
                )
                self._warned = True
            return None
        built = self._built
        if built is None or built.stamp != stamp:
            with self._lock:
                entries = json.loads(manifest.read_text())["entries"]
                files = frozenset(
                    path.relative_to(self.directory).as_posix().removesuffix(".gz")
                    for path in self.directory.rglob("*")
                    if path.is_file() and path.name != MANIFEST and not path.name.startswith(".")
                )
                built = _Built(entries, files, stamp)
                self._built, self._cache = built, {}
        return built

    @property
    def ready(self) -> bool:
        return self._current() is not None

    def url(self, name: str) -> str:
        """The URL of the built entry `name` (e.g. "pages/code.js", "app.css")."""
        built = self._current()
        entry = built.entries.get(name) if built else None
        if entry is None:
            return f"{PREFIX}missing/{name}"  # the page says the build is missing
        return PREFIX + str(entry["file"])

    def preloads(self, name: str) -> list[str]:
        """The chunks entry `name` imports, for `<link rel="modulepreload">`."""
        built = self._current()
        entry = built.entries.get(name) if built else None
        return [PREFIX + path for path in entry["imports"]] if entry else []

    def read(self, path: str) -> tuple[bytes | None, bytes | None]:
        """A built file's bytes and its gzipped twin's (either None when not built)."""
        built = self._current()
        if built is None or path not in built.files:
            raise NotFound("not_found", "There is nothing here.")
        found = self._cache.get(path)
        if found is None:
            plain, twin = self.directory / path, self.directory / f"{path}.gz"
            found = (
                plain.read_bytes() if plain.exists() else None,
                twin.read_bytes() if twin.exists() else None,
            )
            self._cache[path] = found
        return found

    def send(self, request: Request[Any, Any, Any], path: str) -> Response[bytes]:
        """The built file `path` as an answer: gzipped when the browser takes it, immutable."""
        data, gzipped = self.read(path)
        headers = {"cache-control": IMMUTABLE, "vary": "accept-encoding"}
        if gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
            data = gzipped
            headers["content-encoding"] = "gzip"
        if data is None:  # built only gzipped, for a browser that does not take it
            raise NotFound("not_found", "This file is sent only gzipped.")
        media_type = CONTENT_TYPES.get(Path(path).suffix, "application/octet-stream")
        body = b"" if request.method == HttpMethod.HEAD else data
        return Response(body, media_type=media_type, headers=headers)


def static_route(assets: Assets) -> Any:
    """The handler of /static/{path}."""

    @route(
        PREFIX + "{path:path}",
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        include_in_schema=False,
        sync_to_thread=False,
    )
    def static(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[bytes]:
        return assets.send(request, path.lstrip("/"))

    return static
