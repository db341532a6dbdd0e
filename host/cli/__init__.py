"""The `widgetbox` command: one module per group of subcommands.

sandbox.py   prepare, run      the interpreter, and a file run as a script widget would
serve.py     serve             the web application
backups.py   backup, restore   the database copied and put back, with its keys
settings.py  settings          the settings in effect (or README.md's table of them)
options.py                     reading the settings; --config and --data-dir
progress.py                    progress lines for long one-time work
"""

from __future__ import annotations

import click

from widgetbox.host.cli.backups import backup_command, restore_command
from widgetbox.host.cli.sandbox import prepare_command, run_command
from widgetbox.host.cli.serve import serve_command
from widgetbox.host.cli.settings import settings_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="widgetbox")
def main() -> None:
    """Widgetbox: write small Python programs in the browser and run them safely.

    Every run happens in a fresh CPython-on-WebAssembly sandbox with hard limits on time,
    memory, output and files.
    """


for command in (
    prepare_command,
    run_command,
    serve_command,
    backup_command,
    restore_command,
    settings_command,
):
    main.add_command(command)
