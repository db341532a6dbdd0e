"""The account's page in the IDE: its Settings (API tokens). The admin's page is
`admin/pages.py`'s."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from widgetbox.host.tokens import records as tokens
from widgetbox.host.tokens.schemas import token_out
from widgetbox.host.web.dependencies import DbDep, Viewer
from widgetbox.host.web.rendering import page, require_viewer


@get("/settings", include_in_schema=False)
async def settings(viewer: Viewer, db: DbDep) -> Template:
    """The signed-in account's settings: its API tokens (made, listed, revoked here)."""
    user = require_viewer(viewer)
    found = await db.read(tokens.listing, user.id)
    listed = [token_out(token) for token in found]
    return page(
        "account.html",
        user,
        "pages/account.js",
        tokens=listed,
        expiries=tokens.EXPIRY_DAYS,
        default_days=tokens.DEFAULT_DAYS,
        max_name=tokens.MAX_NAME,
    )


PAGES = [settings]
