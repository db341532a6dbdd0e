"""The owner's JSON API for a widget's Users service: its settings (the widget's settings
page) and its users (the Data page: search, enable or disable, confirm, remove).

Turning the service on or changing a setting saves a new version of the widget's files
("Users service: ..."): `services.yaml` with the settings and, when the widget's `tables.yaml`
lacks them, the `users` table and Anvil's columns (client access: none). Turning it off
removes `services.yaml` and keeps the table and its rows.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import msgspec
import sqlite_utils
from litestar import Controller, delete, get, patch, put
from litestar.params import JSONBody, Parameter, QueryParameter

from widgetbox.host.accounts.users import User
from widgetbox.host.app_sessions import records as session_records
from widgetbox.host.app_users import settings as service_settings
from widgetbox.host.app_users.settings import (
    MAX_PASSWORD,
    MAX_REMEMBER_DAYS,
    MIN_PASSWORD,
    SERVICES_FILE,
    SettingsError,
    UsersSettings,
)
from widgetbox.host.app_users.table import COLUMNS, USERS, UsersTable, UsersTableError, value
from widgetbox.host.errors import Invalid, NotFound
from widgetbox.host.storage.database import Database
from widgetbox.host.tables import SCHEMA_FILE, TablesStore, editing
from widgetbox.host.tables.calls import run
from widgetbox.host.tables.tables_yaml import Schema, TableSpec, dump
from widgetbox.host.tables.values import row_id_text
from widgetbox.host.web.dependencies import DbDep, OwnedWidget, TablesDep, Viewer, require_user
from widgetbox.host.web.openapi import ERRORS
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.records import Widget

PAGE = 50
SECONDS = 10.0
RowPath = Annotated[int, Parameter(ge=1, le=2**62, description="The user's row number")]


class UsersSettingsIn(msgspec.Struct, forbid_unknown_fields=True):
    enabled: bool
    """Whether the Users service is on."""
    allow_signup: bool = True
    enable_automatically: bool = True
    confirm_email: bool = False
    remember_me_days: Annotated[int, msgspec.Meta(ge=0, le=MAX_REMEMBER_DAYS)] = 30
    min_password_length: Annotated[int, msgspec.Meta(ge=MIN_PASSWORD, le=MAX_PASSWORD)] = 8
    base_version: int | None = None
    """The version these settings were read from (409 when another was saved since)."""


class UsersSettingsOut(msgspec.Struct):
    enabled: bool
    settings: dict[str, Any]
    """The settings (the defaults while the service is off)."""
    version: int
    problems: list[str]
    """What is wrong with `services.yaml`, when it cannot be read."""


class UserOut(msgspec.Struct):
    id: int
    """The row's number in the `users` table."""
    ref: str
    """The row's id as code sees it (`row.get_id()`)."""
    email: str | None
    enabled: bool
    confirmed_email: bool | None
    signed_up: str | None
    last_login: str | None


class UsersOut(msgspec.Struct):
    enabled: bool
    users: list[UserOut]
    total: int
    more: bool
    problem: str | None = None
    """Why the users cannot be listed (no `users` table, say)."""


class UserChanges(msgspec.Struct, forbid_unknown_fields=True):
    enabled: bool | None = None
    confirmed_email: bool | None = None


def _head(db: sqlite_utils.Database, widget: Widget) -> tuple[Widget, dict[str, str]]:
    widget = widgets.fresh(db, widget)
    return widget, dict(widgets.head_files(db, widget))


def _settings_out(widget: Widget, files: dict[str, str]) -> UsersSettingsOut:
    try:
        found = service_settings.users_settings(files)
    except SettingsError as e:
        return UsersSettingsOut(
            True, UsersSettings().to_json(), widget.head_version, list(e.problems)
        )
    return UsersSettingsOut(
        found is not None, (found or UsersSettings()).to_json(), widget.head_version, []
    )


def with_users_table(schema: Schema) -> Schema:
    """`schema` with a `users` table holding Anvil's columns (those missing added)."""
    if USERS not in schema.tables:
        schema = editing.add_table(USERS, "none")(schema)
    spec: TableSpec = schema.tables[USERS]
    have = {column.name for column in spec.columns}
    for name, kind in COLUMNS.items():
        if name not in have:
            schema = editing.add_column(USERS, name, kind)(schema)
    return schema


def save_settings(
    db: sqlite_utils.Database, widget: Widget, author: User, data: UsersSettingsIn
) -> tuple[Widget, dict[str, str]]:
    """The new version with these settings (nothing saved when nothing changes)."""
    widget, files = _head(db, widget)
    new = dict(files)
    if data.enabled:
        chosen = UsersSettings(
            allow_signup=data.allow_signup,
            enable_automatically=data.enable_automatically,
            confirm_email=data.confirm_email,
            remember_me_days=data.remember_me_days,
            min_password_length=data.min_password_length,
        )
        new[SERVICES_FILE] = service_settings.dump(chosen)
        before = editing.read(files)
        after = with_users_table(before)
        if after.tables != before.tables:
            new[SCHEMA_FILE] = dump(after)
        message = "Users service on" if SERVICES_FILE not in files else "Users service settings"
    else:
        new.pop(SERVICES_FILE, None)
        message = "Users service off"
    if new == files:
        return widget, files
    # refused (409) when the settings were read from an older version
    base = data.base_version if data.base_version is not None else widget.head_version
    saved, _number = widgets.save(db, widget, author, base, new, message)
    return saved, new


