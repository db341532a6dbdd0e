"""Wheels and their core metadata: fetched once per install into its download folder,
verified, and read without running anything."""

from __future__ import annotations

import lzma
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from packaging.metadata import parse_email
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from widgetbox.host.packages.errors import PackageError
from widgetbox.host.packages.index import Index, Link
from widgetbox.host.packages.limits import Budget
from widgetbox.host.packages.progress import OnProgress, Progress

OnBytes = Callable[[int], None]


@dataclass(frozen=True)
class CoreMetadata:
    """What resolution needs from a release's METADATA."""

    name: str
    version: Version
    requires_dist: tuple[Requirement, ...]
    requires_python: SpecifierSet | None


def parse_metadata(text: str, what: str) -> CoreMetadata:
    raw, _ = parse_email(text)
    name, version = raw.get("name"), raw.get("version")
    if not name or not version:
        raise PackageError(f"The metadata of {what} has no name or version.")
    try:
        requires = tuple(Requirement(line) for line in raw.get("requires_dist", []))
        python = raw.get("requires_python")
        return CoreMetadata(
            name=name,
            version=Version(version),
            requires_dist=requires,
            requires_python=SpecifierSet(python) if python else None,
        )
    except ValueError as e:  # InvalidRequirement, -Specifier, -Version; a 5,000-digit version
        raise PackageError(f"The metadata of {what} cannot be read: {str(e)[:200]}.") from None


MAX_METADATA = 16 * 1024 * 1024
"""The most of a wheel's METADATA read (PyPI's largest are a few megabytes): a wheel of a
few kilobytes can hold a METADATA that inflates to gigabytes, and anyone can publish one."""
BROKEN_ARCHIVE = (
    zipfile.BadZipFile,  # not a zip archive, or a damaged one
    OSError,  # a damaged bzip2 stream too
    EOFError,  # a compressed stream cut short
    zlib.error,  # a damaged deflate stream
    lzma.LZMAError,
    NotImplementedError,  # a compression method zipfile does not know
    RuntimeError,  # an encrypted member
    UnicodeDecodeError,
)
"""What reading a hostile wheel's METADATA may raise."""


def metadata_of_wheel(path: Path, what: str) -> str:
    """The METADATA text of the wheel at `path` (from its `.dist-info` folder), at most
    `MAX_METADATA` bytes of it; PackageError for anything else."""
    try:
        with zipfile.ZipFile(path) as archive:
            found = [
                name
                for name in archive.namelist()
                if name.count("/") == 1 and name.endswith(".dist-info/METADATA")
            ]
            if len(found) != 1:
                raise PackageError(f"{what} is not a valid wheel (no single .dist-info folder).")
            with archive.open(found[0]) as member:
                data = member.read(MAX_METADATA + 1)
            if len(data) > MAX_METADATA:
                raise PackageError(
                    f"{what} has a METADATA of more than {MAX_METADATA // 2**20} MiB; "
                    "Widgetbox does not read that much."
                )
            return data.decode("utf-8")
    except BROKEN_ARCHIVE as e:
        raise PackageError(f"{what} is not a valid wheel ({e}).") from None


class Downloads:
    """The wheels and metadata of one install, fetched at most once each."""

    def __init__(self, index: Index, folder: Path, budget: Budget, on_progress: OnProgress) -> None:
        self.index = index
        self.folder = folder
        self.budget = budget
        self.on_progress = on_progress
        self._wheels: dict[str, Path] = {}
        self._metadata: dict[str, CoreMetadata] = {}

    def metadata(self, name: str, version: Version, link: Link) -> CoreMetadata:
        """The core metadata of the release `link` belongs to: its PEP 658 `.metadata` file
        when the index publishes one with a hash, else the METADATA inside the wheel."""
        if link.url in self._metadata:
            return self._metadata[link.url]
        what = f"{name} {version}"
        self.on_progress(Progress("resolving", f"reading {what}", bytes=self.budget.spent))
        if link.metadata_sha256:
            data = self.index.read(
                link.url + ".metadata", link.metadata_sha256, self.budget, f"the metadata of {what}"
            )
            text = data.decode("utf-8", "replace")
        else:
            text = metadata_of_wheel(self.wheel(link), link.filename)
        found = parse_metadata(text, what)
        if canonicalize_name(found.name) != canonicalize_name(name) or found.version != version:
            raise PackageError(
                f"{link.filename} describes itself as {found.name} {found.version}, not "
                f"{what}; it was not used."
            )
        self._metadata[link.url] = found
        return found

    def wheel(self, link: Link, on_bytes: OnBytes | None = None) -> Path:
        """The verified wheel of `link`, downloaded once."""
        if link.url not in self._wheels:
            # a folder each: the file keeps its name, which says what the wheel is
            folder = self.folder / str(len(self._wheels))
            folder.mkdir(parents=True)
            target = folder / Path(link.filename).name
            self._wheels[link.url] = self.index.download(link, target, self.budget, on_bytes)
        return self._wheels[link.url]

    def has_wheel(self, link: Link) -> bool:
        return link.url in self._wheels
