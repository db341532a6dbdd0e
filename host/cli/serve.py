"""`widgetbox serve`: the web application."""

from __future__ import annotations

from pathlib import Path

import click

from widgetbox.host.cli.notices import CompileBar, say
from widgetbox.host.cli.options import config_option, data_dir_option, load_config
from widgetbox.host.secrets import SecretKeyError
from widgetbox.runtime import ArtifactError, prepare


@click.command(name="serve")
@click.option("--host", help="Address to listen on (setting host; default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (setting port; default 8000).")
@data_dir_option
@config_option
def serve_command(
    host: str | None, port: int | None, data_dir: Path | None, config_file: Path | None
) -> None:
    """Start Widgetbox: the web application on an embedded SQLite database.

    Settings come from widgetbox.toml, WIDGETBOX_* environment variables and these options
    (see README.md, "Configuration"). Stops cleanly on Ctrl-C or SIGTERM.
    """
    import uvicorn

    from widgetbox.host.app import create_app

    settings = load_config(config_file, host=host, port=port, data_dir=data_dir)
    bar = CompileBar()
    try:  # a fresh machine needs no separate step: fetch and compile the interpreter now
        prepare(say=say, compile_progress=bar, cache=settings.sandbox.cache_dir)
        bar.done()
        app = create_app(settings)
    except (ArtifactError, SecretKeyError) as e:
        raise click.ClickException(str(e)) from None
    data = settings.server.data_dir
    say(f"Widgetbox is running at {settings.origin}/ (data in {data}; Ctrl-C stops)")
    uvicorn.run(
        app,
        host=settings.server.host,
        port=settings.server.port,
        log_level=settings.server.log_level.lower(),
        timeout_graceful_shutdown=10,
        server_header=False,
    )
