"""The `widgetbox` command: one module per group of subcommands.

sandbox.py   prepare, run      the interpreter, and a file run as a script widget would
                               (or, for a widget on a server, remote_runs.py's run)
serve.py     serve             the web application
worker.py    worker, nkey      sandbox processes serving a server over NATS (remote/),
                               and a NATS user nkey for them (or the server)
backups.py   backup, restore   the database copied and put back, with its keys
doctor.py    doctor            the set-up checked (host/doctor/): what to fix
settings.py  settings          the settings in effect (or README.md's table of them)
transfer.py  import, export    widgets in and out: Anvil apps and plain folders
admin.py     admin ...         the server's accounts: listed with their usage, made,
                               made admins or not, disabled, given set-password links
local.py                       the data folder's database, for the commands above
options.py                     reading the settings; --config and --data-dir
notices.py                     what commands say on stderr beside their output: a
                               notice line, the interpreter's compile bar

For a Widgetbox server, over its JSON API with an API token:

account.py   login, logout     a token per server, kept by credentials.py
browse.py    list, open        your widgets, and a widget's addresses
sync.py      clone, pull,      a widget as a folder (checkout.py: its files compared
             push, status      and merged; link.py: the folder's server and version)
remote_runs.py  (run)          a run on the server, its output streamed
logs.py      logs              runs and requests, and --follow
watch.py     watch             a push on every save
connect.py                     which server and login; --server, --json, exit statuses
remote.py                      the HTTP client: errors, server-sent events, signing in
"""

from __future__ import annotations

import click

from widgetbox.host.cli.account import login_command, logout_command
from widgetbox.host.cli.admin import admin_group
from widgetbox.host.cli.backups import backup_command, restore_command
from widgetbox.host.cli.browse import list_command, open_command
from widgetbox.host.cli.doctor import doctor_command
from widgetbox.host.cli.logs import logs_command
from widgetbox.host.cli.sandbox import prepare_command, run_command
from widgetbox.host.cli.serve import serve_command
from widgetbox.host.cli.settings import settings_command
from widgetbox.host.cli.sync import clone_command, pull_command, push_command, status_command
from widgetbox.host.cli.transfer import export_command, import_command
from widgetbox.host.cli.watch import watch_command
from widgetbox.host.cli.worker import nkey_command, worker_command


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
    doctor_command,
    settings_command,
    import_command,
    export_command,
    admin_group,
    login_command,
    logout_command,
    list_command,
    clone_command,
    pull_command,
    push_command,
    status_command,
    logs_command,
    open_command,
    watch_command,
    worker_command,
    nkey_command,
):
    main.add_command(command)
