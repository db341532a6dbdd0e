"""The admin's page: accounts (searched, disabled and enabled, made admins or not, given a
set-password link), whether anyone may sign up, the site-wide limits, and the server's
health. Its script does everything through `api.py`."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get
from litestar.response import Template

from widgetbox.host.accounts import users as accounts
from widgetbox.host.admin import usage, users
from widgetbox.host.admin.limits import SiteLimits
from widgetbox.host.admin.schemas import account_out, limits_out
from widgetbox.host.web.dependencies import ConfigDep, DbDep, TablesDep, Viewer, require_admin
from widgetbox.host.web.rendering import page, require_viewer


@get("/admin", include_in_schema=False)
async def admin(
    viewer: Viewer,
    db: DbDep,
    config: ConfigDep,
    tables: TablesDep,
    request: Request[Any, Any, Any],
) -> Template:
    user = require_admin(require_viewer(viewer))
    is_open = await db.read(accounts.signup_open, config.security.open_signup)
    found, total = await db.read(usage.listing, tables, "", users.PAGE, 0)
    live: SiteLimits = request.app.state.site_limits
    return page(
        "admin.html",
        user,
        "pages/admin.js",
        signup_open=is_open,
        data={
            "me": user.username,
            "users": [_plain(account_out(account, used)) for account, used in found],
            "total": total,
            "page": users.PAGE,
            "limits": _plain(limits_out(live.listing()))["limits"],
        },
    )


def _plain(value: Any) -> Any:
    return msgspec.to_builtins(value)


PAGES = [admin]
