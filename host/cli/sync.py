"""`widgetbox clone`, `pull`, `push` and `status`: a widget as a folder on your machine,
kept in step with its server. The folder's layout is `host/transfer/folders.py`'s, its
link to the server `link.py`'s; comparing and merging are `checkout.py`'s."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click

from widgetbox.host.cli import credentials, link
from widgetbox.host.cli.connect import (
    EXIT_OK,
    RemoteError,
    choose_server,
    connect,
    echo_json,
    json_option,
    reporting,
    server_option,
    uninterrupted,
)
from widgetbox.host.cli.link import Checkout, Link

if TYPE_CHECKING:
    from widgetbox.host.cli.checkout import Change, Local
    from widgetbox.host.cli.remote import Remote
    from widgetbox.host.transfer.trees import Tree

PUSH_MESSAGE = "Pushed from the command line"

folder_argument = click.argument(
    "folder", required=False, type=click.Path(file_okay=False, path_type=Path)
)


def _widget_address(text: str, server: str | None) -> tuple[str, str]:
    """(server, slug) from a slug, or from the address of a widget's page in the IDE."""
    if "://" not in text:
        return choose_server(server), text
    parts = urlsplit(text)
    pieces = parts.path.strip("/").split("/")
    if len(pieces) < 2 or pieces[0] != "widgets":
        raise RemoteError(
            f"{text} is not a widget's address (https://HOST/widgets/SLUG).", "bad_address"
        )
    return credentials.server_url(f"{parts.scheme}://{parts.netloc}"), pieces[1]


def _listed(found: dict[str, Change], indent: str = "  ") -> list[str]:
    return [f"{indent}{change:<9} {path}" for path, change in found.items()]


def base_tree(remote: Remote, slug: str, version: int) -> Tree | None:
    """Version `version`'s files, or None when the login may not read versions (a widget
    someone else owns)."""
    from widgetbox.host.cli.checkout import server_tree

    try:
        found = remote.get(f"/api/widgets/{slug}/versions/{version}")
    except RemoteError as e:
        if e.status in (403, 404):
            return None
        raise
    return server_tree(found["files"])


# -- clone ---------------------------------------------------------------------------------


@click.command(name="clone")
@click.argument("slug")
@click.argument("folder", required=False, type=click.Path(path_type=Path))
@server_option
@json_option
def clone_command(slug: str, folder: Path | None, server: str | None, as_json: bool) -> None:
    """Copy the widget SLUG into FOLDER (new or empty; default ./SLUG) to edit it with your
    own tools, then `widgetbox push` it back.

    FOLDER gets the widget's files as its latest version has them, .widgetbox.toml (its
    kind, title, visibility and address: the folder layout `widgetbox import` and
    `widgetbox export --folder` use) and .widgetbox/ (the server and the version cloned:
    the base of the next push; git ignores it). SLUG may also be the address of the
    widget's page (https://widgets.example.com/widgets/my-widget).

    \b
    Example:
      widgetbox clone my-widget
      cd my-widget && $EDITOR main.py && widgetbox push

    Exit status: 0 cloned, 1 refused (no such widget, FOLDER not empty), 2 wrong usage, 7
    not logged in or the server unreachable.
    """
    from widgetbox.host.cli import checkout as files

    with reporting(as_json):
        origin, slug = _widget_address(slug, server)
        with connect(origin) as remote:
            widget = remote.get(f"/api/widgets/{slug}")
        target = folder or Path(widget["slug"])
        tree = files.write_clone(target, files.meta_of(widget), widget["files"])
        link.write(target, Link(origin, widget["slug"], widget["head_version"]))
    if as_json:
        echo_json(
            {
                "ok": True,
                "server": origin,
                "slug": widget["slug"],
                "version": widget["head_version"],
                "folder": str(target),
                "files": sorted(tree),
            }
        )
    else:
        count = len(widget["files"])
        click.echo(
            f"Cloned {widget['slug']} (version {widget['head_version']}, {count} "
            f"file{'s' if count != 1 else ''}) into {target}"
        )
    sys.exit(EXIT_OK)


# -- push ----------------------------------------------------------------------------------


@dataclass
class Pushed:
    version: int
    """The server's latest version now: the new one, or the one already there."""
    changed: dict[str, Change] = field(default_factory=dict)
    """What the new version changed (nothing: no version was made)."""
    previous: int = 0
    """The version the new one follows."""
    note: str = ""
    """Why nothing was pushed, when that needs saying."""


def conflict(slug: str, base: int, head: int) -> RemoteError:
    return RemoteError(
        f"Not pushed: {slug} was saved elsewhere since this folder's version {base}; the "
        f"server's latest is version {head}. Nothing was overwritten. Run `widgetbox pull` "
        "to bring in those changes, then push again; or `widgetbox push --force` to save "
        f"yours over them as version {head + 1} (version {head} stays in the widget's "
        "history). `widgetbox status` shows what changed on each side.",
        "version_conflict",
        409,
        {"base_version": base, "head_version": head},
    )


