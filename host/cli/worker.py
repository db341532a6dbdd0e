"""`widgetbox worker`: sandbox processes on this machine serving a Widgetbox host over NATS."""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

import click

from widgetbox.host.cli.notices import CompileBar, say
from widgetbox.host.cli.options import config_option, load_config
from widgetbox.runtime import ArtifactError, prepare

A_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
"""An option naming an existing file (unset by default)."""


@click.command(name="worker")
@click.option(
    "--nats",
    "url",
    required=True,
    envvar="NATS_URL",
    help="The NATS server(s), comma-separated: nats://USER:PASSWORD@HOST:4222, or "
    "tls://... for TLS, or without USER:PASSWORD with --nats-nkey or --nats-creds (or "
    "$NATS_URL, which keeps a password out of the process list).",
)
@click.option(
    "--nats-ca",
    "ca",
    type=A_FILE,
    help="PEM certificates of the CA that signed the NATS server's certificate (a private "
    "CA); TLS is then required, as with a tls:// URL (which otherwise trusts the system's "
    "CAs).",
)
@click.option(
    "--nats-cert",
    "cert",
    type=A_FILE,
    help="This worker's client certificate (PEM), for a NATS server with `verify: true`; "
    "its key in the same file or in --nats-key.",
)
@click.option(
    "--nats-key",
    "key",
    type=A_FILE,
    help="The client certificate's private key (PEM).",
)
@click.option(
    "--nats-nkey",
    "nkey",
    type=A_FILE,
    help="A file holding this worker's NATS user nkey seed, in place of a user and password "
    "in the URL (`widgetbox nkey FILE` makes one). The seed stays in the file.",
)
@click.option(
    "--nats-creds",
    "creds",
    type=A_FILE,
    help="A NATS user credentials file (a user JWT and its seed, as `nsc` makes them and "
    "managed NATS services give them), for a NATS server in operator (JWT) mode, in place "
    "of a user and password in the URL.",
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
    ca: Path | None,
    cert: Path | None,
    key: Path | None,
    nkey: Path | None,
    creds: Path | None,
    name: str | None,
    processes: int | None,
    capacity: int | None,
    config_file: Path | None,
) -> None:
    """Run widgets' code for a Widgetbox server on another machine, through NATS.

    Prepares the interpreter here (as `widgetbox prepare` does, once), starts sandbox
    processes, and takes HTTP API requests, server calls, scripts and background tasks
    from the server's NATS. Widget data, secrets and outbound HTTP stay on the server:
    every host call a widget makes is sent back to it and answered there. A queued script
    starts only once the server confirms it, and a run's end is sent again until the
    server confirms it (NATS may restart meanwhile). Stop with Ctrl-C or SIGTERM: runs in
    progress end as killed, and say so.

    Between machines, use TLS (a tls:// URL; --nats-ca for a private CA; --nats-cert and
    --nats-key if the NATS server asks for a client certificate) and an nkey
    (--nats-nkey), a credentials file for a server in operator mode (--nats-creds), or a
    password kept in $NATS_URL. If NATS refuses the worker (its
    certificate, the credentials), the worker says why and exits with status 1.
    """
    from widgetbox.runtime.remote import Access, Refused, Worker, run_worker

    settings = load_config(config_file)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    access = Access(ca=ca, cert=cert, key=key, nkey=nkey, creds=creds)
    try:
        access.check()  # before the interpreter is prepared, which may take minutes
    except ValueError as e:
        raise click.UsageError(str(e)) from None
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
            access=access,
        )
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--name") from None
    try:
        run_worker(worker, on_ready=lambda: say(f"worker {chosen} ready (pid {os.getpid()})"))
    except Refused as e:
        raise click.ClickException(f"NATS refused worker {chosen}: {e}") from None


@click.command(name="nkey")
@click.argument("seed_file", type=click.Path(dir_okay=False, path_type=Path))
def nkey_command(seed_file: Path) -> None:
    """Make a NATS user nkey: its seed written to SEED_FILE, its public key printed.

    The seed (a secret) goes to a new file readable by its owner only, for a worker's
    --nats-nkey or the server's nats_nkey setting; the public key (U...) goes in
    nats-server's configuration: users = [{nkey: U..., permissions: {...}}]. An existing
    file is never overwritten.
    """
    from widgetbox.runtime.remote import new_seed

    try:
        public = new_seed(seed_file)
    except FileExistsError:
        raise click.ClickException(f"{seed_file} exists already: choose another file") from None
    except OSError as e:
        raise click.ClickException(f"{seed_file}: {e.strerror}") from None
    click.echo(public)
