"""A cloned widget's files: read from its folder, compared with the server's versions file
by file, merged, and written back.

The folder's layout is `host/transfer/folders.py`'s (the widget's files and
`.widgetbox.toml`), read and written with its functions and `trees.py`'s (the same bounds,
the same refusals, binary files as their bytes), plus the link (`link.py`), which is never
one of the widget's files.

Versions are compared as trees of bytes (`trees.tree_of` of the server's files), so a
picture kept on the server as a `data:` URL compares equal to the file it was written as.
A pull merges by file: a file changed only on the server is taken, one changed only in the
folder is kept, and one changed on both sides differently is a conflict (`merge`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from widgetbox.host.cli.connect import RemoteError
from widgetbox.host.cli.link import LINK_DIR
from widgetbox.host.errors import DomainError
from widgetbox.host.transfer import folders, trees
from widgetbox.host.transfer.folders import META_FILE, Meta
from widgetbox.host.transfer.trees import Tree

Change = Literal["added", "modified", "deleted"]


@dataclass
class Local:
    """The widget in a cloned folder."""

    meta: Meta
    tree: Tree
    """The widget's files as bytes (not `.widgetbox.toml`, not the link)."""
    warnings: list[str] = field(default_factory=list)
    """What a GUI widget's designs hold that Widgetbox keeps without drawing it."""


def _problems(error: DomainError) -> list[str]:
    found = error.details.get("problems", [])
    return [
        ": ".join(part for part in (p.get("file"), p.get("where"), p.get("problem")) if part)
        for p in found
        if isinstance(p, dict)
    ]


def refused(error: DomainError, what: str) -> RemoteError:
    """A RemoteError listing every problem the transfer code found."""
    problems = _problems(error)
    message = f"{what}: {error.message}" if not problems else f"{what}:\n  " + "\n  ".join(problems)
    return RemoteError(message, error.code, details={"problems": problems})


def is_link_path(path: str) -> bool:
    return path == LINK_DIR or path.startswith(LINK_DIR + "/")


def folder_tree(root: Path) -> Tree:
    """Every file of the folder as `trees.read_folder` reads it, the link left out."""
    try:
        read = trees.read_folder(root)
    except DomainError as e:
        raise refused(e, f"{root} cannot be read") from None
    return {path: data for path, data in read.tree.items() if not is_link_path(path)}


def read_local(root: Path) -> Local:
    """The widget in the folder, checked as `widgetbox import` checks one: the metadata
    file and every file a widget of its kind could not save, all listed at once."""
    tree = folder_tree(root)
    try:
        found = folders.read_folder(tree)
    except DomainError as e:
        raise refused(e, f"{root} is not a widget's folder") from None
    widget = {path: data for path, data in tree.items() if path != META_FILE}
    return Local(found.meta, widget, [warning.text for warning in found.warnings])


def server_tree(files: Mapping[str, str]) -> Tree:
    """A version's files as the bytes the folder holds for them."""
    return trees.tree_of(files)


def files_to_send(tree: Tree, known: Mapping[str, str]) -> dict[str, str]:
    """The widget's files as the API takes them (text; binary files as `data:` URLs). A file
    whose bytes are those of a file in `known` (the server's) is sent as the server's own
    text, so an unchanged picture stays the same text."""
    files, _ = trees.widget_files(tree)
    for path, text in known.items():
        if path in tree and trees.tree_of({path: text}).get(path) == tree[path]:
            files[path] = text
    return files


def check_clonable(files: Mapping[str, str]) -> None:
    """A widget whose files would collide with the folder's own is refused."""
    clashing = sorted(path for path in files if is_link_path(path))
    if clashing:
        raise RemoteError(
            f"The widget has files under {LINK_DIR}/ ({', '.join(clashing)}), where a clone "
            "keeps its link to the server: rename them in the IDE first.",
            "unclonable",
        )


