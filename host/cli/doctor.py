"""`widgetbox doctor`: the checks of `host/doctor/`, printed with what to fix."""

from __future__ import annotations

from pathlib import Path

import click

from widgetbox.host.cli.options import config_option, data_dir_option, load_config

MARKS = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
COLOURS = {"ok": "green", "warn": "yellow", "fail": "red"}


@click.command(name="doctor")
@click.option(
    "--offline",
    is_flag=True,
    help="Leave out the checks that use the network (the apps domain's DNS, the public URL).",
)
@data_dir_option
@config_option
def doctor_command(offline: bool, data_dir: Path | None, config_file: Path | None) -> None:
    """Check this server's set-up, with the settings `serve` would use, and say what to fix.

    The interpreter cache (present, sha256 verified, compiled), the data folder (writable,
    private, its keys private, free space, the database), the apps domain's DNS (a random
    name under it resolves, to where the public URL's host does) and the public URL (it
    answers /healthz as Widgetbox, and /readyz). Exits with status 1 when a check fails;
    warnings alone exit 0.
    """
    from widgetbox.host.doctor import FAIL, examine

    settings = load_config(config_file, data_dir=data_dir)
    findings = examine(settings, network=not offline)
    for finding in findings:
        mark = click.style(MARKS[finding.status], fg=COLOURS[finding.status], bold=True)
        click.echo(f"{mark}  {finding.check}: {finding.message}")
        if finding.fix:
            click.echo(f"      fix: {finding.fix}")
    failed = sum(finding.status == FAIL for finding in findings)
    warned = sum(finding.status == "warn" for finding in findings)
    click.echo(f"{failed} failed, {warned} warnings, {len(findings) - failed - warned} ok")
    if failed:
        raise SystemExit(1)
