"""`widgetbox list` and `widgetbox open`: your widgets on a server, and their pages."""

from __future__ import annotations

import sys
import webbrowser
from pathlib import Path
from typing import Any

import click

from widgetbox.host.cli import link
from widgetbox.host.cli.connect import (
    EXIT_OK,
    RemoteError,
    choose_server,
    connect,
    echo_json,
    json_option,
    reporting,
    server_option,
)

KINDS = {"script": "script", "scheduled": "task", "http": "HTTP API", "gui": "app"}


@click.command(name="list")
@server_option
@json_option
def list_command(server: str | None, as_json: bool) -> None:
    """List your widgets on the server, most recently changed first.

    Each with its address (slug), kind, visibility, latest version, last change and title.

    \b
    Example:
      widgetbox list
      widgetbox list --server https://widgets.example.com --json

    Exit status: 0 listed, 1 refused, 2 wrong usage, 7 not logged in or the server
    unreachable.
    """
    with reporting(as_json):
        origin = choose_server(server, link.find(Path.cwd()))
        with connect(origin) as remote:
            found = list(remote.pages("/api/widgets", "widgets"))
    if as_json:
        echo_json({"ok": True, "server": origin, "widgets": found})
        sys.exit(EXIT_OK)
    if not found:
        click.echo(f"No widgets yet on {origin}: make one in the IDE ({origin}/new).")
        sys.exit(EXIT_OK)
    rows = [
        (
            w["slug"],
            KINDS.get(w["kind"], w["kind"]),
            w["visibility"],
            f"v{w['head_version']}",
            w["updated_at"][:16].replace("T", " "),
            w["title"],
        )
        for w in found
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[5]]))
    sys.exit(EXIT_OK)


def widget_urls(server: str, widget: dict[str, Any]) -> dict[str, str]:
    """The widget's page in the IDE, and its public address when it has one."""
    slug = widget["slug"]
    urls = {"url": f"{server}/widgets/{slug}"}
    if widget["kind"] == "http":
        urls["api_url"] = f"{server}/w/{slug}/"
    elif widget["kind"] == "gui":
        urls["app_url"] = f"{server}/widgets/{slug}/app"
    return urls


@click.command(name="open")
@click.argument("slug", required=False)
@click.option("--browser", is_flag=True, help="Open the page in your web browser too.")
@server_option
@json_option
def open_command(slug: str | None, browser: bool, server: str | None, as_json: bool) -> None:
    """Print the address of the widget SLUG's page (default: the cloned folder's widget).

    An HTTP API's public address and an app's are printed after it. With --browser, the
    page opens in your web browser (Python's webbrowser module: $BROWSER chooses one).

    \b
    Example:
      widgetbox open --browser
      widgetbox open my-widget

    Exit status: 0 printed (and opened), 1 no such widget or no browser, 2 wrong usage, 7
    not logged in or the server unreachable.
    """
    with reporting(as_json):
        checkout = link.find(Path.cwd())
        if slug is None:
            slug = link.require(Path.cwd()).link.slug
        origin = choose_server(server, checkout)
        with connect(origin) as remote:
            widget = remote.get(f"/api/widgets/{slug}")
        urls = widget_urls(origin, widget)
        opened = webbrowser.open(urls["url"]) if browser else False
        if browser and not opened:
            raise RemoteError(f"No web browser could be started: open {urls['url']} yourself.")
    if as_json:
        echo_json({"ok": True, "slug": slug, **urls, "opened": opened})
    else:
        for url in urls.values():
            click.echo(url)
    sys.exit(EXIT_OK)