def write_clone(folder: Path, meta: Meta, files: Mapping[str, str]) -> Tree:
    """Write the widget into `folder` (new or empty) in the folders layout; its tree."""
    check_clonable(files)
    try:
        tree = folders.folder_tree(meta, files)
        trees.write_folder(folder, tree)
    except DomainError as e:
        raise refused(e, f"Cannot clone into {folder}") from None
    return tree


def meta_bytes(meta: Meta) -> bytes:
    return folders.meta_text(meta).encode("utf-8")


# -- comparing and merging -----------------------------------------------------------------


def changes(old: Mapping[str, bytes], new: Mapping[str, bytes]) -> dict[str, Change]:
    """What changed from `old` to `new`, by path (sorted)."""
    found: dict[str, Change] = {}
    for path in sorted(set(old) | set(new)):
        if path not in old:
            found[path] = "added"
        elif path not in new:
            found[path] = "deleted"
        elif old[path] != new[path]:
            found[path] = "modified"
    return found


@dataclass
class Merged:
    tree: Tree
    """What the folder should hold."""
    taken: dict[str, Change]
    """The server's changes brought into the folder."""
    kept: dict[str, Change]
    """The folder's own changes, kept."""
    conflicts: list[str]
    """Files changed on both sides, differently: the folder's are kept."""


def merge(
    base: Mapping[str, bytes] | None, local: Mapping[str, bytes], head: Mapping[str, bytes]
) -> Merged:
    """Bring `head`'s changes since `base` into `local`, file by file. Without a base (a
    widget whose versions the viewer may not read), every file that differs is a conflict
    unless one side lacks it."""
    base = base if base is not None else {}
    tree: Tree = {}
    taken: dict[str, Change] = {}
    kept: dict[str, Change] = {}
    conflicts: list[str] = []
    ours, theirs = changes(base, local), changes(base, head)
    for path in sorted(set(base) | set(local) | set(head)):
        mine, new = local.get(path), head.get(path)
        if mine == new:
            chosen = mine
        elif path not in theirs:  # only the folder changed it
            chosen = mine
            kept[path] = ours[path]
        elif path not in ours:  # only the server changed it
            chosen = new
            taken[path] = theirs[path]
        else:
            chosen = mine
            conflicts.append(path)
        if chosen is not None:
            tree[path] = chosen
    return Merged(tree, taken, kept, conflicts)


# -- writing into the folder ---------------------------------------------------------------


def _target(root: Path, path: str) -> Path:
    """Where `path` goes under `root`, refused when it is no plain relative path, names the
    link, or passes through a symbolic link."""
    problem = trees.path_problem(path)
    if problem is None and is_link_path(path):
        problem = f"inside {LINK_DIR}/, the clone's own folder"
    if problem is not None:
        raise RemoteError(f"The server sent a file the folder cannot hold: {path}: {problem}.")
    target = root
    for part in path.split("/"):
        target = target / part
        if target.is_symlink():
            raise RemoteError(f"{target} is a symbolic link: not followed, nothing written.")
    return target


def apply(root: Path, old: Mapping[str, bytes], new: Mapping[str, bytes]) -> dict[str, Change]:
    """Make the folder's files (`old`, as read) those of `new`: each changed file written
    (a new file renamed into place), each missing one removed with the folders it leaves
    empty. Returns what changed."""
    changed = changes(old, new)
    targets = {path: _target(root, path) for path in changed}  # every path checked first
    for path, change in changed.items():
        target = targets[path]
        if change == "deleted":
            if stat.S_ISREG(target.lstat().st_mode):
                target.unlink()
            parent = target.parent
            while parent != root and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.widgetbox-{os.getpid()}.tmp")
        temporary.write_bytes(new[path])
        os.replace(temporary, target)
    return changed


def meta_of(widget: Mapping[str, Any]) -> Meta:
    """The metadata of a widget as the API describes it."""
    return Meta(
        kind=str(widget["kind"]),
        title=str(widget["title"]),
        visibility=str(widget["visibility"]),
        slug=str(widget["slug"]),
    )
