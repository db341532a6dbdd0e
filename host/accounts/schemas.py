"""The accounts API's message shapes (msgspec structs: validated on the way in, described in
the OpenAPI document)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from widgetbox.host.accounts.users import User


class UserOut(msgspec.Struct):
    id: int
    username: str
    is_admin: bool
    created_at: str


class SessionOut(msgspec.Struct):
    user: UserOut | None
    open_signup: bool


class Credentials(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


class SetPassword(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    """From the one-time link (`/set-password#TOKEN`)."""
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id, username=user.username, is_admin=user.is_admin, created_at=user.created_at
    )
