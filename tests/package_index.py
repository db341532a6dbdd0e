"""A local package index for the tests: wheels (and source distributions) the tests write,
served from an `http.server` thread on loopback with the simple API, as PEP 691 JSON or
PEP 503 HTML, with or without PEP 658 metadata files. No network is used.

    index = PackageIndex(tmp_path)
    index.add(wheel(tmp_path, "demo-lib", "1.0", requires=["helper>=1"]))
    with index.serving():
        ... index.url ...
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
import threading
import time
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def wheel(
    folder: Path,
    name: str,
    version: str,
    *,
    requires: Sequence[str] = (),
    requires_python: str | None = None,
    extras: Sequence[str] = (),
    tag: str = "py3-none-any",
    files: dict[str, str] | None = None,
    padding: int = 0,
    script: bool = False,
) -> Path:
    """A valid wheel of `name` `version` whose module (`name` with underscores) defines
    `VERSION`; `padding` adds that many incompressible bytes (for the size limit)."""
    dist = name.replace("-", "_")
    module = dist.lower()
    contents: dict[str, bytes] = {
        path: text.encode()
        for path, text in (
            files
            if files is not None
            else {
                f"{module}/__init__.py": f"VERSION = {version!r}\n",
            }
        ).items()
    }
    if padding:
        contents[f"{module}/blob.bin"] = hashlib.sha256(b"seed").digest() * (padding // 32 + 1)
    info = f"{dist}-{version}.dist-info"
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if requires_python:
        metadata.append(f"Requires-Python: {requires_python}")
    metadata += [f"Provides-Extra: {extra}" for extra in extras]
    metadata += [f"Requires-Dist: {line}" for line in requires]
    contents[f"{info}/METADATA"] = ("\n".join(metadata) + "\n\n").encode()
    contents[f"{info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: widgetbox-tests\nRoot-Is-Purelib: true\nTag: {tag}\n"
    ).encode()
    if script:
        contents[f"{info}/entry_points.txt"] = (
            f"[console_scripts]\n{module} = {module}:main\n".encode()
        )
        contents[f"{dist}-{version}.data/scripts/{module}-tool"] = b"#!python\nprint('hi')\n"
    record = [f"{path},{_record_hash(data)},{len(data)}" for path, data in contents.items()]
    record.append(f"{info}/RECORD,,")
    contents[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{dist}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in contents.items():
            # a fixed date: the same wheel written twice is the same file (the same sha256)
            archive.writestr(zipfile.ZipInfo(member, (2020, 1, 1, 0, 0, 0)), data)
    return path


def sdist(folder: Path, name: str, version: str) -> Path:
    """A source distribution (never installed: only its presence matters)."""
    dist = name.replace("-", "_")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{dist}-{version}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        data = b"from setuptools import setup\nsetup()\n"
        member = tarfile.TarInfo(f"{dist}-{version}/setup.py")
        member.size = len(data)
        archive.addfile(member, io.BytesIO(data))
    return path


@dataclass
class Served:
    path: Path
    project: str
    sha256: str
    yanked: bool = False
    requires_python: str | None = None
    metadata: bytes | None = None


class PackageIndex:
    def __init__(
        self,
        mode: Literal["json", "html"] = "json",
        *,
        pep658: bool = True,
        sizes: bool = True,
        delay: float = 0.0,
    ) -> None:
        self.mode = mode
        self.pep658 = pep658
        self.sizes = sizes
        self.delay = delay
        """Seconds to wait before each 16 KiB of a file (a slow index)."""
        self.files: dict[str, Served] = {}
        self.requests: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    def add(
        self,
        path: Path,
        *,
        yanked: bool = False,
        requires_python: str | None = None,
        sha256: str | None = None,
    ) -> Path:
        """Publish the file at `path`; `sha256` overrides the hash the index announces."""
        if path.name.endswith(".whl"):
            project = parse_wheel_filename(path.name)[0]
            with zipfile.ZipFile(path) as archive:
                member = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
                metadata: bytes | None = archive.read(member)
        else:
            project, metadata = parse_sdist_filename(path.name)[0], None
        self.files[path.name] = Served(
            path=path,
            project=canonicalize_name(project),
            sha256=sha256 or hashlib.sha256(path.read_bytes()).hexdigest(),
            yanked=yanked,
            requires_python=requires_python,
            metadata=metadata,
        )
        return path

    @property
    def url(self) -> str:
        assert self._server is not None, "the index is not serving"
        return f"http://127.0.0.1:{self._server.server_address[1]}/simple"

    def downloads(self) -> list[str]:
        """The files downloaded so far (wheels and sdists, not metadata or pages)."""
        return [path.rsplit("/", 1)[-1] for path in self.requests if path.startswith("/files/")
                and not path.endswith(".metadata")]  # fmt: skip

    def pages(self) -> list[str]:
        return [path.split("/")[2] for path in self.requests if path.startswith("/simple/")]

    @contextmanager
    def serving(self) -> Iterator[PackageIndex]:
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        self._server = server
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)
            self._server = None

    # -- pages -----------------------------------------------------------------------------

    def _project_json(self, project: str) -> bytes:
        files = []
        for name, served in sorted(self.files.items()):
            if served.project != project:
                continue
            item: dict[str, object] = {
                "filename": name,
                "url": f"../../files/{name}",
                "hashes": {"sha256": served.sha256},
                "requires-python": served.requires_python,
                "yanked": served.yanked,
            }
            if self.sizes:
                item["size"] = served.path.stat().st_size
            if self.pep658 and served.metadata is not None:
                item["core-metadata"] = {"sha256": hashlib.sha256(served.metadata).hexdigest()}
            files.append(item)
        page = {"meta": {"api-version": "1.1"}, "name": project, "files": files}
        return json.dumps(page).encode()

    def _project_html(self, project: str) -> bytes:
        from html import escape

        anchors = []
        for name, served in sorted(self.files.items()):
            if served.project != project:
                continue
            attrs = f'href="/files/{name}#sha256={served.sha256}"'
            if served.requires_python:
                attrs += f' data-requires-python="{escape(served.requires_python)}"'
            if served.yanked:
                attrs += ' data-yanked=""'
            if self.pep658 and served.metadata is not None:
                digest = hashlib.sha256(served.metadata).hexdigest()
                attrs += f' data-core-metadata="sha256={digest}"'
            anchors.append(f"<a {attrs}>{name}</a><br>")
        body = "\n".join(anchors)
        return f"<!DOCTYPE html><html><body>\n{body}\n</body></html>".encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        index = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                index.requests.append(self.path)
                parts = self.path.split("?")[0].strip("/").split("/")
                if len(parts) == 2 and parts[0] == "simple":
                    project = canonicalize_name(parts[1])
                    if not any(f.project == project for f in index.files.values()):
                        return self._send(404, b"not found", "text/plain")
                    if index.mode == "json":
                        content_type = "application/vnd.pypi.simple.v1+json"
                        return self._send(200, index._project_json(project), content_type)
                    return self._send(200, index._project_html(project), "text/html")
                if len(parts) == 2 and parts[0] == "files":
                    name = parts[1]
                    if name.endswith(".metadata") and name[: -len(".metadata")] in index.files:
                        data = index.files[name[: -len(".metadata")]].metadata or b""
                        return self._send(200, data, "text/plain")
                    if name in index.files:
                        data = index.files[name].path.read_bytes()
                        return self._send(200, data, "application/octet-stream", slow=True)
                return self._send(404, b"not found", "text/plain")

            def _send(
                self, status: int, data: bytes, content_type: str, slow: bool = False
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if not (slow and index.delay):
                    self.wfile.write(data)
                    return
                try:
                    for start in range(0, len(data), 16384):
                        time.sleep(index.delay)
                        self.wfile.write(data[start : start + 16384])
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler
