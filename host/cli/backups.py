"""`widgetbox backup` and `widgetbox restore`: the database copied consistently, and put back
with the keys that open it."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from widgetbox.host.cli.notices import say
from widgetbox.host.cli.options import config_option, data_dir_option, load_config
from widgetbox.host.secrets import KEY_BYTES, KEY_FILE

if TYPE_CHECKING:
    from widgetbox.host.storage.backups import BackupContents

SERVER_KEY_FILE = "server.key"
"""Signs CSRF tokens and GUI apps' visits (`security.server_secret`)."""


@click.command(name="backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@data_dir_option
@config_option
def backup_command(target: Path, data_dir: Path | None, config_file: Path | None) -> None:
    """Copy the database to TARGET, consistently, while the server may be running.

    Uses SQLite's online backup and checks the copy with an integrity check. Widgets' Data
    Tables are copied the same way into the folder TARGET.tables/ beside it (keep the two
    together). Neither may exist yet.
    """
    from widgetbox.host.storage.backups import backup
    from widgetbox.host.tables.backups import folder_of

    settings = load_config(config_file, data_dir=data_dir)
    try:
        pages = backup(settings.database_path, target)
    except (FileExistsError, FileNotFoundError, RuntimeError) as e:
        raise click.ClickException(str(e)) from None
    say(f"backed up {settings.database_path} to {target} ({pages} pages, integrity ok)")
    if folder_of(target).exists():
        copies = len(list(folder_of(target).glob("*.db")))
        say(
            f"and {copies} widgets' Data Tables to {folder_of(target)}: keep that folder "
            f"with {target.name} (restore refuses a backup without it)"
        )
    if (settings.server.data_dir / KEY_FILE).exists():
        say(
            f"the keys are not in the copy: keep a copy of {KEY_FILE} (without it the "
            f"secrets cannot be read) and {SERVER_KEY_FILE} from {settings.server.data_dir} too, "
            "apart from the database copies (restore with --key and --server-key)"
        )


@click.command(name="restore")
@click.argument("backup_file", metavar="BACKUP", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--key",
    "key_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=(
        f"The {KEY_FILE} file of the data folder the backup came from; installed in the "
        "data folder (mode 0600) after checking that it decrypts the backup's secrets."
    ),
)
@click.option(
    "--server-key",
    "server_key_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=(
        f"The {SERVER_KEY_FILE} file of that data folder (optional): with it, browsers "
        "signed in before keep working; without it, a new one is made."
    ),
)
@click.option(
    "--force",
    is_flag=True,
    help=(
        "Replace the data folder's database and Data Tables (and, with --key or "
        "--server-key, a different key there): they are moved into "
        "DATA_DIR/replaced-<time>/ first, and moved back if the restore fails."
    ),
)
@data_dir_option
@config_option
def restore_command(
    backup_file: Path,
    key_file: Path | None,
    server_key_file: Path | None,
    force: bool,
    data_dir: Path | None,
    config_file: Path | None,
) -> None:
    """Restore BACKUP (made by `widgetbox backup`): the database, the widgets' Data Tables
    (BACKUP.tables/ beside it) and, with --key, the secrets key.

    Never while Widgetbox runs on the data folder. Checks everything first (SQLite's
    integrity check, a Widgetbox database this version can open, every Data Tables file
    whole, the key opening the backup's secrets) and replaces nothing before that. A data
    folder with a database is refused unless --force: then its database, Data Tables and
    any key being replaced are kept in DATA_DIR/replaced-<time>/ (delete it once the
    restored data is known good). Without the key, the widgets' secrets cannot be read.
    Installed packages are not in backups; Widgetbox installs them again from each
    version's lock.
    """
    from widgetbox.host.storage import aside as put_aside
    from widgetbox.host.storage import backups as db
    from widgetbox.host.storage import data_lock
    from widgetbox.host.tables import backups as tables

    settings = load_config(config_file, data_dir=data_dir)
    folder = settings.server.data_dir
    database, key_target = settings.database_path, folder / KEY_FILE
    server_key_target = folder / SERVER_KEY_FILE
    key = _key_to_install(key_file, key_target, _read_key_file, force)
    server_key = _key_to_install(server_key_file, server_key_target, _read_server_key, force)
    current = [*db.database_files(database)]
    if tables.occupied(database):
        current.append(tables.tables_folder(database))
    installed: list[Path] = []
    aside: Path | None = None
    try:
        if current and not force:
            raise db.RestoreError(db.occupied(database))
        with data_lock.exclusive(folder):
            contents = _checked(backup_file, key, key_target)
            replaced_keys = [  # `_key_to_install` let a different one through: --force
                target
                for given, target in ((key, key_target), (server_key, server_key_target))
                if given is not None and target.exists() and target.read_bytes() != given
            ]
            if current or replaced_keys:
                aside = put_aside.set_aside(folder, [*current, *replaced_keys])
                say(f"moved the current data aside to {aside}")
            for given, target in ((key, key_target), (server_key, server_key_target)):
                if given is not None and _install_key(given, target):
                    installed.append(target)
            say(
                f"copying the database ({contents.pages} pages)"
                + (f" and {contents.tables} widgets' Data Tables" if contents.tables else "")
            )
            db.restore(backup_file, database, contents)
    except BaseException as e:
        for target in installed:  # all or nothing
            target.unlink(missing_ok=True)
        if aside is not None:
            put_aside.put_back(aside, folder)
            say(f"the restore failed: the data from {aside} is back in place")
        if isinstance(e, (db.RestoreError, data_lock.DataFolderBusy)):
            raise click.ClickException(str(e)) from None
        raise
    say(f"restored {backup_file} to {database} ({contents.pages} pages, integrity ok)")
    for target in installed:
        say(f"installed {target} (mode 0600)")
    if contents.secrets:
        _say_about_secrets(contents.secrets, key_target, given=key is not None)
    if aside is not None:
        say(f"the data it replaced is in {aside}: delete that folder once all is well")
    say(
        "installed packages are not in backups: Widgetbox installs each widget's again from "
        "its lock when it starts (the same versions)"
    )
    say(f"next: start Widgetbox on it: widgetbox serve --data-dir {folder}")


