"""Accounts: the session, sign-up, log-in, log-out, and the admin's site settings."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, Response, Router, get, post, put
from litestar.params import JSONBody

from widgetbox.host.accounts import sessions
from widgetbox.host.accounts import users as accounts
from widgetbox.host.accounts.schemas import Credentials, SessionOut, SiteSettings, user_out
from widgetbox.host.accounts.sessions import cookie_name as session_cookie_name
from widgetbox.host.accounts.sessions import expired_session_cookie, session_cookie
from widgetbox.host.accounts.users import User
from widgetbox.host.config import Config
from widgetbox.host.errors import BadCredentials
from widgetbox.host.tokens.scopes import SESSION, TOKEN_SCOPE
from widgetbox.host.web.dependencies import ConfigDep, DbDep, SessionCacheDep, Viewer, require_admin
from widgetbox.host.web.limits import login_limit
from widgetbox.host.web.openapi import ERRORS
from widgetbox.host.widgets import records as widgets


@get("/api/session", tags=["accounts"], summary="Who is signed in", responses=ERRORS)
async def session(viewer: Viewer, db: DbDep, config: ConfigDep) -> SessionOut:
    is_open = await db.read(accounts.signup_open, config.security.open_signup)
    return SessionOut(user=user_out(viewer) if viewer else None, open_signup=is_open)


def _sign_up(db: Any, username: str, password_hash: str, open_default: bool) -> tuple[User, str]:
    user = accounts.create_user(db, username, password_hash, open_default)
    if user.is_admin:  # the first account gets an example of each kind of widget
        widgets.add_examples(db, user)
    return user, sessions.new_session(db, user.id)


SESSION_ONLY = {TOKEN_SCOPE: SESSION}
"""Signing up, in and out and the site's settings need a browser, never an API token."""


@post(
    "/api/auth/signup",
    tags=["accounts"],
    summary="Create an account and sign in",
    status_code=201,
    responses=ERRORS,
    opt=SESSION_ONLY,
)
async def signup(data: JSONBody[Credentials], db: DbDep, config: ConfigDep) -> Response[SessionOut]:
    """The first account becomes the admin; later ones need sign-up to be open."""
    username = accounts.check_username(data.username)
    password_hash = await asyncio.to_thread(accounts.hash_password, data.password)
    user, token = await db.write(_sign_up, username, password_hash, config.security.open_signup)
    body = SessionOut(
        user=user_out(user),
        open_signup=await db.read(accounts.signup_open, config.security.open_signup),
    )
    return Response(body, status_code=201, cookies=[session_cookie(config, token)])


def _log_in(db: Any, user_id: int, old_token: str | None) -> str:
    if old_token:
        sessions.end_session(db, old_token)  # a new token at every log-in
    return sessions.new_session(db, user_id)


@post(
    "/api/auth/login",
    tags=["accounts"],
    summary="Sign in",
    status_code=200,
    responses=ERRORS,
    opt=SESSION_ONLY,
)
async def login(
    data: JSONBody[Credentials],
    db: DbDep,
    config: ConfigDep,
    session_cache: SessionCacheDep,
    request: Request[Any, Any, Any],
) -> Response[SessionOut]:
    row = await db.read(accounts.find_user, data.username)
    stored = row["password_hash"] if row else None
    if not await asyncio.to_thread(accounts.verify_password, stored, data.password) or row is None:
        raise BadCredentials("bad_credentials", "That username and password do not match.")
    old = request.cookies.get(session_cookie_name(config))
    if old:
        session_cache.forget(old)
    token = await db.write(_log_in, row["id"], old)
    user = User.from_row(row)
    body = SessionOut(
        user=user_out(user),
        open_signup=await db.read(accounts.signup_open, config.security.open_signup),
    )
    return Response(body, cookies=[session_cookie(config, token)])


@post(
    "/api/auth/logout",
    tags=["accounts"],
    summary="Sign out",
    status_code=200,
    responses=ERRORS,
    opt=SESSION_ONLY,
)
async def logout(
    db: DbDep, config: ConfigDep, session_cache: SessionCacheDep, request: Request[Any, Any, Any]
) -> Response[SessionOut]:
    """Ends the session; answers with the signed-out state."""
    token = request.cookies.get(session_cookie_name(config))
    if token:
        session_cache.forget(token)
        await db.write(sessions.end_session, token)
    body = SessionOut(
        user=None, open_signup=await db.read(accounts.signup_open, config.security.open_signup)
    )
    return Response(body, cookies=[expired_session_cookie(config)])


@get(
    "/api/admin/settings",
    tags=["admin"],
    summary="Site settings (admin)",
    responses=ERRORS,
    opt=SESSION_ONLY,
)
async def get_settings(viewer: Viewer, db: DbDep, config: ConfigDep) -> SiteSettings:
    require_admin(viewer)
    return SiteSettings(
        open_signup=await db.read(accounts.signup_open, config.security.open_signup)
    )


@put(
    "/api/admin/settings",
    tags=["admin"],
    summary="Change site settings (admin)",
    responses=ERRORS,
    opt=SESSION_ONLY,
)
async def put_settings(data: JSONBody[SiteSettings], viewer: Viewer, db: DbDep) -> SiteSettings:
    require_admin(viewer)
    await db.write(accounts.set_signup_open, data.open_signup)
    return data


def routers(config: Config) -> list[Router]:
    """Sign-up and log-in are rate-limited per client address; the rest is not."""
    limited = Router(
        path="/", route_handlers=[signup, login], middleware=[login_limit(config).middleware]
    )
    return [limited, Router(path="/", route_handlers=[session, logout, get_settings, put_settings])]
