"""A widget's secrets (owner only): list their names, set one, delete one. A value goes in
and never comes back out: the API answers names and times only."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, delete, get, put
from litestar.params import JSONBody, Parameter

from widgetbox.host import secrets
from widgetbox.host.web.dependencies import DbDep, OwnedWidget, SecretBoxDep
from widgetbox.host.web.openapi import ERRORS

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


def secret_out(info: secrets.SecretInfo) -> SecretOut:
    return SecretOut(name=info.name, created_at=info.created_at, updated_at=info.updated_at)


class SecretController(Controller):
    path = "/api/widgets/{slug:str}/secrets"
    tags = ["secrets"]  # noqa: RUF012 - Litestar's declaration style

    @get(
        "/", summary="The widget's secrets: names and times, never values (owner)", responses=ERRORS
    )
    async def names(self, owned_widget: OwnedWidget, db: DbDep) -> SecretList:
        found = await db.read(secrets.list_secrets, owned_widget.id)
        return SecretList(secrets=[secret_out(info) for info in found])

    @put(
        "/{name:str}",
        summary="Set a secret, or replace its value (owner); the value is never shown again",
        responses=ERRORS,
    )
    async def store(
        self,
        owned_widget: OwnedWidget,
        name: Name,
        data: JSONBody[SecretValue],
        db: DbDep,
        secret_box: SecretBoxDep,
    ) -> SecretOut:
        stored = await db.write(secrets.set_secret, secret_box, owned_widget.id, name, data.value)
        return secret_out(stored)

    @delete(
        "/{name:str}",
        summary="Delete a secret (owner)",
        status_code=204,
        responses=ERRORS,
    )
    async def remove(self, owned_widget: OwnedWidget, name: Name, db: DbDep) -> None:
        """404 `no_such_secret` when the widget has no secret by that name."""
        await db.write(secrets.delete_secret, owned_widget.id, name)


ROUTES = [SecretController]
