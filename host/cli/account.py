"""`widgetbox login` and `widgetbox logout`: an API token per server, kept in the user's
config folder (`credentials.py`)."""

from __future__ import annotations

import getpass
import socket
import sys

import click

from widgetbox.host.cli import credentials
from widgetbox.host.cli.connect import (
    EXIT_CONNECTION,
    EXIT_OK,
    EXIT_USAGE,
    RemoteError,
    echo_json,
    fail,
    json_option,
    reporting,
)
from widgetbox.host.cli.credentials import Login

DEFAULT_DAYS = 90
"""Days a token made by `login` lasts, unless `--days` says otherwise."""


def _secret(what: str, from_stdin: bool, option: str) -> str:
    """A password or token: read from stdin (its first line) when asked, else asked for
    without echo. A password is taken as typed (spaces too), a token without spaces."""
    if from_stdin:
        value = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    elif sys.stdin.isatty():
        value = getpass.getpass(f"{what.capitalize()}: ")
    else:
        raise RemoteError(
            f"No terminal to ask on: pass {option} to read it from standard input.",
            "no_terminal",
            exit_code=EXIT_USAGE,
        )
    if what == "token":
        value = value.strip()
    if not value:
        raise RemoteError(f"No {what} was given.", "empty", exit_code=EXIT_USAGE)
    return value


def token_name() -> str:
    return f"cli on {socket.gethostname().split('.')[0] or 'this machine'}"


@click.command(name="login")
@click.argument("url")
@click.option("--username", "-u", help="Your username (asked for when missing).")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input (for scripts) instead of asking for it.",
)
@click.option(
    "--token",
    "pasted",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[TOKEN|-]",
    help="Log in with an API token made in Settings instead of a password: asked for "
    "(hidden) when no value follows, read from standard input with `--token -`, or the "
    "value itself (which your shell's history then keeps).",
)
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=DEFAULT_DAYS,
    show_default=True,
    help="Days until the token made with your password expires (at most a year).",
)
@json_option
def login_command(
    url: str,
    username: str | None,
    password_stdin: bool,
    pasted: str | None,
    days: int,
    as_json: bool,
) -> None:
    """Log in to the Widgetbox server at URL and keep an API token for it.

    With your username and password, it signs in as a browser does, makes an API token
    named "cli on HOSTNAME" with the write scope (listed in Settings, where you can revoke
    it), signs out and keeps only the token. With --token, it keeps a token you made in
    Settings (a read token can list and clone, not push or run). The token is kept in
    ~/.config/widgetbox/credentials.toml ($XDG_CONFIG_HOME/widgetbox), mode 0600, one per
    server, and never printed. The server logged in to last is the one commands use
    outside a cloned folder.

    \b
    Example:
      widgetbox login https://widgets.example.com
      widgetbox login http://localhost:8000 --username alice --password-stdin < pw.txt
      widgetbox login http://localhost:8000 --token - < token.txt

    Exit status: 0 logged in, 1 refused, 2 wrong usage, 7 wrong password or token, or the
    server unreachable.
    """
    from widgetbox.host.cli.remote import Remote, make_token

    with reporting(as_json):
        server = credentials.server_url(url)
        if pasted is not None:
            if username or password_stdin:
                raise RemoteError(
                    "Give either a token or a username and password.",
                    "usage",
                    exit_code=EXIT_USAGE,
                )
            value = pasted
            if pasted in ("", "-"):
                value = _secret("token", pasted == "-", "--token -")
            with Remote(server, value) as remote:
                try:
                    who = remote.get("/api/session").get("user")
                except RemoteError as e:
                    if e.code.startswith("token_"):
                        e.message = f"{server} refused the token: {e.code.removeprefix('token_')}."
                    raise
            if not who:
                raise RemoteError(
                    f"{server} did not accept the token.",
                    "token_invalid",
                    exit_code=EXIT_CONNECTION,
                )
            login = Login(server, str(who["username"]), value)
        else:
            if not username:
                if not sys.stdin.isatty() or password_stdin:
                    raise RemoteError(
                        "Give --username (there is no terminal to ask on).",
                        "usage",
                        exit_code=EXIT_USAGE,
                    )
                username = click.prompt("Username").strip()
            password = _secret("password", password_stdin, "--password-stdin")
            made = make_token(server, username, password, token_name(), days)
            login = Login(server, made.username, made.value, made.name, made.expires_at)
        logins = credentials.load()
        logins.servers[server] = login
        logins.default = server
        file = credentials.save(logins)
    if as_json:
        echo_json(
            {
                "ok": True,
                "server": server,
                "username": login.username,
                "token_name": login.token_name or None,
                "expires_at": login.expires_at or None,
                "credentials": str(file),
            }
        )
    else:
        made_note = (
            f" (token {login.token_name!r}, expires {login.expires_at[:10]})"
            if login.token_name
            else ""
        )
        click.echo(f"Logged in to {server} as {login.username}{made_note}.")
    sys.exit(EXIT_OK)


@click.command(name="logout")
@click.argument("url", required=False)
@json_option
def logout_command(url: str | None, as_json: bool) -> None:
    """Forget the API token kept for the server at URL (default: the one logged in to last).

    The token itself still works until it expires: revoke it in Settings (the page lists
    it by name, "cli on HOSTNAME") to end it at once. Making and revoking tokens needs a
    browser's session, which a token cannot stand in for.

    \b
    Example:
      widgetbox logout https://widgets.example.com

    Exit status: 0 forgotten, 1 not logged in there, 2 wrong usage.
    """
    with reporting(as_json):
        logins = credentials.load()
        server = credentials.server_url(url) if url else logins.default
        login = logins.servers.pop(server, None) if server else None
        if server is None or login is None:
            fail(
                RemoteError(f"Not logged in to {server or 'any server'}.", "not_logged_in"), as_json
            )
        if logins.default == server:
            logins.default = next(iter(sorted(logins.servers)), None)
        credentials.save(logins)
    hint = (
        f"revoke {login.token_name!r} in Settings to end it now"
        if login.token_name
        else "revoke it in Settings to end it now"
    )
    if as_json:
        echo_json({"ok": True, "server": server, "username": login.username})
    else:
        click.echo(f"Logged out of {server} (the token stays valid until it expires: {hint}).")
    sys.exit(EXIT_OK)
