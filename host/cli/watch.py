"""`widgetbox watch`: push a cloned folder on every save, for editing in one's own editor.

The folder is watched with watchfiles (the operating system's file events: inotify,
FSEvents, ReadDirectoryChangesW), which also groups the burst of events one save makes
(an editor writes a temporary file, renames it, touches a backup) into one change: a push
happens once nothing changed for `--debounce` milliseconds. Each push is `sync.push`
(refused, and said so, when the server has a newer version); saves that leave the files as
the server has them push nothing.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from widgetbox.host.cli import link
from widgetbox.host.cli.connect import (
    EXIT_CONNECTION,
    EXIT_OK,
    RemoteError,
    connect,
    reporting,
)
from widgetbox.host.cli.link import LINK_DIR

if TYPE_CHECKING:
    from widgetbox.host.cli.link import Checkout
    from widgetbox.host.cli.remote import Remote

WATCH_MESSAGE = "Pushed by widgetbox watch"
TICK_MS = 500
"""How often the watch loop wakes without changes (for Ctrl-C, and to know it started)."""


class Watcher:
    """Pushes the folder and says what happened, as text or JSON Lines."""

    def __init__(self, remote: Remote, root: Path, message: str, as_json: bool) -> None:
        self.remote = remote
        self.root = root
        self.message = message
        self.as_json = as_json

    def say(self, event: str, text: str, err: bool = False, **fields: Any) -> None:
        if self.as_json:
            click.echo(json.dumps({"event": event, **fields}))
        else:
            click.echo(text, err=err)
        sys.stdout.flush()

    def push(self) -> None:
        """Push the folder as it is now; a refusal is said, and watching goes on (a login
        that is not accepted any more ends it)."""
        from widgetbox.host.cli import checkout as files
        from widgetbox.host.cli.sync import push

        checkout = link.require(self.root)  # its version moves with every push
        try:
            local = files.read_local(checkout.root)
            pushed = push(self.remote, checkout, local, self.message, force=False)
        except RemoteError as e:
            if e.exit_code == EXIT_CONNECTION and e.code != "unreachable":
                raise
            self.say("refused", f"Not pushed: {e.message}", err=True, **e.as_dict())
            return
        if pushed.changed:
            listed = ", ".join(f"{path} ({change})" for path, change in pushed.changed.items())
            self.say(
                "pushed",
                f"Pushed version {pushed.version}: {listed}",
                version=pushed.version,
                changed=pushed.changed,
            )
        elif pushed.note:
            self.say("unchanged", pushed.note, version=pushed.version)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@click.command(name="watch")
@click.argument(
    "folder",
    required=False,
    default=".",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
)
@click.option(
    "--debounce",
    type=click.IntRange(min=10),
    default=300,
    show_default=True,
    help="Milliseconds without a new change before pushing (one save is several changes).",
)
@click.option(
    "-m", "--message", default=WATCH_MESSAGE, show_default=True, help="Each version's note."
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print each event as one line of JSON: watching, pushed (with the version), "
    "refused, unchanged.",
)
def watch_command(folder: Path, debounce: int, message: str, as_json: bool) -> None:
    """Push the cloned FOLDER (default: the one you are in) every time a file in it is
    saved, printing each new version, until Ctrl-C.

    Changes in the folder first are pushed as it starts. Every save then pushes once the
    folder has been quiet for --debounce milliseconds. As with `widgetbox push`, nothing is
    overwritten: when someone saved a newer version, the push is refused and said so (run
    `widgetbox pull` in another terminal, then save again), and watching goes on.
    Version control folders, caches and editors' swap and backup files are not watched.

    \b
    Example:
      widgetbox clone my-api && widgetbox watch my-api

    Exit status: 0 stopped with Ctrl-C, 1 refused (not a cloned folder), 2 wrong usage, 7
    not logged in (or the login stopped being accepted) or the server unreachable.
    """
    with reporting(as_json):
        checkout = link.require(folder)
        with connect(checkout.link.server) as remote:
            watcher = Watcher(remote, checkout.root, message, as_json)
            signal.signal(signal.SIGTERM, _stop)
            # Ctrl-C between two pushes (never inside one: `sync.push` finishes it first)
            with contextlib.suppress(KeyboardInterrupt):
                _watch(watcher, checkout, debounce)
    sys.exit(EXIT_OK)


def _watch(watcher: Watcher, checkout: Checkout, debounce: int) -> None:
    """Push at the first tick, then after every quiet change, until Ctrl-C."""
    import watchfiles

    logging.getLogger("watchfiles").setLevel(logging.ERROR)  # its own notes, on Ctrl-C too
    ignore_dirs = (*watchfiles.DefaultFilter.ignore_dirs, LINK_DIR)
    only_files = watchfiles.DefaultFilter(ignore_dirs=ignore_dirs)
    started = False
    for changes in watchfiles.watch(
        checkout.root,
        watch_filter=only_files,
        step=debounce,
        debounce=max(1600, 4 * debounce),
        rust_timeout=TICK_MS,
        yield_on_timeout=True,
        raise_interrupt=False,
    ):
        if not started:  # the first tick: the folder is watched from here on
            started = True
            watcher.push()
            watcher.say(
                "watching",
                f"Watching {checkout.root} for {checkout.link.slug} on "
                f"{checkout.link.server}: every save is pushed (Ctrl-C to stop).",
                slug=checkout.link.slug,
                server=checkout.link.server,
                version=link.read(checkout.root).version,
            )
        elif changes:
            watcher.push()
