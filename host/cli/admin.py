"""`widgetbox admin`: the server's accounts, on the data folder's database (as `widgetbox
serve` sees it, running or not): listed with their usage, made, made admins or not,
disabled and enabled, given a set-password link. The same rules as the admin's page
(`host/admin/`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from widgetbox.host.cli import local
from widgetbox.host.cli.options import config_option, data_dir_option, load_config
from widgetbox.host.config import Config
from widgetbox.host.errors import DomainError

T = TypeVar("T")

EXIT_OK = 0
EXIT_REFUSED = 1

CACHED = (
    "A running server may take up to 10 seconds to notice it in sessions it has seen "
    "recently; the admin's page acts at once."
)


def _settings(data_dir: Path | None, config_file: Path | None) -> Config:
    return load_config(config_file, data_dir=data_dir)


def _do(settings: Config, fn: Callable[[Any], T], write: bool = True) -> T:
    """`fn` on the database, or the refusal said in its own words (exit status 1)."""
    try:
        return (local.write if write else local.read)(settings, fn)
    except DomainError as e:
        _refuse(e.message)


def _refuse(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(EXIT_REFUSED)


def _link(settings: Config, token: str) -> str:
    from widgetbox.host.accounts import password_links

    return password_links.url(settings.origin, token)


@click.group(name="admin")
def admin_group() -> None:
    """Manage the accounts of the Widgetbox server whose data folder this is.

    The commands work on the data folder's database directly (--data-dir, or the settings'
    data_dir), whether or not `widgetbox serve` is running there: run them on the server,
    as the user that runs Widgetbox. The admin's page in the IDE (/admin) does the same
    and more (the sign-up switch, site-wide limits, the server's health).

    Exit status: 0 done, 1 refused (the message says why), 2 wrong usage.
    """


@admin_group.command(name="users")
@click.argument("search", required=False, default="")
@click.option("--offset", type=click.IntRange(0), default=0, help="Skip this many accounts.")
@click.option("--json", "as_json", is_flag=True, help="Print the accounts as JSON on stdout.")
@data_dir_option
@config_option
def users_command(
    search: str, offset: int, as_json: bool, data_dir: Path | None, config_file: Path | None
) -> None:
    """List accounts (those whose username contains SEARCH), 50 at a time, with their usage.

    For each: whether it is an admin or disabled, its widgets, its widgets' runs since
    midnight UTC, and its storage (versions, stored run output and Data Tables files).
    """
    from widgetbox.host.admin import usage
    from widgetbox.host.admin.users import PAGE
    from widgetbox.host.packages.limits import size_text
    from widgetbox.host.tables.store import TablesStore

    settings = _settings(data_dir, config_file)
    store = TablesStore(settings.server.data_dir)
    found, total = _do(
        settings, lambda db: usage.listing(db, store, search, PAGE, offset), write=False
    )
    if as_json:
        listed = [
            {
                "username": user.username,
                "is_admin": user.is_admin,
                "disabled": user.disabled,
                "created_at": user.created_at,
                "widgets": used.widgets,
                "runs_today": used.runs_today,
                "storage_bytes": used.storage_bytes,
            }
            for user, used in found
        ]
        click.echo(json.dumps({"users": listed, "total": total, "offset": offset}, indent=2))
        return
    if not found:
        click.echo("No accounts match." if total or search else "No accounts yet.")
        return
    rows = [("USERNAME", "ROLE", "WIDGETS", "RUNS TODAY", "STORAGE", "CREATED")]
    for user, used in found:
        role = "admin" if user.is_admin else "user"
        rows.append(
            (
                user.username,
                f"{role}, disabled" if user.disabled else role,
                str(used.widgets),
                str(used.runs_today),
                size_text(used.storage_bytes),
                user.created_at[:10],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())
    if offset + len(found) < total:
        click.echo(f"({len(found)} of {total}: --offset {offset + len(found)} for more)")


@admin_group.command(name="create-user")
@click.argument("username")
@click.option("--admin", "make_admin", is_flag=True, help="Make the account an admin.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the account's password from the first line of stdin instead of printing a "
    "set-password link (for scripts).",
)
@data_dir_option
@config_option
def create_user_command(
    username: str,
    make_admin: bool,
    password_stdin: bool,
    data_dir: Path | None,
    config_file: Path | None,
) -> None:
    """Make the account USERNAME, whether or not sign-up is open.

    Prints a one-time link (valid 14 days) where its person chooses the password: you
    never know it. With --password-stdin the password is read from stdin instead.

    \b
    Example:
      widgetbox admin create-user alice
      printf '%s\\n' "$PASSWORD" | widgetbox admin create-user ci-bot --password-stdin
    """
    from widgetbox.host.accounts import password_links
    from widgetbox.host.accounts import users as accounts
    from widgetbox.host.admin import users

    settings = _settings(data_dir, config_file)
    password_hash = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        try:
            password_hash = accounts.hash_password(password)
        except DomainError as e:
            _refuse(e.message)

    def make(db: Any) -> tuple[Any, str | None]:
        user = users.create(db, username, password_hash, make_admin)
        return user, None if password_hash else password_links.create(db, user.id)

    user, token = _do(settings, make)
    role = "admin" if user.is_admin else "account"
    if token is None:
        click.echo(f"Made the {role} {user.username}, with the password given.")
    else:
        click.echo(f"Made the {role} {user.username}. Send its person this one-time link")
        click.echo("(valid 14 days) to choose a password:")
        click.echo(_link(settings, token))


@admin_group.command(name="reset-password")
@click.argument("username")
@data_dir_option
@config_option
def reset_password_command(username: str, data_dir: Path | None, config_file: Path | None) -> None:
    """Print a one-time link where USERNAME's person chooses a new password.

    The link works once, for 14 days, and voids any link made before; the old password
    keeps working until the new one is set. You never see or type the new password, so
    it never passes through your terminal, shell history or chat.
    """
    from widgetbox.host.admin import users

    settings = _settings(data_dir, config_file)
    user, token = _do(settings, lambda db: users.password_link(db, username))
    click.echo(f"Send {user.username} this one-time link (valid 14 days) to set a new password:")
    click.echo(_link(settings, token))


def _role_command(name: str, admin: bool, summary: str) -> click.Command:
    @click.command(name=name, help=summary)
    @click.argument("username")
    @data_dir_option
    @config_option
    def command(username: str, data_dir: Path | None, config_file: Path | None) -> None:
        from widgetbox.host.admin import users

        settings = _settings(data_dir, config_file)
        user = _do(settings, lambda db: users.set_admin(db, username, admin))
        click.echo(f"{user.username} is {'an admin' if user.is_admin else 'not an admin'} now.")

    return command


def _state_command(name: str, disabled: bool, summary: str) -> click.Command:
    @click.command(name=name, help=summary)
    @click.argument("username")
    @data_dir_option
    @config_option
    def command(username: str, data_dir: Path | None, config_file: Path | None) -> None:
        from widgetbox.host.admin import users

        settings = _settings(data_dir, config_file)
        user = _do(settings, lambda db: users.set_disabled(db, username, disabled))
        click.echo(f"{user.username} is {'disabled' if user.disabled else 'enabled'} now.")

    return command


for _command in (
    _role_command(
        "make-admin",
        True,
        "Make USERNAME an admin: they may change any widget, every account and the "
        f"site's settings. {CACHED}",
    ),
    _role_command(
        "remove-admin",
        False,
        f"Make USERNAME an ordinary account (never the last admin). {CACHED}",
    ),
    _state_command(
        "disable",
        True,
        "Disable USERNAME: they cannot log in, their sessions end, their API tokens are "
        "refused, and their widgets are served to admins only (not listed, their pages, "
        "HTTP APIs and apps not found, their schedules skipped). Nothing is deleted: "
        f"`enable` undoes it. Never the last admin. {CACHED}",
    ),
    _state_command(
        "enable",
        False,
        "Enable USERNAME again: they log in anew, and their tokens and widgets work again.",
    ),
):
    admin_group.add_command(_command)