def _user_out(record: dict[str, Any]) -> UserOut:
    def when(column: str) -> str | None:
        found = value(record, column)
        return found.isoformat() if found is not None else None

    email = value(record, "email")
    confirmed = value(record, "confirmed_email")
    return UserOut(
        id=int(record["id"].strip("[]").split(",")[1]),
        ref=record["id"],
        email=email if isinstance(email, str) else None,
        enabled=bool(value(record, "enabled")),
        confirmed_email=confirmed if isinstance(confirmed, bool) else None,
        signed_up=when("signed_up"),
        last_login=when("last_login"),
    )


async def _table(db: Database, store: TablesStore, widget: Widget) -> UsersTable:
    _widget, files = await db.read(_head, widget)
    try:
        return UsersTable(store, widget.id, files.get(SCHEMA_FILE), time.monotonic() + SECONDS)
    except UsersTableError as e:
        raise Invalid("no_users_table", str(e)) from None


async def _row_ref(table: UsersTable, row: int) -> str:
    return row_id_text(await run(table.table_id), row)


class UsersController(Controller):
    """Every route is the owner's (`owned_widget`)."""

    path = "/api/widgets/{slug:str}/users"
    tags = ["users"]  # noqa: RUF012 - Litestar's declaration style

    @get("/settings", summary="The widget's Users service settings (owner)", responses=ERRORS)
    async def get_settings(self, owned_widget: OwnedWidget, db: DbDep) -> UsersSettingsOut:
        widget, files = await db.read(_head, owned_widget)
        return _settings_out(widget, files)

    @put(
        "/settings",
        summary="Turn the Users service on or off, or change its settings (owner)",
        responses=ERRORS,
    )
    async def put_settings(
        self,
        owned_widget: OwnedWidget,
        data: JSONBody[UsersSettingsIn],
        viewer: Viewer,
        db: DbDep,
    ) -> UsersSettingsOut:
        """Saves a new version of the widget's files (`services.yaml`, and the `users`
        table in `tables.yaml` when it lacks it); 409 when `base_version` is not the
        latest."""
        user = require_user(viewer)
        widget, files = await db.write(save_settings, owned_widget, user, data)
        return _settings_out(widget, files)

    @get("/", summary="The widget's users, searched by email (owner)", responses=ERRORS)
    async def listing(
        self,
        owned_widget: OwnedWidget,
        db: DbDep,
        tables: TablesDep,
        q: Annotated[str, QueryParameter(max_length=200)] = "",
        offset: Annotated[int, QueryParameter(ge=0, le=2**62)] = 0,
    ) -> UsersOut:
        widget, files = await db.read(_head, owned_widget)
        try:
            enabled = service_settings.users_settings(files) is not None
        except SettingsError:
            enabled = True
        try:
            table = UsersTable(
                tables, widget.id, files.get(SCHEMA_FILE), time.monotonic() + SECONDS
            )
        except UsersTableError as e:
            return UsersOut(enabled, [], 0, False, str(e))
        found = await run(table.search, q.strip(), offset, PAGE)
        return UsersOut(
            enabled,
            [_user_out(record) for record in found["rows"]],
            int(found["total"]),
            bool(found["more"]),
        )

    @patch("/{row:int}", summary="Enable, disable or confirm a user (owner)", responses=ERRORS)
    async def change(
        self,
        owned_widget: OwnedWidget,
        row: RowPath,
        data: JSONBody[UserChanges],
        db: DbDep,
        tables: TablesDep,
    ) -> UserOut:
        """Disabling a user logs them out of every session."""
        table = await _table(db, tables, owned_widget)
        ref = await _row_ref(table, row)
        given: dict[str, Any] = {}
        if data.enabled is not None:
            given["enabled"] = data.enabled
        if data.confirmed_email is not None:
            given["confirmed_email"] = data.confirmed_email
        record = await run(table.update, ref, given)
        if record is None:
            raise NotFound("no_such_user", "There is no such user (they were removed).")
        if data.enabled is False:
            await db.write(session_records.log_out_everywhere, owned_widget.id, ref)
        return _user_out(record)

    @delete("/{row:int}", summary="Remove a user (owner)", status_code=204, responses=ERRORS)
    async def remove(
        self, owned_widget: OwnedWidget, row: RowPath, db: DbDep, tables: TablesDep
    ) -> None:
        """The row is deleted from the `users` table, and its sessions logged out."""
        table = await _table(db, tables, owned_widget)
        ref = await _row_ref(table, row)
        if await run(table.get, ref) is None:
            raise NotFound("no_such_user", "There is no such user (they were removed).")
        await run(table.delete, ref)
        await db.write(session_records.log_out_everywhere, owned_widget.id, ref)


ROUTES = [UsersController]
