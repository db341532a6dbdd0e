"""What the commands for a remote server share: which server and login a command uses,
the `--server` and `--json` options, exit statuses, and how a refusal ends a command.

Which server: `--server URL` when given; else the server of the cloned folder the command
runs in (its link, `link.py`); else the one logged in to last (`credentials.py`). Its
token comes from the credentials file, never from an option or the environment
(`WIDGETBOX_*` variables are the server's settings).

Exit statuses, the same for every remote command (`run` adds the run's own, as the local
`widgetbox run` has them):

    0  done
    1  refused or failed: the message says why (a conflict, no such widget, bad files)
    2  wrong usage
    7  not logged in, the login refused (expired, revoked), or the server unreachable
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

import click

from widgetbox.host.cli import credentials
from widgetbox.host.cli.credentials import CredentialsError

if TYPE_CHECKING:
    from widgetbox.host.cli.link import Checkout
    from widgetbox.host.cli.remote import Remote

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CONNECTION = 7


class RemoteError(Exception):
    """What the server refused, or why it could not be asked, in words for the person at the
    command line, with the exit status the command ends with."""

    def __init__(
        self,
        message: str,
        code: str = "",
        status: int = 0,
        details: dict[str, Any] | None = None,
        exit_code: int = EXIT_FAILED,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.details = details or {}
        self.exit_code = exit_code

    def as_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {"ok": False, "error": self.message}
        if self.code:
            record["code"] = self.code
        if self.details:
            record["details"] = self.details
        return record


server_option = click.option(
    "--server",
    metavar="URL",
    help="The Widgetbox server (default: the cloned folder's, else the one logged in to last).",
)
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print the outcome as JSON on stdout."
)


def fail(error: RemoteError, as_json: bool) -> NoReturn:
    """Say why, and end the command with the error's exit status."""
    if as_json:
        click.echo(json.dumps(error.as_dict(), indent=2))
    else:
        click.echo(f"Error: {error.message}", err=True)
    sys.exit(error.exit_code)


@contextmanager
def reporting(as_json: bool) -> Iterator[None]:
    """Refusals inside the block end the command (`fail`)."""
    try:
        yield
    except RemoteError as e:
        fail(e, as_json)
    except CredentialsError as e:
        fail(RemoteError(str(e), "credentials"), as_json)


@contextmanager
def uninterrupted() -> Iterator[None]:
    """Ctrl-C (and SIGTERM) wait until the block is done: for a change on the server and
    the link that records it, which must not be parted."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)

    previous = {number: signal.signal(number, note) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if caught:
            raise KeyboardInterrupt


def echo_json(record: dict[str, Any]) -> None:
    click.echo(json.dumps(record, indent=2))


def not_logged_in(server: str | None) -> RemoteError:
    where = f" to {server}" if server else ""
    return RemoteError(
        f"Not logged in{where}: run `widgetbox login {server or 'URL'}` first.",
        "not_logged_in",
        exit_code=EXIT_CONNECTION,
    )


def choose_server(option: str | None, checkout: Checkout | None = None) -> str:
    """The server a command talks to (see the module)."""
    if option:
        return credentials.server_url(option)
    if checkout is not None:
        return checkout.link.server
    logins = credentials.load()
    if logins.default:
        return logins.default
    if len(logins.servers) == 1:
        return next(iter(logins.servers))
    raise not_logged_in(None)


def connect(server: str) -> Remote:
    """A client for `server` with its login's token."""
    from widgetbox.host.cli.remote import Remote

    found = credentials.load().servers.get(server)
    if found is None:
        raise not_logged_in(server)
    if credentials.readable_by_others():
        click.echo(f"Warning: {credentials.path()} can be read by others: chmod 600 it.", err=True)
    return Remote(server, found.token)
