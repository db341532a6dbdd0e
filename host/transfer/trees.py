"""A tree of files: relative paths and their bytes, read from a folder, a zip archive or a
listing that declares sizes first (a git commit's: `read_listing`, for `git_clone.py`), and
written to a folder or a zip, within bounds.

Both sources are hostile input (a zip uploaded to the IDE, a folder someone points the
command line at), so reading checks everything before it trusts it and lists every problem
at once (`TreeError`, each problem with its file): paths that are absolute, climb out
(`..`), use backslashes or drive letters; symbolic links and other special files (never
followed); encrypted entries; more files than `Bounds.files`; a file or a total larger than
the bounds, judged first by what the archive declares and again by what is really read (a
zip may lie about its sizes). The work is linear in the input: the zip's central directory
is checked for size before Python parses it, and no entry is decompressed past its declared
size plus one byte.

Version-control folders, caches and the command line's link (`.git/`, `__pycache__/`,
`*.pyc`, `.widgetbox/`) are left out and listed in `Read.left_out`.

A widget's files are text; `widget_files` and `tree_of` translate. A file that is not
UTF-8 (an image among an Anvil app's theme assets) is kept at its path as a `data:` URL
(`data:image/png;base64,...`, as the theme serves its assets: gui/theme.py), and written
back as the binary file.
"""

from __future__ import annotations

import base64
import binascii
import io
import mimetypes
import os
import posixpath
import re
import stat
import struct
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from widgetbox.host.errors import Malformed
from widgetbox.host.gui.findings import Finding
from widgetbox.host.gui.theme import MEDIA_TYPES

Tree = dict[str, bytes]
"""Relative path (`client_code/Form1/__init__.py`) → the file's bytes."""

