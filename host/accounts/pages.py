"""The account's pages in the IDE: its Settings (API tokens), and the admin's page (the site's
settings: whether anyone may sign up)."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from widgetbox.host.accounts import users as accounts
from widgetbox.host.tokens import records as tokens
from widgetbox.host.tokens.schemas import token_out
from widgetbox.host.web.dependencies import ConfigDep, DbDep, Viewer, require_admin
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


@get("/admin", include_in_schema=False)
async def admin(viewer: Viewer, db: DbDep, config: ConfigDep) -> Template:
    """The admin's site settings."""
    user = require_admin(require_viewer(viewer))
    is_open = await db.read(accounts.signup_open, config.security.open_signup)
    return page("admin.html", user, "pages/admin.js", signup_open=is_open)


PAGES = [settings, admin]
