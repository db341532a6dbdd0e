"""`widgetbox import` and `widgetbox export`: widgets in and out of the local database, as
Anvil apps and as plain folders (the same functions the IDE's import page and export use:
host/transfer/)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import click

from widgetbox.host.cli import local
from widgetbox.host.cli.options import config_option, data_dir_option, load_config
from widgetbox.host.config import Config
from widgetbox.host.errors import DomainError, NotFound

EXIT_OK = 0
EXIT_REFUSED = 1


@click.command(name="import")
@click.argument("source", metavar="PATH_OR_URL")
@click.option("--title", help="The widget's title (default: the app's name in anvil.yaml).")
@click.option(
    "--user",
    "username",
    help="The account that owns the new widget (default: the admin, the first account).",
)
@click.option("--slug", help="The widget's address (default: made from the title).")
@click.option(
    "--visibility",
    type=click.Choice(["private", "unlisted", "public"]),
    help="Who may see it (default: private; a folder's own when it says).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the outcome as JSON on stdout: the widget and every line of the report.",
)
@data_dir_option
@config_option
def import_command(
    source: str,
    title: str | None,
    username: str | None,
    slug: str | None,
    visibility: str | None,
    as_json: bool,
    data_dir: Path | None,
    config_file: Path | None,
) -> None:
    """Make a widget of PATH: an Anvil app's folder, a widget's folder, a zip of either, or
    the https (or http) URL of a git repository holding either.

    An Anvil app's folder is its git repository (anvil.yaml, client_code/, server_code/,
    theme/); a URL is cloned (the default branch's latest commit, without credentials, as
    the IDE's import page does, bounded by [imports] git_import_timeout; hosts on this
    machine's network are allowed here). An app with forms becomes an app, one with only HTTP
    endpoints an HTTP API; the report lists everything the import found (services
    Widgetbox lacks, functions only an Uplink provides, components it does not draw...),
    and the widget holds what could be imported. A widget's folder has .widgetbox.toml
    (`widgetbox export --folder` writes one). The widget goes into the database of the
    data folder, as `widgetbox serve` sees it (it may be running).

    \b
    Example:
      widgetbox import https://github.com/me/my-anvil-app.git --user alice
      git clone https://github.com/me/my-anvil-app
      widgetbox import my-anvil-app --title "My app" --user alice

    Exit status: 0 imported (warnings may be listed), 1 nothing imported (the report says
    why), 2 wrong usage.
    """
    from widgetbox.host.transfer import anvil_import, folders, records, trees
    from widgetbox.host.transfer import report as reports

    settings = load_config(config_file, data_dir=data_dir)
    path = Path(source)
    try:
        if "://" in source or source.startswith("git@"):
            read = _clone(source, settings)
        else:
            read = trees.read_zip_file(path) if path.is_file() else trees.read_folder(path)
    except DomainError as e:
        _refuse(as_json, _summary(e, "nothing was imported"), e.details.get("problems", []))
    report = reports.Report()
    if read.left_out:
        shown = ", ".join(read.left_out[:5])
        report.info("", "", f"left out (version control, caches, a clone's link): {shown}")
    now = datetime.now(UTC)
    minimum = timedelta(minutes=settings.runs.min_schedule_minutes)
    try:
        if folders.META_FILE not in read.tree:
            imported = anvil_import.import_app(read.tree, title)
            imported.report.lines[:0] = report.lines
            report = imported.report
            if not report.ok:
                _print_report(report, as_json)
                _refuse(as_json, "nothing was imported", report=report)
            widget = local.write(
                settings,
                lambda db: records.create_imported(
                    db,
                    records.owner_for(db, username),
                    imported,
                    now=now,
                    min_interval=minimum,
                    slug=slug,
                    visibility=visibility or "private",
                ),
            )
        else:
            folder = folders.read_folder(read.tree)
            report.findings("warning", folder.warnings)
            widget = local.write(
                settings,
                lambda db: records.create_from_folder(
                    db,
                    records.owner_for(db, username),
                    folder,
                    title=title,
                    slug=slug,
                    visibility=visibility,
                ),
            )
    except DomainError as e:
        _refuse(as_json, _summary(e, "nothing was imported"), e.details.get("problems", []), report)
    _forget_old_tables(settings, widget.id)
    url = f"{settings.origin}/widgets/{widget.slug}"
    if as_json:
        record = {
            "ok": True,
            "widget": {
                "slug": widget.slug,
                "title": widget.title,
                "kind": widget.kind,
                "visibility": widget.visibility,
                "owner": widget.owner,
                "version": widget.head_version,
                "url": url,
            },
            "report": report.as_list(),
        }
        click.echo(json.dumps(record, indent=2))
    else:
        _print_report(report, as_json)
        click.echo(
            f"imported {widget.title!r} as {_KINDS[widget.kind]} {widget.slug} for "
            f"{widget.owner}: {url}"
        )
    sys.exit(EXIT_OK)


def _clone(url: str, settings: Config) -> Any:
    """The files of a git URL, cloned as the import page clones them, except that private
    hosts are allowed: whoever runs this command can run git on this machine anyway
    (cloud metadata addresses stay refused)."""
    from dataclasses import replace

    from widgetbox.host.transfer import git_clone

    policy = replace(git_clone.policy_for(settings), allow_private=True)
    return git_clone.clone(url, policy, git_clone.limits_for(settings))


@click.command(name="export")
@click.argument("slug")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option(
    "--folder",
    "as_folder",
    is_flag=True,
    help="Write the widget's own files and .widgetbox.toml (any kind; `widgetbox import` "
    "reads it back) instead of an Anvil app.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON on stdout.")
@data_dir_option
@config_option
def export_command(
    slug: str,
    folder: Path,
    as_folder: bool,
    as_json: bool,
    data_dir: Path | None,
    config_file: Path | None,
) -> None:
    """Write the widget SLUG into FOLDER (new, or empty) as an Anvil app's folder.

    The Anvil app is its git layout (anvil.yaml from the widget's settings, client_code/,
    server_code/, theme/), ready to commit and push to Anvil; an app imported from Anvil
    comes back as it was, with what changed since. Scripts have no Anvil counterpart: use
    --folder. Secrets, Data Tables rows and runs are never exported.

    \b
    Example:
      widgetbox export my-app ./my-app
      widgetbox export my-script ./my-script --folder

    Exit status: 0 written, 1 refused (no such widget, not exportable, FOLDER not empty).
    """
    from widgetbox.host.transfer import anvil_export, folders, records, trees
    from widgetbox.host.transfer import report as reports
    from widgetbox.host.widgets import records as widgets

    settings = load_config(config_file, data_dir=data_dir)

    def read(db: Any) -> tuple[Any, dict[str, str], dict[str, Any] | None]:
        widget = widgets.find(db, slug)
        if widget is None:
            raise NotFound("not_found", f"There is no widget {slug!r}.")
        files, schedule = records.export_inputs(db, widget)
        return widget, files, schedule

    try:
        widget, files, schedule = local.read(settings, read)
        if as_folder:
            meta = folders.Meta(widget.kind, widget.title, widget.visibility, widget.slug)
            tree = folders.folder_tree(meta, files)
            notes = reports.Report()
        else:
            exported = anvil_export.export_app(
                widget.kind, widget.title, files, schedule, persistent=widget.persistent
            )
            tree, notes = exported.tree, exported.notes
        trees.write_folder(folder, tree)
    except DomainError as e:
        _refuse(as_json, _summary(e, "nothing was exported"), e.details.get("problems", []))
    what = "a widget's folder" if as_folder else "an Anvil app"
    if as_json:
        record = {
            "ok": True,
            "slug": widget.slug,
            "format": "folder" if as_folder else "anvil",
            "folder": str(folder),
            "files": sorted(tree),
            "notes": notes.as_list(),
        }
        click.echo(json.dumps(record, indent=2))
    else:
        _print_report(notes, as_json)
        click.echo(f"exported {widget.slug} as {what} to {folder} ({len(tree)} files)")
    sys.exit(EXIT_OK)


_KINDS = {
    "gui": "an app",
    "http": "an HTTP API",
    "scheduled": "a scheduled task",
    "script": "a script",
}


def _forget_old_tables(settings: Config, widget_id: int) -> None:
    """A Data Tables file left by a deleted widget of the same id is not the new one's."""
    from widgetbox.host.tables.store import TablesStore

    TablesStore(settings.server.data_dir).delete(widget_id)


def _print_report(report: Any, as_json: bool) -> None:
    if as_json:
        return
    for line in report.sorted():
        click.echo(line.text, err=line.level != "info")


def _summary(error: DomainError, summary: str) -> str:
    """The error's message, or `summary` when its problems are listed one by one."""
    return summary if error.details.get("problems") else error.message


def _refuse(
    as_json: bool,
    message: str,
    problems: list[dict[str, str]] | None = None,
    report: Any = None,
) -> NoReturn:
    """Say why nothing was done, and exit with EXIT_REFUSED."""
    if as_json:
        record: dict[str, Any] = {"ok": False, "error": message}
        if problems:
            record["problems"] = problems
        if report is not None:
            record["report"] = report.as_list()
        click.echo(json.dumps(record, indent=2))
    else:
        for problem in problems or []:
            place = ": ".join(p for p in (problem.get("file"), problem.get("where")) if p)
            click.echo(
                f"error: {place}: {problem.get('problem')}"
                if place
                else f"error: {problem.get('problem')}",
                err=True,
            )
        click.echo(f"Error: {message}", err=True)
    sys.exit(EXIT_REFUSED)