def _checked(backup_file: Path, key: bytes | None, key_target: Path) -> BackupContents:
    """The backup checked, and the key that will open its secrets (the one given, else the
    one in the data folder); RestoreError otherwise. Nothing is changed."""
    from widgetbox.host.storage import backups as db

    say(f"checking {backup_file}")
    contents = db.check_backup(backup_file)
    say(
        f"  integrity ok: {contents.users} users, {contents.widgets} widgets, "
        f"{contents.versions} versions, {contents.runs} runs, {contents.secrets} "
        f"secrets, {contents.tables} widgets' Data Tables (checked)"
    )
    if key is not None:
        _check_key(key, backup_file)
    elif key_target.exists() and contents.secrets:
        _check_key(_read_key_file(key_target), backup_file, installed=key_target)
    return contents


def _say_about_secrets(count: int, key_target: Path, given: bool) -> None:
    if given or key_target.exists():
        say(f"the secrets key {key_target} opens the backup's secrets")
        return
    say(
        f"WARNING: the backup holds {count} secrets, but no --key was given: they cannot "
        f"be read without the {KEY_FILE} of the data folder this backup came from. Copy "
        f"that file to {key_target} (mode 0600) BEFORE starting Widgetbox; if it is lost, "
        "the widgets' owners must set their secrets again."
    )


def _read_key_file(path: Path) -> bytes:
    try:
        key = path.read_bytes()
    except OSError as e:
        raise click.ClickException(
            f"cannot read the secrets key {path}: {e.strerror or e}"
        ) from None
    if len(key) != KEY_BYTES:
        raise click.ClickException(
            f"{path} is not a secrets key: it holds {len(key)} bytes, not {KEY_BYTES}"
        )
    return key


def _read_server_key(path: Path) -> bytes:
    try:
        key = path.read_bytes()
    except OSError as e:
        raise click.ClickException(
            f"cannot read the server key {path}: {e.strerror or e}"
        ) from None
    if re.fullmatch(rb"[0-9a-f]{32,256}\s*", key) is None:
        raise click.ClickException(f"{path} is not a server key (hexadecimal text)")
    return key


def _key_to_install(
    given: Path | None, target: Path, read: Callable[[Path], bytes], force: bool
) -> bytes | None:
    """The key file given, checked: refused when the data folder already has another,
    unless `force` (the restore then sets the other aside)."""
    if given is None:
        return None
    key = read(given)
    if target.exists() and not force and read(target) != key:
        raise click.ClickException(
            f"{target} already exists and is a different key; move it aside (it may be "
            "the key of other data) and restore again, or restore with --force"
        )
    return key


def _check_key(key: bytes, backup_file: Path, installed: Path | None = None) -> None:
    """Refuse a key that does not decrypt the backup's secrets (a key from another data
    folder would make every secret unreadable)."""
    from widgetbox.host.secrets import SecretBox, SecretDecryptError
    from widgetbox.host.storage import backups as db

    sample = db.sample_secret(backup_file)
    if sample is None:
        return
    with tempfile.TemporaryDirectory(prefix="widgetbox-restore-") as folder:
        path = Path(folder) / KEY_FILE
        path.touch(mode=0o600)
        path.write_bytes(key)
        box = SecretBox(Path(folder))
    try:
        box.decrypt(*sample)
    except SecretDecryptError:
        which = f"the key already at {installed}" if installed else "this key"
        raise db.RestoreError(
            f"{which} does not decrypt the backup's secrets: it is not the {KEY_FILE} of the "
            "data folder the backup came from. Give that one with --key"
            + (" after moving this one aside" if installed else "")
        ) from None


def _install_key(key: bytes, target: Path) -> bool:
    """Write the key to `target` (0600) whole or not at all; False when it was there."""
    if target.exists():
        return False
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write(key)
            f.flush()
            os.fsync(f.fileno())
        os.link(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return True
