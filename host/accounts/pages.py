"""The admin's page in the IDE: the site's settings (whether anyone may sign up)."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from widgetbox.host.accounts import users as accounts
from widgetbox.host.web.dependencies import ConfigDep, DbDep, Viewer, require_admin
from widgetbox.host.web.rendering import page, require_viewer


@get("/admin", include_in_schema=False)
async def admin(viewer: Viewer, db: DbDep, config: ConfigDep) -> Template:
    """The admin's site settings."""
    user = require_admin(require_viewer(viewer))
    is_open = await db.read(accounts.signup_open, config.security.open_signup)
    return page("admin.html", user, "pages/admin.js", signup_open=is_open)


PAGES = [admin]
