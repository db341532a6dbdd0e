"""A widget as a plain folder: its files as they are, plus one small metadata file.

    my-app/
      .widgetbox.toml              kind, title, visibility, slug: never secrets or data
      server.py                    the widget's files, each as it is stored
      client_code/Form1/...
      tables.yaml                  the Data Tables' schema (the rows stay in Widgetbox)
      theme/assets/logo.png        binary files as their bytes (stored as data: URLs)

`.widgetbox.toml` is TOML:

    kind = "gui"                   # script, scheduled, http or gui
    title = "My app"
    visibility = "private"         # private, unlisted or public (optional)
    slug = "my-app"                # the address it had (optional; a free one is chosen)

`folder_tree` makes the folder's tree from a widget; `read_folder` reads a tree back into a
widget's metadata and files, refusing with every problem at once (`FolderError`, each with
its file and place): the metadata file missing or wrong, files a widget of that kind could
not save. The same layout serves `widgetbox export --folder`, `widgetbox import FOLDER` and
the remote command line's clone and push.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from widgetbox.host.errors import DomainError, Malformed
from widgetbox.host.gui import design
from widgetbox.host.gui.findings import DesignError, Finding
from widgetbox.host.transfer import trees
from widgetbox.host.transfer.trees import Tree
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.starters import ENTRY
from widgetbox.runtime import Code

META_FILE = ".widgetbox.toml"
"""The folder's metadata file (not `widgetbox.toml`, which holds a server's settings)."""
META_KEYS = ("kind", "title", "visibility", "slug")
MAX_META = 10_000
"""Characters of the metadata file, at most."""


@dataclass(frozen=True)
class Meta:
    """What a folder says about its widget besides its files."""

    kind: str
    title: str
    visibility: str = "private"
    slug: str | None = None
    """The address the widget had; an import uses it when it is free."""


@dataclass
class Folder:
    """A widget read from a folder."""

    meta: Meta
    files: dict[str, str]
    encoded: list[str] = field(default_factory=list)
    """Binary files, kept as `data:` URLs."""
    warnings: list[Finding] = field(default_factory=list)
    """What a GUI widget's designs hold that Widgetbox does not draw (kept)."""


class FolderError(Malformed):
    """The folder is not a widget Widgetbox can take: every problem, with its file and
    place."""

    def __init__(self, problems: list[Finding]) -> None:
        self.problems = problems
        listed = "; ".join(problem.text for problem in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        count = f"{len(problems)} problems" if len(problems) != 1 else "1 problem"
        super().__init__(
            "invalid_folder",
            f"The folder is not a widget ({count}): {listed}{more}",
            {"problems": [problem.as_dict() for problem in problems]},
        )


# -- writing -------------------------------------------------------------------------------


def meta_text(meta: Meta) -> str:
    """The metadata file's text."""
    lines = [
        "# A Widgetbox widget: the other files of this folder are its files.",
        "# `widgetbox import FOLDER` makes a widget of it. Never holds secrets or data.",
    ]
    values: dict[str, str | None] = {
        "kind": meta.kind,
        "title": meta.title,
        "visibility": meta.visibility,
        "slug": meta.slug,
    }
    for key, value in values.items():
        if value is not None:  # a JSON string without ASCII escapes is a TOML basic string
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def folder_tree(meta: Meta, files: Mapping[str, str]) -> Tree:
    """The folder of a widget: its files (binary ones as their bytes) and the metadata."""
    if META_FILE in files:
        raise FolderError(
            [Finding(META_FILE, "", "the widget has a file of this name, which the folder needs")]
        )
    tree = trees.tree_of(files)
    tree[META_FILE] = meta_text(meta).encode("utf-8")
    return dict(sorted(tree.items()))


# -- reading -------------------------------------------------------------------------------


def read_meta(text: str, problems: list[Finding]) -> Meta | None:
    """The metadata in `text`; what is wrong goes to `problems` (None when unusable)."""
    if len(text) > MAX_META:
        problems.append(Finding(META_FILE, "", f"longer than {MAX_META:,} characters"))
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        problems.append(Finding(META_FILE, "", f"not valid TOML: {e}"))
        return None
    before = len(problems)
    for key in data:
        if key not in META_KEYS:
            problems.append(Finding(META_FILE, key, f"unknown key (known: {', '.join(META_KEYS)})"))
    values: dict[str, Any] = {}
    for key, check in (
        ("kind", widgets.check_kind),
        ("title", widgets.check_title),
        ("visibility", widgets.check_visibility),
        ("slug", widgets.check_slug),
    ):
        if key not in data:
            if key in ("kind", "title"):
                problems.append(Finding(META_FILE, key, "missing"))
            continue
        value = data[key]
        if not isinstance(value, str):
            problems.append(Finding(META_FILE, key, "a text in quotes"))
            continue
        try:
            values[key] = check(value)
        except DomainError as e:
            problems.append(Finding(META_FILE, key, e.message))
    if len(problems) > before or "kind" not in values:
        return None
    return Meta(**values)


def file_problems(kind: str, files: Mapping[str, str]) -> tuple[list[Finding], list[Finding]]:
    """What stops a widget of `kind` from saving `files`, all of it; and the warnings a GUI
    widget's designs give (what Widgetbox keeps without drawing it)."""
    problems = [
        Finding(path, "", problem)
        for path in sorted(files)
        if (problem := trees.path_problem(path)) is not None
    ]
    if problems:
        return problems, []
    try:
        Code(files=files, entry=ENTRY[kind])
    except ValueError as e:
        problems.append(Finding("", "", f"{e}"))
    warnings: list[Finding] = []
    if kind == "gui":
        try:
            warnings = design.review(files).warnings
        except DesignError as e:
            problems.extend(e.problems)
    return problems, warnings


def read_folder(tree: Mapping[str, bytes]) -> Folder:
    """The widget in a folder's tree; FolderError listing every problem."""
    problems: list[Finding] = []
    meta: Meta | None = None
    if META_FILE not in tree:
        problems.append(
            Finding(META_FILE, "", "missing: a widget's folder says its kind and title there")
        )
    else:
        try:
            meta = read_meta(tree[META_FILE].decode("utf-8"), problems)
        except UnicodeDecodeError:
            problems.append(Finding(META_FILE, "", "not UTF-8 text"))
    files, encoded = trees.widget_files(
        {path: data for path, data in tree.items() if path != META_FILE}
    )
    warnings: list[Finding] = []
    if meta is not None:
        found, warnings = file_problems(meta.kind, files)
        problems.extend(found)
    if problems or meta is None:
        raise FolderError(problems)
    return Folder(meta, files, encoded, warnings)
