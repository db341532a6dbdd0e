"""`widgetbox run` on a server: start a run of the widget's latest version, print its output
as it is printed, and end as the local `widgetbox run` ends (its exit statuses, its
`--json` record).

The output comes from the run's server-sent events (`GET /api/runs/{id}/events`: `status`,
`output` with the stream and the text, `done`), the stream the IDE's console reads. If the
stream breaks, the command waits for the run's record and prints what it had not printed
yet. Ctrl-C stops the run on the server (`POST /api/runs/{id}/cancel`) and waits for it to
end; a second Ctrl-C leaves at once.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from widgetbox.host.cli import link
from widgetbox.host.cli.connect import (
    EXIT_CONNECTION,
    EXIT_FAILED,
    EXIT_USAGE,
    RemoteError,
    choose_server,
    connect,
    reporting,
)
from widgetbox.host.cli.sandbox import EXIT_CODES
from widgetbox.runtime import RUN_STATUSES, Status

if TYPE_CHECKING:
    from widgetbox.host.cli.link import Checkout
    from widgetbox.host.cli.remote import Remote

EXIT_BY_STATUS = {status.value: code for status, code in EXIT_CODES.items()}
"""A finished run's exit status, by its status; a run that was interrupted (Widgetbox
stopped) ends as a killed one, any other as a failure."""
POLL = 0.2
"""Seconds between two reads of a run's record while waiting for its end without events."""


def exit_status(status: str) -> int:
    if status in EXIT_BY_STATUS:
        return EXIT_BY_STATUS[status]
    return EXIT_CODES[Status.KILLED] if status == "interrupted" else EXIT_FAILED


def finished(status: str) -> bool:
    found = RUN_STATUSES.get(status)
    return found is not None and found.finished


class Printer:
    """Writes a run's output where the local `widgetbox run` writes it, counting what was
    written of each stream."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.written = {"stdout": 0, "stderr": 0}

    def write(self, stream: str, text: str) -> None:
        target = sys.stderr if self.as_json or stream == "stderr" else sys.stdout
        target.write(text)
        target.flush()
        self.written[stream] = self.written.get(stream, 0) + len(text)

    def rest(self, record: dict[str, Any]) -> None:
        """What the record holds beyond what was written (the stream broke off)."""
        for stream in ("stdout", "stderr"):
            text = str(record.get(stream) or "")
            if len(text) > self.written.get(stream, 0):
                self.write(stream, text[self.written.get(stream, 0) :])


def wait_for_end(remote: Remote, run_id: int) -> dict[str, Any]:
    while True:
        record: dict[str, Any] = remote.get(f"/api/runs/{run_id}")
        if finished(str(record["status"])):
            return record
        time.sleep(POLL)


def follow(remote: Remote, run_id: int, printer: Printer) -> dict[str, Any]:
    """Print the run's output as it comes; its record once it has ended."""
    try:
        try:
            for event in remote.events(f"/api/runs/{run_id}/events"):
                if event.kind == "output" and isinstance(event.data, dict):
                    printer.write(str(event.data.get("stream")), str(event.data.get("text", "")))
                elif event.kind == "done":
                    break
        except RemoteError as e:
            if e.exit_code != EXIT_CONNECTION:
                raise
            click.echo(f"warning: {e.message} Waiting for the run's end...", err=True)
        record = wait_for_end(remote, run_id)
    except KeyboardInterrupt:
        click.echo("Stopping the run on the server (Ctrl-C again to leave now)...", err=True)
        try:
            remote.post(f"/api/runs/{run_id}/cancel")
            record = wait_for_end(remote, run_id)
        except KeyboardInterrupt:
            sys.exit(130)
    printer.rest(record)
    return record


def _unpushed(remote: Remote, checkout: Checkout) -> list[str]:
    """The files in which the folder differs from the server's latest version."""
    from widgetbox.host.cli import checkout as files
    from widgetbox.host.transfer.folders import META_FILE

    widget = remote.get(f"/api/widgets/{checkout.link.slug}")
    local = files.folder_tree(checkout.root)
    local.pop(META_FILE, None)
    return list(files.changes(files.server_tree(widget["files"]), local))


def run_remote(target: str | None, server: str | None, push_first: bool, as_json: bool) -> NoReturn:
    """`widgetbox run` for a widget on a server: TARGET is its slug, a cloned folder, or
    None for the cloned folder the command runs in."""
    printer = Printer(as_json)
    with reporting(as_json):
        checkout = None
        if target is None or Path(target).is_dir():
            checkout = link.require(Path(target or "."))
        if push_first and checkout is None:
            raise RemoteError(
                "--push pushes a cloned folder: name one, or run inside it.",
                "usage",
                exit_code=EXIT_USAGE,
            )
        slug = checkout.link.slug if checkout is not None else str(target)
        origin = choose_server(server, checkout or link.find(Path.cwd()))
        with connect(origin) as remote:
            if checkout is not None and push_first:
                from widgetbox.host.cli import checkout as files
                from widgetbox.host.cli.sync import PUSH_MESSAGE, push

                local = files.read_local(checkout.root)
                pushed = push(remote, checkout, local, PUSH_MESSAGE, force=False)
                if pushed.changed:
                    click.echo(f"Pushed {slug} version {pushed.version}.", err=True)
            elif checkout is not None:
                changed = _unpushed(remote, checkout)
                if changed:
                    click.echo(
                        f"warning: not pushed yet: {', '.join(changed)}. This runs the "
                        "server's latest version; `widgetbox run --push` pushes first.",
                        err=True,
                    )
            started = remote.post(f"/api/widgets/{slug}/runs")
            record = follow(remote, int(started["id"]), printer)
    status = str(record["status"])
    if as_json:
        click.echo(json.dumps(record, indent=2))
    elif status != "ok":
        error = record.get("error") or {}
        traceback = str(error.get("traceback") or "")
        if traceback and traceback not in str(record.get("stderr") or ""):
            sys.stderr.write(traceback if traceback.endswith("\n") else traceback + "\n")
        if status != "error" or not traceback:
            click.echo(f"{status}: {record.get('message') or RUN_STATUSES[status].label}", err=True)
    sys.exit(exit_status(status))
