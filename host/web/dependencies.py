"""What handlers ask for by name, and Litestar provides: who is asking (`viewer`), the widget
they may read, review or own (`readable_widget`, `reviewable_widget`, `owned_widget`: one
rule, `widgets.records.guarded`), and the app's services (`db`,
`runner`, `live`, `packages`, `scheduler`, `secret_box`, `config`, `session_cache`,
`app_tokens`, `capabilities`, `tables`, `app_sessions`, `app_users`), typed.
A handler then reads as what it does, not as the checks around it; every check raises a
domain error (see `host/errors.py`).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import Parameter

from widgetbox.host.accounts import sessions
from widgetbox.host.accounts.sessions import SessionCache
from widgetbox.host.accounts.users import User
from widgetbox.host.app_sessions import AppSessions
from widgetbox.host.app_users import UsersService
from widgetbox.host.config import Config
from widgetbox.host.errors import Forbidden, LoginRequired
from widgetbox.host.gui.capabilities import Capabilities
from widgetbox.host.gui.tokens import AppTokens
from widgetbox.host.packages import PackageService
from widgetbox.host.runs.live import LiveRuns
from widgetbox.host.runs.runner import Runner
from widgetbox.host.schedules.scheduler import Scheduler
from widgetbox.host.secrets import SecretBox
from widgetbox.host.storage.database import Database
from widgetbox.host.storage.full_disk import is_disk_full
from widgetbox.host.tables.store import TablesStore
from widgetbox.host.tokens.auth import token_of
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.records import Widget

log = logging.getLogger("widgetbox.host")


Viewer = NamedDependency[User | None]
"""How a handler declares it wants the `viewer` dependency (and so on below)."""
ReadableWidget = NamedDependency[Widget]
ReviewableWidget = NamedDependency[Widget]
OwnedWidget = NamedDependency[Widget]
DbDep = NamedDependency[Database]
RunnerDep = NamedDependency[Runner]
LiveDep = NamedDependency[LiveRuns]
PackagesDep = NamedDependency[PackageService]
ConfigDep = NamedDependency[Config]
SessionCacheDep = NamedDependency[SessionCache]
SchedulerDep = NamedDependency[Scheduler]
SecretBoxDep = NamedDependency[SecretBox]
AppTokensDep = NamedDependency[AppTokens]
CapabilitiesDep = NamedDependency[Capabilities]
TablesDep = NamedDependency[TablesStore]
AppSessionsDep = NamedDependency[AppSessions]
AppUsersDep = NamedDependency[UsersService]


async def current_viewer(request: Request[Any, Any, State], state: State) -> User | None:
    """The signed-in user, or None (a Litestar dependency, named `viewer` in handlers): the
    owner of the request's API token when it came with one (its cookie is then ignored;
    `tokens/auth.py`), otherwise the user of the session cookie."""
    token = token_of(request.scope)
    if token is not None:
        return token.user
    config: Config = state.config
    cookie = request.cookies.get(sessions.cookie_name(config))
    if not cookie or len(cookie) > 100:
        return None
    cache: SessionCache = state.sessions
    found = cache.get(cookie)
    if found is None:
        db: Database = state.db
        idle, lifetime = sessions.limits(config)
        found = await db.read(sessions.session_user, cookie, idle, lifetime)
        if found is None:
            return None
        if found.needs_touch:
            try:
                await db.write(sessions.touch_session, found.session_id)
            except Exception as e:
                if not is_disk_full(e):
                    raise
                # a session's last use is a courtesy write: reading must work on a full disk
                log.warning("a session's last use could not be recorded: the disk is full")
        cache.put(cookie, found)
    return found.user


def require_user(viewer: User | None) -> User:
    if viewer is None:
        raise LoginRequired("login_required", "Log in to do this.")
    return viewer


def require_admin(viewer: User | None) -> User:
    user = require_user(viewer)
    if not user.is_admin:
        raise Forbidden("admin_only", "Only the admin can do this.")
    return user


Slug = Annotated[str, Parameter(max_length=100, description="The widget's slug")]


async def readable_widget(slug: Slug, viewer: Viewer, db: DbDep) -> Widget:
    """The widget at `slug`, if the viewer may see it (NotFound otherwise: a private
    widget's existence is not revealed)."""
    return await db.read(widgets.readable, slug, viewer)


async def reviewable_widget(slug: Slug, viewer: Viewer, db: DbDep) -> Widget:
    """The widget at `slug`, if the viewer may read its versions and runs too: its owner,
    the admin, or a teacher reviewing a student's copy (read-only; see
    `widgets.records.ACCESS_LEVELS`)."""
    return await db.read(widgets.reviewable, slug, viewer)


async def owned_widget(slug: Slug, viewer: Viewer, db: DbDep) -> Widget:
    """The widget at `slug`, if the viewer owns it (or is the admin): NotFound when they
    cannot even see it, LoginRequired or Forbidden when they can see it but not change it."""
    return await db.read(widgets.owned, slug, viewer)


def _database(state: State) -> Database:
    database: Database = state.db
    return database


def _runner(state: State) -> Runner:
    runner: Runner = state.runner
    return runner


def _live(state: State) -> LiveRuns:
    live: LiveRuns = state.live
    return live


def _packages(state: State) -> PackageService:
    packages: PackageService = state.packages
    return packages


def _config(state: State) -> Config:
    config: Config = state.config
    return config


def _scheduler(state: State) -> Scheduler:
    scheduler: Scheduler = state.scheduler
    return scheduler


def _secret_box(state: State) -> SecretBox:
    box: SecretBox = state.secret_box
    return box


def _session_cache(state: State) -> SessionCache:
    cache: SessionCache = state.sessions
    return cache


def _app_tokens(state: State) -> AppTokens:
    tokens: AppTokens = state.app_tokens
    return tokens


def _capabilities(state: State) -> Capabilities:
    capabilities: Capabilities = state.capabilities
    return capabilities


def _tables(state: State) -> TablesStore:
    store: TablesStore = state.tables
    return store


def _app_sessions(state: State) -> AppSessions:
    found: AppSessions = state.app_sessions
    return found


def _app_users(state: State) -> UsersService:
    found: UsersService = state.app_users
    return found


DEPENDENCIES = {
    "viewer": Provide(current_viewer),
    "readable_widget": Provide(readable_widget),
    "reviewable_widget": Provide(reviewable_widget),
    "owned_widget": Provide(owned_widget),
    "db": Provide(_database, sync_to_thread=False),
    "runner": Provide(_runner, sync_to_thread=False),
    "live": Provide(_live, sync_to_thread=False),
    "packages": Provide(_packages, sync_to_thread=False),
    "config": Provide(_config, sync_to_thread=False),
    "scheduler": Provide(_scheduler, sync_to_thread=False),
    "secret_box": Provide(_secret_box, sync_to_thread=False),
    "session_cache": Provide(_session_cache, sync_to_thread=False),
    "app_tokens": Provide(_app_tokens, sync_to_thread=False),
    "capabilities": Provide(_capabilities, sync_to_thread=False),
    "tables": Provide(_tables, sync_to_thread=False),
    "app_sessions": Provide(_app_sessions, sync_to_thread=False),
    "app_users": Provide(_app_users, sync_to_thread=False),
}
"""Every dependency a handler may name, registered once on the app."""
