"""A widget's secrets (owner only): list their names, set one, delete one. A value goes in
and never comes back out: the API answers names and times only."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, delete, get, put
from litestar.datastructures import State
from litestar.params import JSONBody, Parameter

from widgetbox.host.secrets import store as secrets
from widgetbox.host.storage.database import Database
from widgetbox.host.web.openapi import ERRORS
from widgetbox.host.web.security import Viewer
from widgetbox.host.widgets import records as widgets

Slug = Annotated[str, Parameter(max_length=100, description="The widget's slug")]
Name = Annotated[
    str,
    Parameter(
        description=(
            f"The secret's name: 1 to {secrets.MAX_NAME} letters, digits, '_' and '-', "
            "starting with a letter (422 `invalid_secret_name` otherwise)"
        )
    ),
]


class SecretOut(msgspec.Struct):
    """A secret as the API shows it: its name and times, never its value."""

    name: str
    created_at: str
    updated_at: str


class SecretList(msgspec.Struct):
    secrets: list[SecretOut]


class SecretValue(msgspec.Struct, forbid_unknown_fields=True):
    value: Annotated[
        str,
        msgspec.Meta(
            description=(
                f"The secret's text, at most {secrets.MAX_VALUE_BYTES // 1024} KiB of UTF-8 "
                "(422 `invalid_secret_value` otherwise). It is never shown again."
            )
        ),
    ]


def _db(state: State) -> Database:
    db: Database = state.db
    return db


def _box(state: State) -> secrets.SecretBox:
    box: secrets.SecretBox = state.secret_box
    return box


def secret_out(info: secrets.SecretInfo) -> SecretOut:
    return SecretOut(name=info.name, created_at=info.created_at, updated_at=info.updated_at)


class SecretController(Controller):
    path = "/api/widgets/{slug:str}/secrets"
    tags = ["secrets"]  # noqa: RUF012 - Litestar's declaration style

    @get(
        "/", summary="The widget's secrets: names and times, never values (owner)", responses=ERRORS
    )
    async def names(self, slug: Slug, viewer: Viewer, state: State) -> SecretList:
        def names(db: Any) -> list[secrets.SecretInfo]:
            return secrets.list_secrets(db, widgets.owned(db, slug, viewer).id)

        found = await _db(state).read(names)
        return SecretList(secrets=[secret_out(info) for info in found])

    @put(
        "/{name:str}",
        summary="Set a secret, or replace its value (owner); the value is never shown again",
        responses=ERRORS,
    )
    async def store(
        self, slug: Slug, name: Name, data: JSONBody[SecretValue], viewer: Viewer, state: State
    ) -> SecretOut:
        box, value = _box(state), data.value

        def store(db: Any) -> secrets.SecretInfo:
            widget = widgets.owned(db, slug, viewer)  # 404 unless visible, then 403 unless owner
            return secrets.set_secret(db, box, widget.id, name, value)

        return secret_out(await _db(state).write(store))

    @delete(
        "/{name:str}",
        summary="Delete a secret (owner)",
        status_code=204,
        responses=ERRORS,
    )
    async def remove(self, slug: Slug, name: Name, viewer: Viewer, state: State) -> None:
        """404 `no_such_secret` when the widget has no secret by that name."""

        def remove(db: Any) -> None:
            secrets.delete_secret(db, widgets.owned(db, slug, viewer).id, name)

        await _db(state).write(remove)