def push(remote: Remote, checkout: Checkout, local: Local, message: str, force: bool) -> Pushed:
    """Save the folder's files as a new version, unless the server's latest is newer than
    the folder's base (then `conflict`, unless `force`) or holds the same files already.
    The link then names the server's latest version."""
    from widgetbox.host.cli import checkout as files

    root, base = checkout.root, checkout.link.version
    widget = remote.get(f"/api/widgets/{checkout.link.slug}")
    slug = widget["slug"]  # its address now, if it was renamed since (the link follows)
    if widget["kind"] != local.meta.kind:
        raise RemoteError(
            f"The folder's .widgetbox.toml says kind = {local.meta.kind!r}, but {slug} on "
            f"the server is a {widget['kind']!r} widget: a widget's kind never changes.",
            "kind_mismatch",
        )
    head = widget["head_version"]
    changed = files.changes(files.server_tree(widget["files"]), local.tree)
    if not changed:
        link.write(root, Link(checkout.link.server, slug, head))
        return Pushed(head, previous=head)
    if base != head and not force:
        before = base_tree(remote, slug, base)
        if before is not None and not files.changes(before, local.tree):
            note = (
                f"Nothing to push: the folder has no changes since version {base}, and the "
                f"server has a newer version {head} (`widgetbox pull` brings it in)."
            )
            return Pushed(base, previous=base, note=note)
        raise conflict(slug, base, head)
    body: dict[str, Any] = {
        "base_version": head if force else base,
        "files": files.files_to_send(local.tree, widget["files"]),
        "message": message,
    }
    with uninterrupted():  # a version saved is a version the link names
        try:
            saved = remote.post(f"/api/widgets/{slug}/versions", body)
        except RemoteError as e:
            if e.code != "version_conflict":
                raise
            newest = int(e.details.get("head_version", head))
            if not force:
                raise conflict(slug, base, newest) from None
            body["base_version"] = newest  # saved meanwhile: --force saves over that too
            saved = remote.post(f"/api/widgets/{slug}/versions", body)
        version = int(saved["version"])
        link.write(root, Link(checkout.link.server, slug, version))
    return Pushed(version, changed, int(body["base_version"]))


@click.command(name="push")
@folder_argument
@click.option(
    "-m", "--message", default=PUSH_MESSAGE, show_default=True, help="The version's note."
)
@click.option(
    "--force",
    is_flag=True,
    help="Save even when the server has a newer version than the folder's (that version "
    "stays in the widget's history).",
)
@json_option
def push_command(folder: Path | None, message: str, force: bool, as_json: bool) -> None:
    """Save the cloned FOLDER (default: the one you are in) as the widget's new version.

    The new version holds the folder's files as they are (every file but .widgetbox.toml,
    .widgetbox/, version control and caches), checked first as the server checks them. If
    someone saved a newer version since the folder's was cloned, pulled or pushed, nothing
    is overwritten: the push is refused with both versions named, until you `widgetbox
    pull` (which merges theirs in) or push with --force. A folder with the server's files
    already makes no new version.

    \b
    Example:
      widgetbox push -m "Greet in French"
      widgetbox push --force

    Exit status: 0 pushed (or nothing to push), 1 refused (a newer version on the server,
    files it cannot save), 2 wrong usage, 7 not logged in or the server unreachable.
    """
    from widgetbox.host.cli import checkout as files

    with reporting(as_json):
        checkout = link.require(folder or Path.cwd())
        local = files.read_local(checkout.root)
        for warning in local.warnings:
            click.echo(f"warning: {warning}", err=True)
        with connect(checkout.link.server) as remote:
            pushed = push(remote, checkout, local, message, force)
    slug = checkout.link.slug
    if as_json:
        echo_json(
            {
                "ok": True,
                "slug": slug,
                "pushed": bool(pushed.changed),
                "version": pushed.version,
                "changed": pushed.changed,
            }
        )
    elif pushed.note:
        click.echo(pushed.note)
    elif not pushed.changed:
        click.echo(f"Nothing to push: {slug} version {pushed.version} has the folder's files.")
    else:
        click.echo(f"Pushed {slug} version {pushed.version} to {checkout.link.server}:")
        click.echo("\n".join(_listed(pushed.changed)))
    sys.exit(EXIT_OK)


# -- pull ----------------------------------------------------------------------------------


