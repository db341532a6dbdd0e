"""`widgetbox settings`: the settings in effect, or the table of all of them."""

from __future__ import annotations

from pathlib import Path

import click

from widgetbox.host import config
from widgetbox.host.cli.options import config_option, data_dir_option, load_config


@click.command(name="settings")
@data_dir_option
@config_option
@click.option(
    "--table",
    is_flag=True,
    help="Print the table of every setting with its default and meaning, in Markdown "
    "(README.md's), instead of the values in effect.",
)
def settings_command(data_dir: Path | None, config_file: Path | None, table: bool) -> None:
    """Show every setting's value and where it came from, after validating them."""
    if table:
        click.echo(config.markdown_table(), nl=False)
        return
    settings = load_config(config_file, data_dir=data_dir)
    for setting in config.SETTINGS:
        value = settings.value(setting)
        source = settings.sources.get(setting.name, "default")
        click.echo(f"[{setting.section}] {setting.name} = {value!r}   ({source}; {setting.env})")
