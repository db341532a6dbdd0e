"""The account's API tokens: list, create (the value answered once), revoke. Every route
needs a browser session (`opt` below): a token cannot see, make or revoke tokens."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.params import FromPath, JSONBody

from widgetbox.host.tokens import records
from widgetbox.host.tokens.schemas import NewToken, NewTokenOut, TokenList, token_out
from widgetbox.host.tokens.scopes import SESSION, TOKEN_SCOPE
from widgetbox.host.web.dependencies import DbDep, Viewer, require_user
from widgetbox.host.web.openapi import ERRORS


class TokenController(Controller):
    path = "/api/tokens"
    tags = ["tokens"]  # noqa: RUF012 - Litestar's declaration style
    opt = {TOKEN_SCOPE: SESSION}  # noqa: RUF012

    @get("/", summary="My API tokens (not their values), newest first", responses=ERRORS)
    async def mine(self, viewer: Viewer, db: DbDep) -> TokenList:
        """Revoked tokens are not listed; expired ones are, marked `expired`."""
        user = require_user(viewer)
        found = await db.read(records.listing, user.id)
        return TokenList(tokens=[token_out(token) for token in found])

    @post(
        "/",
        summary="Make an API token: its value is answered once",
        status_code=201,
        responses=ERRORS,
    )
    async def create(self, data: JSONBody[NewToken], viewer: Viewer, db: DbDep) -> NewTokenOut:
        """The answer's `value` is the token, shown this once: only its hash is kept.
        422 `too_many_tokens` beyond 100 live tokens."""
        user = require_user(viewer)
        token, value = await db.write(
            records.create, user.id, data.name, data.scope, data.expires_in_days
        )
        return NewTokenOut(token=token_out(token), value=value)

    @delete(
        "/{token_id:int}",
        summary="Revoke an API token: it stops working at once",
        status_code=204,
        responses=ERRORS,
    )
    async def revoke(self, token_id: FromPath[int], viewer: Viewer, db: DbDep) -> None:
        """404 `no_such_token` unless it is one of yours and not revoked already."""
        user = require_user(viewer)
        await db.write(records.revoke, user.id, token_id)


ROUTES = [TokenController]
