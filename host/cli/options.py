"""What several commands share: reading the settings, and the --config and --data-dir
options."""

from __future__ import annotations

from pathlib import Path

import click

from widgetbox.host import config
from widgetbox.host.config import Config


def load_config(config_file: Path | None, **overrides: object) -> Config:
    try:
        return config.load(config_file, overrides=overrides)
    except config.ConfigError as e:
        raise click.ClickException(f"configuration: {e}") from None


config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"Settings file (default: ./{config.CONFIG_FILE} when it exists).",
)
data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the database and keys (setting data_dir; default ./data).",
)