LEFT_OUT_DIRS = frozenset(
    {".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".ruff_cache", ".widgetbox"}
)
"""Version control, caches, and the remote command line's link to its server (never one
of a widget's files)."""
LEFT_OUT_FILES = frozenset({".DS_Store", "Thumbs.db"})
LEFT_OUT_SUFFIXES = (".pyc", ".pyo")
MAX_PATH = 1000
"""Characters of a path, at most."""
MAX_DEPTH = 32
"""Folders deep, at most."""


@dataclass(frozen=True)
class Bounds:
    """What a tree may hold. The defaults suit an app: a widget holds at most 200 files and
    8 MiB (`widgetbox.runtime.Code`), and a tree may hold more than it keeps (a README, a
    licence, theme assets in base64 grow by a third)."""

    files: int = 1000
    """Files read at most (left-out ones count too: a folder of a million is refused)."""
    file_bytes: int = 8 * 1024 * 1024
    """Bytes of one file, at most."""
    total_bytes: int = 32 * 1024 * 1024
    """Bytes of every file together, at most (uncompressed)."""
    archive_bytes: int = 10 * 1024 * 1024
    """Bytes of a zip archive itself, at most."""
    directory_bytes: int = 1024 * 1024
    """Bytes of a zip's central directory (its list of entries), at most."""


class TreeError(Malformed):
    """The folder or archive cannot be read; `problems` lists every problem found."""

    def __init__(self, problems: list[Finding], code: str = "invalid_files") -> None:
        self.problems = problems
        listed = "; ".join(problem.text for problem in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(
            code,
            f"The files cannot be read ({len(problems)} problems): {listed}{more}"
            if len(problems) > 1
            else f"The files cannot be read: {listed}",
            {"problems": [problem.as_dict() for problem in problems]},
        )


@dataclass
class Read:
    """What was read: the files, and what was left out on purpose (caches, `.git/`)."""

    tree: Tree = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)


# -- paths ---------------------------------------------------------------------------------


def path_problem(path: str) -> str | None:
    """Why `path` may not name a file in a tree, or None: a plain relative path of
    ordinary names, separated by `/`."""
    if not path:
        return "an empty name"
    if len(path) > MAX_PATH:
        return f"a path longer than {MAX_PATH} characters"
    if "\\" in path:
        return "a backslash in the path (zip paths use /)"
    if path.startswith("/"):
        return "an absolute path"
    if any(ord(char) < 32 or ord(char) == 127 for char in path):
        return "a control character in the path"
    parts = path.split("/")
    if ".." in parts:
        return "a path that climbs out of the folder (..)"
    if any(part in ("", ".") for part in parts):
        return "an empty or '.' part in the path"
    if len(parts[0]) == 2 and parts[0][1] == ":":
        return "a drive letter in the path"
    if len(parts) > MAX_DEPTH:
        return f"folders nested more than {MAX_DEPTH} deep"
    return None


def _left_out(path: str) -> bool:
    parts = path.split("/")
    return (
        any(part in LEFT_OUT_DIRS for part in parts[:-1])
        or parts[-1] in LEFT_OUT_FILES
        or parts[-1].endswith(LEFT_OUT_SUFFIXES)
    )


class _Budget:
    """Counts files and bytes as they are read, collecting problems."""

    def __init__(self, bounds: Bounds) -> None:
        self.bounds = bounds
        self.problems: list[Finding] = []
        self.files = 0
        self.total = 0
        self.over = False
        """Past a bound that ends the reading: the rest would only add more of the same."""

    def problem(self, path: str, text: str) -> None:
        self.problems.append(Finding(path, "", text))

    def count_file(self, path: str) -> bool:
        self.files += 1
        if self.files > self.bounds.files:
            self.problem("", f"more than {self.bounds.files:,} files")
            self.over = True
            return False
        return True

    def fits(self, path: str, size: int) -> bool:
        """Whether a file of `size` bytes may be read (counted if so)."""
        if size > self.bounds.file_bytes:
            self.problem(path, f"larger than {self.bounds.file_bytes:,} bytes")
            return False
        self.total += size
        if self.total > self.bounds.total_bytes:
            self.problem("", f"more than {self.bounds.total_bytes:,} bytes in all")
            self.over = True
            return False
        return True


# -- folders -------------------------------------------------------------------------------


def read_folder(folder: Path, bounds: Bounds | None = None) -> Read:
    """Every file under `folder`; TreeError listing every problem. Symbolic links and special
    files are refused, never followed."""
    budget = _Budget(bounds or Bounds())
    read = Read()
    try:
        info = folder.lstat()
    except OSError as e:
        raise TreeError([Finding(str(folder), "", f"cannot be read: {e.strerror or e}")]) from None
    if not stat.S_ISDIR(info.st_mode):
        raise TreeError([Finding(str(folder), "", "not a folder")])
    stack: list[tuple[Path, str]] = [(folder, "")]
    while stack and not budget.over:
        here, prefix = stack.pop()
        try:
            entries = sorted(os.scandir(here), key=lambda entry: entry.name)
        except OSError as e:
            budget.problem(prefix or ".", f"cannot be read: {e.strerror or e}")
            continue
        for entry in entries:
            _visit(entry, prefix + entry.name, stack, budget, read)
            if budget.over:
                break
    if budget.problems:
        raise TreeError(budget.problems)
    read.tree = dict(sorted(read.tree.items()))
    return read


def _visit(
    entry: os.DirEntry[str],
    path: str,
    stack: list[tuple[Path, str]],
    budget: _Budget,
    read: Read,
) -> None:
    """One entry of a folder: a folder to walk, a file to read, or a problem."""
    if entry.is_symlink():
        budget.problem(path, "a symbolic link: links are not followed")
    elif entry.is_dir(follow_symlinks=False):
        if entry.name in LEFT_OUT_DIRS:
            read.left_out.append(path + "/")
        elif (problem := path_problem(path + "/x")) is not None:
            budget.problem(path, problem)
        else:
            stack.append((Path(entry.path), path + "/"))
    elif not entry.is_file(follow_symlinks=False):
        budget.problem(path, "not a regular file")
    elif not budget.count_file(path):
        return
    elif _left_out(path):
        read.left_out.append(path)
    elif (problem := path_problem(path)) is not None:
        budget.problem(path, problem)
    else:
        _read_file(Path(entry.path), path, budget, read)


def _read_file(source: Path, path: str, budget: _Budget, read: Read) -> None:
    try:
        size = source.lstat().st_size
        if not budget.fits(path, size):
            return
        with source.open("rb") as f:  # the file may have grown since: read no more than allowed
            data = f.read(size + 1)
    except OSError as e:
        budget.problem(path, f"cannot be read: {e.strerror or e}")
        return
    if len(data) != size:
        budget.problem(path, "changed while it was read")
        return
    read.tree[path] = data


def write_folder(folder: Path, tree: Mapping[str, bytes]) -> None:
    """Write `tree` into `folder`, which must not exist or be empty (nothing is overwritten)."""
    problems = [Finding(path, "", problem) for path in tree if (problem := path_problem(path))]
    if problems:
        raise TreeError(problems)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise TreeError([Finding(str(folder), "", "exists and is not an empty folder")])
    folder.mkdir(parents=True, exist_ok=True)
    for path, data in sorted(tree.items()):
        target = folder.joinpath(*path.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("xb") as f:
            f.write(data)


# -- listings (a git commit's files) -------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One entry of a listing that declares sizes before anything is read."""

    path: str
    kind: Literal["file", "link", "submodule", "other"]
    size: int


def read_listing(
    entries: Iterable[Entry],
    load: Callable[[list[str]], Mapping[str, bytes]],
    bounds: Bounds | None = None,
) -> Read:
    """The files of a listing (a git commit's tree), checked as a folder's are: counts,
    paths, links refused, sizes by what the listing declares before `load` reads the
    wanted files (all at once), then again by what it read; TreeError listing every
    problem. Submodules are left out (never fetched)."""
    budget = _Budget(bounds or Bounds())
    read = Read()
    wanted: dict[str, int] = {}
    for entry in entries:
        if not budget.count_file(entry.path):
            break
        _list_entry(entry, budget, read, wanted)
    if not budget.problems and wanted:
        loaded = load(list(wanted))
        for path, size in wanted.items():
            data = loaded.get(path)
            if data is None or len(data) != size:
                budget.problem(path, "changed while it was read")
            else:
                read.tree[path] = data
    if budget.problems:
        raise TreeError(budget.problems)
    read.tree = dict(sorted(read.tree.items()))
    return read


def _list_entry(entry: Entry, budget: _Budget, read: Read, wanted: dict[str, int]) -> None:
    path = entry.path
    if _left_out(path):
        read.left_out.append(path)
    elif entry.kind == "submodule":
        read.left_out.append(path + "/")
    elif (problem := path_problem(path)) is not None:
        budget.problem(path, problem)
    elif entry.kind == "link":
        budget.problem(path, "a symbolic link: links are not followed")
    elif entry.kind != "file":
        budget.problem(path, "not a regular file")
    elif budget.fits(path, entry.size):
        wanted[path] = entry.size


# -- zip archives --------------------------------------------------------------------------

_END = b"PK\x05\x06"
_END_SIZE = 22
_MAX_COMMENT = 0xFFFF
_S_IFMT = 0o170000
_Wanted = tuple[zipfile.ZipInfo, str]


def _check_directory(data: bytes, bounds: Bounds) -> str | None:
    """Why the archive's central directory is too large to parse, judged from its end
    record alone (before `zipfile` builds an object per entry), or None."""
    start = data.rfind(_END, max(0, len(data) - _END_SIZE - _MAX_COMMENT))
    if start < 0 or len(data) - start < _END_SIZE:
        return None  # not a zip: zipfile says so
    _, _, _, _, entries, size, _, _ = struct.unpack("<4s4H2LH", data[start : start + _END_SIZE])
    if entries != 0xFFFF and entries > bounds.files:
        return f"more than {bounds.files:,} files"
    if size != 0xFFFFFFFF and size > bounds.directory_bytes:
        return f"more than {bounds.files:,} files (its list of files is too large)"
    return None


def read_zip(data: bytes, bounds: Bounds | None = None) -> Read:
    """Every file in the zip archive `data`; TreeError listing every problem. When every
    entry sits in one top folder holding the app (`MyApp/anvil.yaml`, as zipping a folder
    makes), that folder is taken off the paths."""
    bounds = bounds or Bounds()
    if len(data) > bounds.archive_bytes:
        raise TreeError(
            [Finding("", "", f"the archive is larger than {bounds.archive_bytes:,} bytes")],
            "invalid_zip",
        )
    too_many = _check_directory(data, bounds)
    if too_many:
        raise TreeError([Finding("", "", too_many)], "invalid_zip")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise TreeError([Finding("", "", "not a zip archive")], "invalid_zip") from None
    budget = _Budget(bounds)
    read = Read()
    wanted = _entries(infos, budget, read)
    if not budget.problems:
        for info, path in wanted:
            _extract(archive, info, path, budget, read)
    if budget.problems:
        raise TreeError(budget.problems, "invalid_zip")
    read.tree = _without_top_folder(read.tree)
    return read


def read_zip_file(path: Path, bounds: Bounds | None = None) -> Read:
    """`read_zip` of a file, refused before it is read when it is too large."""
    bounds = bounds or Bounds()
    try:
        with path.open("rb") as f:
            data = f.read(bounds.archive_bytes + 1)
    except OSError as e:
        raise TreeError([Finding(str(path), "", f"cannot be read: {e.strerror or e}")]) from None
    return read_zip(data, bounds)


def _entries(infos: list[zipfile.ZipInfo], budget: _Budget, read: Read) -> list[_Wanted]:
    """The entries to unpack, after every check that needs no unpacking."""
    wanted: list[_Wanted] = []
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        if not budget.count_file(name):
            break
        path = name[:-1] if info.is_dir() and name.endswith("/") else name
        problem = path_problem(path) or _entry_problem(info, path, seen)
        if problem is not None:
            budget.problem(path or name, problem)
        elif info.is_dir():
            continue
        elif _left_out(path):
            read.left_out.append(path)
        elif budget.fits(path, info.file_size):
            wanted.append((info, path))
    return wanted


def _entry_problem(info: zipfile.ZipInfo, path: str, seen: set[str]) -> str | None:
    mode = info.external_attr >> 16
    unix = info.create_system == 3
    if unix and stat.S_ISLNK(mode):
        return "a symbolic link: links are not allowed"
    if info.is_dir():
        return None
    if unix and mode & _S_IFMT not in (0, stat.S_IFREG):
        return "not a regular file"
    if info.flag_bits & 0x1:
        return "encrypted: encrypted archives are not read"
    if path in seen:
        return "appears twice in the archive"
    seen.add(path)
    return None


def _extract(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, budget: _Budget, read: Read
) -> None:
    """The entry's bytes, never more than it declares (a lying entry is refused); reading
    to its end checks its CRC."""
    try:
        with archive.open(info) as f:
            data = f.read(info.file_size + 1)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError) as e:
        budget.problem(path, f"cannot be unpacked ({_reason(e)})")
        return
    except Exception as e:
        budget.problem(path, f"cannot be unpacked ({type(e).__name__})")
        return
    if len(data) != info.file_size:
        budget.problem(path, "its size is not what the archive says")
        return
    read.tree[path] = data


def _reason(error: Exception) -> str:
    text = str(error).split("\n", 1)[0][:100]
    return text or type(error).__name__


MARKERS = ("anvil.yaml", ".widgetbox.toml")
"""Files that mark the top of an app or a widget folder."""


def _without_top_folder(tree: Tree) -> Tree:
    """The tree without its one top folder, when that folder is the app's or the widget's
    (it holds a marker: zipping a folder puts everything in it)."""
    tops = {path.split("/", 1)[0] for path in tree}
    if len(tops) == 1 and not any(path in tree for path in MARKERS):
        top = next(iter(tops)) + "/"
        if any(top + marker in tree for marker in MARKERS):
            return dict(sorted((path[len(top) :], data) for path, data in tree.items()))
    return dict(sorted(tree.items()))


def zip_tree(tree: Mapping[str, bytes]) -> bytes:
    """`tree` as a zip archive: sorted, with fixed times, so equal trees give equal bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        add_to_zip(archive, tree)
    return buffer.getvalue()


def add_to_zip(archive: zipfile.ZipFile, tree: Mapping[str, bytes], prefix: str = "") -> None:
    """`tree`'s files into an open archive under `prefix` (a folder and `/`), as `zip_tree`
    writes them: for archives of many trees, written one tree at a time."""
    for path, data in sorted(tree.items()):
        info = zipfile.ZipInfo(prefix + path, date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = (stat.S_IFREG | 0o644) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, data)


# -- a widget's files ------------------------------------------------------------------------

_DATA_URL = re.compile(
    r"data:([\w.+-]+/[\w.+-]+)(?:;[\w.+-]+=[\w.+-]+)*;base64,([A-Za-z0-9+/]*={0,2})\s*",
    re.ASCII,
)
"""A binary file kept as text (the theme's assets are served decoded: gui/theme.py)."""


def media_type(path: str) -> str:
    """The media type of a binary file by its name (for its `data:` URL)."""
    suffix = posixpath.splitext(path)[1].lower()
    return MEDIA_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def widget_files(tree: Mapping[str, bytes]) -> tuple[dict[str, str], list[str]]:
    """A widget's (text) files from a tree, and the paths of those kept as `data:` URLs
    because they are not UTF-8 text (a picture among an Anvil app's theme assets)."""
    files: dict[str, str] = {}
    encoded: list[str] = []
    for path, data in tree.items():
        try:
            files[path] = data.decode("utf-8")
        except UnicodeDecodeError:
            files[path] = f"data:{media_type(path)};base64,{base64.b64encode(data).decode()}"
            encoded.append(path)
    return files, encoded


def tree_of(files: Mapping[str, str]) -> Tree:
    """A widget's files as a tree: files that are a `data:` URL as the bytes it holds."""
    tree: Tree = {}
    for path, text in files.items():
        found = _DATA_URL.fullmatch(text) if text.startswith("data:") else None
        if found is not None:
            try:
                tree[path] = base64.b64decode(found[2], validate=True)
                continue
            except (binascii.Error, ValueError):
                pass  # not base64 after all: an ordinary text file
        tree[path] = text.encode("utf-8", "surrogatepass")
    return dict(sorted(tree.items()))
