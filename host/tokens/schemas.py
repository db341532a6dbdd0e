"""The tokens API's message shapes (msgspec structs: validated on the way in, described in
the OpenAPI document). A token's value appears in one shape only, `NewTokenOut`, the answer
that creates it."""

from __future__ import annotations

from typing import Annotated

import msgspec

from widgetbox.host.storage.times import now
from widgetbox.host.tokens.records import DEFAULT_DAYS, MAX_DAYS, MAX_NAME, Token
from widgetbox.host.tokens.scopes import Scope


class TokenOut(msgspec.Struct):
    """A token as its owner sees it after it was made: never its value."""

    id: int
    name: str
    scope: Scope
    prefix: Annotated[
        str, msgspec.Meta(description="The token's first characters, to tell which one leaked")
    ]
    created_at: str
    expires_at: str
    last_used_at: Annotated[
        str | None,
        msgspec.Meta(description="Recorded at most once a minute; null if never used"),
    ]
    expired: bool


class TokenList(msgspec.Struct):
    tokens: list[TokenOut]


class NewToken(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=MAX_NAME,
            description='Where the token is used ("laptop", "CI deploy")',
        ),
    ]
    scope: Annotated[
        Scope,
        msgspec.Meta(
            description="read: read; run: read and start or stop runs; write: read, run and "
            "change anything its owner may (but not make tokens)"
        ),
    ]
    expires_in_days: Annotated[
        int,
        msgspec.Meta(
            ge=1, le=MAX_DAYS, description=f"Days until it stops working (at most {MAX_DAYS})"
        ),
    ] = DEFAULT_DAYS


class NewTokenOut(msgspec.Struct):
    token: TokenOut
    value: Annotated[
        str,
        msgspec.Meta(
            description="The token itself, `wbt_...`: shown this once, never again (only its "
            "hash is kept). Send it as `Authorization: Bearer <value>`."
        ),
    ]


def token_out(token: Token) -> TokenOut:
    return TokenOut(
        id=token.id,
        name=token.name,
        scope=token.scope,  # type: ignore[arg-type]  # the table's CHECK keeps it one of them
        prefix=token.prefix,
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        expired=token.expired(now()),
    )
