"""Accounts: the session, sign-up, log-in and log-out (the admin's site settings are
`admin/api.py`'s)."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import JSONBody

from widgetbox.host.accounts import password_links, sessions
from widgetbox.host.accounts import users as accounts
from widgetbox.host.accounts.schemas import Credentials, SessionOut, SetPassword, user_out
from widgetbox.host.accounts.sessions import cookie_name as session_cookie_name
from widgetbox.host.accounts.sessions import expired_session_cookie, session_cookie
from widgetbox.host.accounts.users import User
from widgetbox.host.config import Config
from widgetbox.host.errors import BadCredentials, Forbidden
from widgetbox.host.tokens.scopes import SESSION, TOKEN_SCOPE
from widgetbox.host.web.dependencies import ConfigDep, DbDep, SessionCacheDep, Viewer
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
"""Signing up, in and out need a browser, never an API token."""


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
    if row["disabled_at"] is not None:  # said only to whoever knows the password
        raise Forbidden("account_disabled", "This account is disabled: ask the server's admin.")
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
    "/api/auth/set-password",
    tags=["accounts"],
    summary="Set an account's password from its one-time link, and sign in",
    status_code=200,
    responses=ERRORS,
    opt=SESSION_ONLY,
)
async def set_password(
    data: JSONBody[SetPassword],
    db: DbDep,
    config: ConfigDep,
    session_cache: SessionCacheDep,
    request: Request[Any, Any, Any],
) -> Response[SessionOut]:
    """For accounts made for someone (a course's roster, the admin) and forgotten
    passwords: 422 `bad_password_link` when the link expired or was used. Rate-limited per
    client address like logging in."""
    password_hash = await asyncio.to_thread(accounts.hash_password, data.password)
    user = await db.write(password_links.use, data.token, password_hash)
    old = request.cookies.get(session_cookie_name(config))
    if old:
        session_cache.forget(old)
    token = await db.write(_log_in, user.id, old)
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


def routers(config: Config) -> list[Router]:
    """Sign-up and log-in are rate-limited per client address; the rest is not."""
    limited = Router(
        path="/",
        route_handlers=[signup, login, set_password],
        middleware=[login_limit(config).middleware],
    )
    return [limited, Router(path="/", route_handlers=[session, logout])]