@click.command(name="pull")
@folder_argument
@click.option(
    "--force",
    is_flag=True,
    help="Make the folder the server's latest version, discarding the folder's changes.",
)
@json_option
def pull_command(folder: Path | None, force: bool, as_json: bool) -> None:
    """Bring the server's newer versions into the cloned FOLDER (default: the one you are
    in), keeping your own changes.

    File by file: a file changed only on the server is taken, one changed only in the
    folder is kept, and if any file changed on both sides (differently) nothing is changed
    and those files are listed: keep yours with `widgetbox push --force`, or take the
    server's with `widgetbox pull --force`. .widgetbox.toml gets the widget's title and
    visibility. Then `widgetbox push` saves your changes on top of the latest version.

    \b
    Example:
      widgetbox pull && widgetbox push

    Exit status: 0 pulled (or up to date), 1 refused (files changed on both sides), 2
    wrong usage, 7 not logged in or the server unreachable.
    """
    from widgetbox.host.cli import checkout as files
    from widgetbox.host.transfer.folders import META_FILE

    with reporting(as_json):
        checkout = link.require(folder or Path.cwd())
        base = checkout.link.version
        with connect(checkout.link.server) as remote:
            widget = remote.get(f"/api/widgets/{checkout.link.slug}")
            slug = widget["slug"]  # its address now, if it was renamed since
            head = files.server_tree(widget["files"])
            before = head if base == widget["head_version"] else base_tree(remote, slug, base)
        everything = files.folder_tree(checkout.root)
        local = {path: data for path, data in everything.items() if path != META_FILE}
        if force:
            merged = files.Merged(head, files.changes(local, head), {}, [])
        else:
            merged = files.merge(before, local, head)
        if merged.conflicts:
            raise RemoteError(
                f"Not pulled: changed both in this folder and on the server since version "
                f"{base}: {', '.join(merged.conflicts)}. Nothing was changed. Keep yours with "
                "`widgetbox push --force`, or take the server's with `widgetbox pull "
                "--force` (which discards every change in the folder).",
                "pull_conflict",
                details={"conflicts": merged.conflicts, "head_version": widget["head_version"]},
            )
        target = {**merged.tree, META_FILE: files.meta_bytes(files.meta_of(widget))}
        with uninterrupted():  # the files and the version they are at, together
            files.apply(checkout.root, everything, target)
            link.write(checkout.root, Link(checkout.link.server, slug, widget["head_version"]))
    version = widget["head_version"]
    if as_json:
        echo_json(
            {
                "ok": True,
                "slug": slug,
                "version": version,
                "taken": merged.taken,
                "kept": merged.kept,
            }
        )
        sys.exit(EXIT_OK)
    if not merged.taken:
        click.echo(f"Up to date with {slug} version {version}.")
    else:
        click.echo(f"Pulled {slug} version {version}:")
        click.echo("\n".join(_listed(merged.taken)))
    if merged.kept:
        click.echo("Your changes, kept (not pushed yet):")
        click.echo("\n".join(_listed(merged.kept)))
    sys.exit(EXIT_OK)


# -- status --------------------------------------------------------------------------------


def _status(remote: Remote, checkout: Checkout) -> dict[str, Any]:
    from widgetbox.host.cli import checkout as files
    from widgetbox.host.transfer.folders import META_FILE

    slug, base = checkout.link.slug, checkout.link.version
    widget = remote.get(f"/api/widgets/{slug}")
    version = widget["head_version"]
    head = files.server_tree(widget["files"])
    before = head if base == version else base_tree(remote, slug, base)
    everything = files.folder_tree(checkout.root)
    local = {path: data for path, data in everything.items() if path != META_FILE}
    against_head = files.changes(head, local)
    ours = files.changes(before, local) if before is not None else against_head
    theirs = files.changes(before, head) if before is not None and base != version else {}
    return {
        "ok": True,
        "server": checkout.link.server,
        "slug": slug,
        "version": base,
        "head_version": version,
        "local": ours,
        "server_changes": theirs,
        "conflicts": [path for path in ours if path in theirs and path in against_head],
        "differs_from_head": against_head,
        "metadata_differs": everything.get(META_FILE) != files.meta_bytes(files.meta_of(widget)),
    }


@click.command(name="status")
@folder_argument
@json_option
def status_command(folder: Path | None, as_json: bool) -> None:
    """Show what differs between the cloned FOLDER (default: the one you are in) and the
    widget on the server, file by file.

    Lists the files changed in the folder since its version (added, modified, deleted:
    what `widgetbox push` would save) and, when the server has a newer version, the files
    changed there since, and the files changed on both sides.

    \b
    Example:
      widgetbox status
      widgetbox status ../my-widget --json

    Exit status: 0 shown, 1 refused, 2 wrong usage, 7 not logged in or the server
    unreachable.
    """
    with reporting(as_json):
        checkout = link.require(folder or Path.cwd())
        with connect(checkout.link.server) as remote:
            found = _status(remote, checkout)
    if as_json:
        echo_json(found)
        sys.exit(EXIT_OK)
    base, head = found["version"], found["head_version"]
    newer = f", server at version {head}" if head != base else " (the server's latest)"
    click.echo(f"{found['slug']} on {found['server']}: folder at version {base}{newer}")
    if found["local"]:
        click.echo(f"Changed in this folder since version {base} (push saves them):")
        click.echo("\n".join(_listed(found["local"])))
    else:
        click.echo(f"No changes in this folder since version {base}.")
    if found["server_changes"]:
        click.echo(f"Changed on the server since version {base} (pull brings them in):")
        click.echo("\n".join(_listed(found["server_changes"])))
    if found["conflicts"]:
        click.echo(f"Changed on both sides: {', '.join(found['conflicts'])}")
    if found["metadata_differs"]:
        click.echo(
            ".widgetbox.toml differs from the widget's title or visibility: push leaves "
            "those alone (change them in Settings); pull rewrites the file."
        )
    sys.exit(EXIT_OK)
