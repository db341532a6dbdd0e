"""`widgetbox worker`: sandbox processes on this machine serving a Widgetbox host over NATS."""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

import click

from widgetbox.host.cli.options import config_option, load_config
from widgetbox.host.cli.progress import CompileBar, say
from widgetbox.runtime import ArtifactError, prepare


@click.command(name="worker")
@click.option(
    "--nats",
    "url",
    required=True,
    envvar="NATS_URL",
    help="The NATS server(s), comma-separated: nats://USER:PASSWORD@HOST:4222 "
    "(or $NATS_URL, which keeps the password out of the process list).",
)
@click.option(
    "--name",
    default=None,
    help="This worker's name: letters, digits, - and _ (default: the host name). Its NATS "
    "user may publish only under this name.",
)
@click.option(
    "--processes",
    type=click.IntRange(min=1),
    default=None,
    help="Sandbox processes for requests and server calls (default: one per CPU core).",
)
@click.option(
    "--capacity",
    type=click.IntRange(min=1),
    default=None,
    help="Requests and server calls run at once (default: --processes); one script more.",
)
@config_option
def worker_command(
    url: str,
    name: str | None,
    processes: int | None,
    capacity: int | None,
    config_file: Path | None,
) -> None:
    """Run widgets' code for a Widgetbox server on another machine, through NATS.

    Prepares the interpreter here (as `widgetbox prepare` does, once), starts sandbox
    processes, and takes HTTP API requests, server calls, scripts and background tasks
    from the server's NATS. Widget data, secrets and outbound HTTP stay on the server:
    every host call a widget makes is sent back to it and answered there. Stop with
    Ctrl-C or SIGTERM: runs in progress end as killed, and say so.
    """
    from widgetbox.runtime.remote import Worker, run_worker

    settings = load_config(config_file)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    bar = CompileBar()
    try:
        prepare(say=say, compile_progress=bar, cache=settings.sandbox.cache_dir)
    except ArtifactError as e:
        raise click.ClickException(str(e)) from None
    bar.done()
    chosen = name or socket.gethostname().split(".")[0].replace(".", "-")
    try:
        worker = Worker(
            url,
            chosen,
            processes=processes,
            capacity=capacity,
            pool_size=settings.sandbox.pool_size,
            cache=settings.sandbox.cache_dir,
        )
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--name") from None
    run_worker(worker, on_ready=lambda: say(f"worker {chosen} ready (pid {os.getpid()})"))
