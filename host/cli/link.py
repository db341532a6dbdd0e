"""What ties a cloned folder to its widget on a server: `.widgetbox/remote.toml`.

    my-widget/
      .widgetbox.toml            kind, title, visibility, slug (host/transfer/folders.py)
      main.py, ...               the widget's files
      .widgetbox/remote.toml     server, slug, version
      .widgetbox/.gitignore      "*": the link belongs to this copy, not to the project

`version` is the version the folder's files were cloned, pulled or pushed at: the base a
push names, so that the server refuses it when someone saved a newer version meanwhile
(`widgetbox push --force` saves over it). The link lives beside the folder's layout rather
than in `.widgetbox.toml`, which describes the widget wherever it goes (an import, another
server) and which git may share; `.widgetbox/` is never one of the widget's files.

This module is light on purpose (no transfer code): every remote command looks for a link
to know its server and widget.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from widgetbox.host.cli.connect import EXIT_FAILED, RemoteError

LINK_DIR = ".widgetbox"
LINK_FILE = f"{LINK_DIR}/remote.toml"
MAX_LINK = 10_000
"""Characters of the link file, at most."""


@dataclass(frozen=True)
class Link:
    server: str
    slug: str
    version: int
    """The version the folder's files were cloned, pulled or pushed at."""


@dataclass(frozen=True)
class Checkout:
    """A cloned folder: its top and its link."""

    root: Path
    link: Link


def text_of(link: Link) -> str:
    return (
        "# This folder is a clone of a Widgetbox widget: `widgetbox push` saves it as a new\n"
        "# version of the widget, `widgetbox pull` brings in the server's newer ones.\n"
        f"server = {json.dumps(link.server)}\n"
        f"slug = {json.dumps(link.slug)}\n"
        f"version = {link.version}\n"
    )


def read(root: Path) -> Link:
    file = root / LINK_FILE
    try:
        text = file.read_text(encoding="utf-8")[:MAX_LINK]
        data = tomllib.loads(text)
        server, slug, version = data["server"], data["slug"], data["version"]
        if not (isinstance(server, str) and isinstance(slug, str) and isinstance(version, int)):
            raise TypeError("server, slug or version")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError) as e:
        raise RemoteError(
            f"{file} cannot be read ({e}): clone the widget again into a new folder.",
            "bad_link",
        ) from None
    return Link(server, slug, version)


def write(root: Path, link: Link) -> None:
    """Write the link (a new file renamed into place: never half-written)."""
    folder = root / LINK_DIR
    folder.mkdir(exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# written by widgetbox: this folder links the clone to its server\n*\n")
    file = root / LINK_FILE
    temporary = file.with_name(f".remote.{os.getpid()}.tmp")
    temporary.write_text(text_of(link), encoding="utf-8")
    os.replace(temporary, file)


def root_of(start: Path) -> Path | None:
    """The top of the cloned folder holding `start` (itself or a folder above), if any."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / LINK_FILE).is_file():
            return folder
    return None


def find(start: Path) -> Checkout | None:
    """The cloned folder holding `start`, with its link, if any."""
    root = root_of(start)
    return None if root is None else Checkout(root, read(root))


def require(start: Path) -> Checkout:
    """`find`, or a RemoteError saying the folder is no clone."""
    found = find(start)
    if found is None:
        raise RemoteError(
            f"{start} is not in a cloned widget's folder (no {LINK_FILE} there or above): "
            "clone a widget first (widgetbox clone SLUG), or name the widget.",
            "not_a_clone",
            exit_code=EXIT_FAILED,
        )
    return found
