"""The admin's JSON API under /api/admin/: accounts (listed with their usage, made, changed,
given a set-password link), whether anyone may sign up, the site-wide limits, and the
server's health. Every route is for admins only (`require_admin`, the router's guard, before
any body is read) and for a browser session only: an API token cannot administer the
server."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, get, patch, post, put
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.params import JSONBody, Parameter

from widgetbox.host.accounts import password_links
from widgetbox.host.accounts import users as accounts
from widgetbox.host.accounts.users import User
from widgetbox.host.admin import health, usage, users
from widgetbox.host.admin import limits as site_limits
from widgetbox.host.admin.limits import SiteLimits
from widgetbox.host.admin.schemas import (
    AccountChange,
    AccountOut,
    AccountsOut,
    HealthOut,
    LimitsIn,
    LimitsOut,
    NewAccount,
    PasswordLinkOut,
    SiteSettings,
    account_out,
    health_out,
    limits_out,
)
from widgetbox.host.errors import Forbidden
from widgetbox.host.storage.database import Database
from widgetbox.host.tables.store import TablesStore
from widgetbox.host.tokens.scopes import SESSION, TOKEN_SCOPE
from widgetbox.host.web.dependencies import (
    ConfigDep,
    DbDep,
    RunnerDep,
    SessionCacheDep,
    TablesDep,
    Viewer,
    current_viewer,
    require_admin,
)
from widgetbox.host.web.openapi import ERRORS

SESSION_ONLY = {TOKEN_SCOPE: SESSION}
Username = Annotated[str, Parameter(max_length=64, description="The account's username")]
Search = Annotated[str, Parameter(max_length=64, description="Part of a username")]
Offset = Annotated[int, Parameter(ge=0, le=10_000_000, description="Skip this many")]


async def admins_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The router's guard: the viewer must be a signed-in admin (403 otherwise)."""
    request: Request[Any, Any, Any] = Request(connection.scope, connection.receive)
    require_admin(await current_viewer(request, connection.app.state))


def _limits(request: Request[Any, Any, Any]) -> SiteLimits:
    found: SiteLimits = request.app.state.site_limits
    return found


async def _account(db: Database, tables: TablesStore, user: User) -> AccountOut:
    return account_out(user, await db.read(usage.one, tables, user))


# -- accounts ------------------------------------------------------------------------------


@get("/users", summary="Accounts, with what each uses", responses=ERRORS)
async def list_users(
    db: DbDep, tables: TablesDep, q: Search = "", offset: Offset = 0
) -> AccountsOut:
    """Accounts whose username contains `q`, 50 at a time, in order of making."""
    found, total = await db.read(usage.listing, tables, q, users.PAGE, offset)
    return AccountsOut(
        users=[account_out(user, used) for user, used in found],
        total=total,
        offset=offset,
        limit=users.PAGE,
    )


@post("/users", summary="Make an account", status_code=201, responses=ERRORS)
async def create_user(
    data: JSONBody[NewAccount], db: DbDep, tables: TablesDep, config: ConfigDep
) -> PasswordLinkOut:
    """The account has no password until its person opens the one-time set-password link
    answered here (the admin never knows it)."""

    def make(d: Any) -> tuple[User, str]:
        made = users.create(d, data.username, None, data.is_admin)
        return made, password_links.create(d, made.id)

    user, token = await db.write(make)
    return PasswordLinkOut(
        await _account(db, tables, user), password_links.url(config.origin, token)
    )


@patch("/users/{username:str}", summary="Make an admin or not, disable or enable", responses=ERRORS)
async def change_user(
    username: Username,
    data: JSONBody[AccountChange],
    viewer: Viewer,
    db: DbDep,
    tables: TablesDep,
    session_cache: SessionCacheDep,
) -> AccountOut:
    """Never the last admin; never yourself disabled (another admin can). A disabled account's
    sessions end and its API tokens are refused at once."""
    if data.disabled and viewer is not None and viewer.username == username.strip().lower():
        raise Forbidden(
            "disable_yourself", "You cannot disable your own account: ask another admin."
        )

    def change(d: Any) -> User:
        user = users.find(d, username)
        if data.disabled is not None:
            user = users.set_disabled(d, username, data.disabled)
        if data.is_admin is not None:
            user = users.set_admin(d, username, data.is_admin)
        return user

    user = await db.write(change)
    session_cache.forget_user(user.id)  # cached sessions hold the old account
    return await _account(db, tables, user)


@post(
    "/users/{username:str}/password-link",
    summary="A one-time set-password link for an account",
    status_code=201,
    responses=ERRORS,
)
async def password_link(
    username: Username, db: DbDep, tables: TablesDep, config: ConfigDep
) -> PasswordLinkOut:
    """Its person opens it to choose a new password; it works once, for 14 days, and a new
    link voids the one before."""
    user, token = await db.write(users.password_link, username)
    return PasswordLinkOut(
        await _account(db, tables, user), password_links.url(config.origin, token)
    )


# -- the site ------------------------------------------------------------------------------


@get("/settings", summary="Site settings", responses=ERRORS)
async def get_settings(db: DbDep, config: ConfigDep) -> SiteSettings:
    return SiteSettings(
        open_signup=await db.read(accounts.signup_open, config.security.open_signup)
    )


@put("/settings", summary="Change site settings", responses=ERRORS)
async def put_settings(data: JSONBody[SiteSettings], db: DbDep) -> SiteSettings:
    await db.write(accounts.set_signup_open, data.open_signup)
    return data


@get("/limits", summary="Site-wide limits", responses=ERRORS)
async def get_limits(request: Request[Any, Any, Any]) -> LimitsOut:
    """Each limit in effect, the settings file's value, and whether the admin set it."""
    return limits_out(_limits(request).listing())


@put("/limits", summary="Change site-wide limits", responses=ERRORS)
async def put_limits(
    data: JSONBody[LimitsIn], db: DbDep, request: Request[Any, Any, Any]
) -> LimitsOut:
    """Set some limits (or reset them, with null, to the settings file's): all or none,
    in effect at once."""
    live = _limits(request)
    stored = await db.write(site_limits.store, data.values)
    live.apply(stored)
    return limits_out(live.listing())


@get("/health", summary="The server's health", responses=ERRORS)
async def get_health(
    config: ConfigDep, runner: RunnerDep, request: Request[Any, Any, Any]
) -> HealthOut:
    """Sandbox processes and their pools, the run queue, disk and database, as they are now."""
    return health_out(await health.snapshot(config, request.app.state.runtime, runner.queue))


ROUTES = [
    Router(
        path="/api/admin",
        route_handlers=[
            list_users,
            create_user,
            change_user,
            password_link,
            get_settings,
            put_settings,
            get_limits,
            put_limits,
            get_health,
        ],
        guards=[admins_only],
        tags=["admin"],
        opt=SESSION_ONLY,
    )
]
