"""Package environments for workers, by content hash.

A widget's packages folder is on the host. A run that needs one goes to a worker with the
folder's digest instead of its path (`Dispatch.packages`): the sha256 of a deterministic
tar of the folder (sorted paths, no times or owners), made once per folder by the host
(`Shelf`; environments never change once installed). A worker that does not hold it asks
the host for it piece by piece (`PackagePiece` on `wb.pkg.<w>`; the host gives a worker
only the digests of runs sent or queued for it), checks the sha256 of what arrived before
using any of it, unpacks it with tarfile's `data` filter (no links out, no devices, no
absolute paths, no setuid) and keeps it under its cache by digest (`Environments`).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tarfile
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

PIECE = 8 * 1024 * 1024
"""Bytes of an environment per answer (within NATS's max_payload)."""
MAX_ENVIRONMENT = 1024 * 1024 * 1024
"""Largest environment a worker fetches."""
OK, FAILED = b"\x00", b"\x01"
"""The first byte of an answer: a piece follows, or why not."""


class EnvironmentError_(Exception):
    """An environment could not be had, or was not what its digest says."""


def pack_folder(folder: Path, into: Path) -> str:
    """Write a deterministic tar of `folder` to `into`; returns its sha256 (hex). Regular
    files and folders only (a packages folder holds nothing else that matters)."""
    h = hashlib.sha256()

    class Hashing(io.RawIOBase):
        def __init__(self, out: io.BufferedWriter) -> None:
            self.out = out

        def writable(self) -> bool:
            return True

        def write(self, data: bytes) -> int:  # type: ignore[override]
            h.update(data)
            return self.out.write(data)

    with into.open("wb") as out, tarfile.open(fileobj=Hashing(out), mode="w|") as tar:
        for path in sorted(_walk(folder)):
            relative = path.relative_to(folder).as_posix()
            info = tarfile.TarInfo(relative)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if path.is_dir():
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size, info.mode = path.stat().st_size, 0o644
                with path.open("rb") as f:
                    tar.addfile(info, f)
    return h.hexdigest()


def _walk(folder: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(folder):
        base = Path(root)
        found += [base / d for d in dirs if not (base / d).is_symlink()]
        found += [base / f for f in files if (base / f).is_file() and not (base / f).is_symlink()]
    return found


class Shelf:
    """The host's environments as tars, by digest (made on first use, kept for the
    process's life under `work`)."""

    def __init__(self, work: Path) -> None:
        self._work = work
        self._lock = threading.Lock()
        self._digests: dict[Path, str] = {}
        self._tars: dict[str, Path] = {}

    def digest(self, folder: Path) -> str:
        """Blocks while the tar is made (seconds for a large environment): call it off
        any event loop."""
        with self._lock:
            known = self._digests.get(folder)
            if known is not None:
                return known
            self._work.mkdir(parents=True, exist_ok=True)
            staging = self._work / f"staging-{os.getpid()}-{threading.get_ident()}.tar"
            digest = pack_folder(folder, staging)
            final = self._work / f"{digest}.tar"
            staging.replace(final)
            self._digests[folder], self._tars[digest] = digest, final
            return digest

    def piece(self, digest: str, offset: int) -> bytes:
        tar = self._tars.get(digest)
        if tar is None or offset < 0:
            raise EnvironmentError_("no such environment")
        with tar.open("rb") as f:
            f.seek(offset)
            return f.read(PIECE)


class Environments:
    """A worker's environments, fetched by digest and verified (see the module)."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._lock = threading.Lock()

    def folder(self, digest: str, fetch: Callable[[int], bytes]) -> Path:
        """The folder of environment `digest`, fetched with `fetch(offset)` (a piece, the
        last one shorter than PIECE) when not held. Raises EnvironmentError_."""
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise EnvironmentError_("not a sha256 digest")
        final = self._root / digest
        with self._lock:  # one fetch per environment at a time
            if final.is_dir():
                return final
            data = bytearray()
            while True:
                piece = fetch(len(data))
                data += piece
                if len(data) > MAX_ENVIRONMENT:
                    raise EnvironmentError_("the environment is too large")
                if len(piece) < PIECE:
                    break
            if hashlib.sha256(data).hexdigest() != digest:
                raise EnvironmentError_("the environment is not what its digest says")
            self._root.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix="staging-", dir=self._root))
            try:
                with tarfile.open(fileobj=io.BytesIO(bytes(data)), mode="r:") as tar:
                    tar.extractall(staging, filter="data")
                staging.rename(final)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            return final
