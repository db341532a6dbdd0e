"""`widgetbox logs`: a widget's runs and requests with their output, and with `--follow`
each new one as it ends, as Val Town's `vt tail` does.

The entries are the widget's run history (`GET /api/widgets/{slug}/runs`: scripts,
scheduled runs, background tasks) and its logs (`/logs`: HTTP requests and server calls),
merged by id; each one's output is its record's (`GET /api/runs/{id}`). Following looks for
new entries every `--interval` seconds; a run still going is shown once it has ended.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from widgetbox.host.cli import link
from widgetbox.host.cli.connect import (
    EXIT_CONNECTION,
    EXIT_OK,
    RemoteError,
    choose_server,
    connect,
    reporting,
    server_option,
)
from widgetbox.host.cli.remote_runs import finished
from widgetbox.runtime import RUN_STATUSES

if TYPE_CHECKING:
    from widgetbox.host.cli.remote import Remote

LISTINGS = ("runs", "logs")
PAGE = 200
MAX_PAGES = 10
"""Pages of each listing read per look (2,000 entries): beyond that, the oldest new entries
are passed over."""


def _when(text: str | None) -> str:
    if not text:
        return "-"
    try:
        return datetime.fromisoformat(text).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return text


def _took(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def _what(entry: dict[str, Any]) -> str:
    request = entry.get("request") or {}
    trigger = entry["trigger"]
    if trigger == "http":
        method, path = request.get("method", "?"), request.get("path", "?")
        return f"{method} {path} -> {request.get('status', '?')}"
    if trigger == "call":
        return f"call {request.get('function', '?')}"
    if trigger == "task":
        return f"task {entry.get('task_name') or '?'}"
    if trigger == "schedule":
        return "scheduled run"
    return f"run by {entry.get('user') or '?'}"


def describe(record: dict[str, Any]) -> list[str]:
    """An entry's lines: a heading, then its output (`|` stdout, `!` stderr) and traceback."""
    status = str(record["status"])
    label = RUN_STATUSES[status].label if status in RUN_STATUSES else status
    heading = "  ".join(
        part
        for part in (
            _when(record.get("finished_at") or record.get("queued_at")),
            f"#{record['number']}",
            _what(record),
            f"v{record['version']}",
            label,
            _took(record.get("wall_time")),
        )
        if part
    )
    message = str(record.get("message") or "")
    lines = [f"{heading}: {message}" if message and status != "ok" else heading]
    stderr = str(record.get("stderr") or "")
    traceback = str((record.get("error") or {}).get("traceback") or "")
    if traceback and traceback in stderr:
        traceback = ""
    for mark, text in (("|", record.get("stdout") or ""), ("!", stderr), ("!", traceback)):
        lines += [f"  {mark} {line}" for line in str(text).splitlines()]
    return lines


def newer(remote: Remote, slug: str, after: int, most: int) -> list[dict[str, Any]]:
    """The widget's entries with an id above `after`, oldest first, at most the `most`
    newest."""
    found: dict[int, dict[str, Any]] = {}
    size = min(PAGE, max(most, 1))
    for listing in LISTINGS:
        for page_number in range(MAX_PAGES):
            page = remote.get(
                f"/api/widgets/{slug}/{listing}", limit=size, offset=page_number * size
            )["runs"]
            fresh = [entry for entry in page if entry["id"] > after]
            found.update((entry["id"], entry) for entry in fresh)
            if len(fresh) < len(page) or len(page) < size or len(fresh) >= most:
                break
    return [found[key] for key in sorted(found)][-most:]


class Tail:
    """What was shown, and the runs still going, shown once they end."""

    def __init__(self, remote: Remote, slug: str, as_json: bool) -> None:
        self.remote = remote
        self.slug = slug
        self.as_json = as_json
        self.after = 0
        self.waiting: set[int] = set()

    def show(self, entry: dict[str, Any]) -> None:
        record = self.remote.get(f"/api/runs/{entry['id']}")
        if self.as_json:
            click.echo(json.dumps(record))
        else:
            click.echo("\n".join(describe(record)))
        sys.stdout.flush()

    def look(self, most: int, unfinished_too: bool = False) -> None:
        """Show up to `most` of the entries newer than the last look (finished ones, unless
        `unfinished_too`), and those waited for that have ended since."""
        found = newer(self.remote, self.slug, self.after, max(most, 1))
        if found:
            self.after = max(self.after, int(found[-1]["id"]))
        for entry in found[-most:] if most else []:
            if unfinished_too or finished(str(entry["status"])):
                self.show(entry)
            else:
                self.waiting.add(int(entry["id"]))
        for run_id in sorted(self.waiting):
            record = self.remote.get(f"/api/runs/{run_id}")
            if finished(str(record["status"])):
                self.waiting.discard(run_id)
                self.show(record)


@click.command(name="logs")
@click.argument("slug", required=False)
@click.option("--follow", "-f", is_flag=True, help="Keep showing new entries as they end.")
@click.option(
    "--lines",
    "-n",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="How many of the latest entries to show first.",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=1.0,
    show_default=True,
    help="Seconds between two looks for new entries, with --follow.",
)
@server_option
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print each entry's full record as one line of JSON (JSON Lines).",
)
def logs_command(
    slug: str | None,
    follow: bool,
    lines: int,
    interval: float,
    server: str | None,
    as_json: bool,
) -> None:
    """Show the widget SLUG's latest runs and requests with their output (default: the
    cloned folder's widget); with --follow, each new one as it ends, until Ctrl-C.

    Each entry: when, its number, what it was (a run and who started it, a scheduled
    run, a background task, an HTTP request with its status, a server call), the version,
    how it ended and how long it took; then what it printed (`|` standard output, `!`
    standard error and the traceback).

    \b
    Example:
      widgetbox logs --follow
      widgetbox logs my-api -n 50 --json

    Exit status: 0 shown (Ctrl-C ends --follow), 1 refused (no such widget, not yours),
    2 wrong usage, 7 not logged in or the server unreachable.
    """
    with reporting(as_json):
        checkout = link.find(Path.cwd())
        if slug is None:
            slug = link.require(Path.cwd()).link.slug
        origin = choose_server(server, checkout)
        with connect(origin) as remote:
            tail = Tail(remote, slug, as_json)
            if not follow:
                tail.look(lines, unfinished_too=True)
                sys.exit(EXIT_OK)
            with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends following
                tail.look(lines)
                if not as_json:
                    click.echo(f"(following {slug} on {origin}: Ctrl-C to stop)", err=True)
                _follow(tail, interval)
    sys.exit(EXIT_OK)


def _follow(tail: Tail, interval: float) -> None:
    """Look for new entries every `interval` seconds, riding out a server that is away for
    a while (a restart); until Ctrl-C."""
    lost = False
    while True:
        time.sleep(interval)
        try:
            tail.look(PAGE * MAX_PAGES)
        except RemoteError as e:
            if e.exit_code != EXIT_CONNECTION or e.code != "unreachable":
                raise
            if not lost:
                click.echo(f"warning: {e.message} Trying again...", err=True)
            lost = True
        else:
            lost = False
