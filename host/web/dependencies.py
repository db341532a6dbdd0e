"""What handlers ask for by name, and Litestar provides: who is asking (`viewer`), the widget
they may read, review or own (`readable_widget`, `reviewable_widget`, `owned_widget`: one
rule, `widgets.records.guarded`), on a GUI app's origin the app its visitor may open
(`app_guard`: `gui/visible.py`, the same rule), and the app's services (`db`,
`runner`, `live`, `packages`, `scheduler`, `secret_box`, `config`, `session_cache`,
`app_tokens`, `capabilities`, `tables`, `app_sessions`, `app_users`), typed.
A handler then reads as what it does, not as the checks around it; every check raises a
domain error (see `host/errors.py`), or on an app's origin its refusal (`gui/requests.py`).

Code that reaches a service without Litestar's injection (the widget APIs' hot path,
`endpoints/serve.py`, which resolves no dependencies) calls the same typed accessors
(`runner_of(state)`, `db_of(state)`...): one typed way, and no await.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, Parameter

from widgetbox.host.accounts import sessions
from widgetbox.host.accounts.sessions import SessionCache
from widgetbox.host.accounts.users import User
from widgetbox.host.app_sessions import AppSessions
from widgetbox.host.app_users import UsersService
from widgetbox.host.config import Config
from widgetbox.host.errors import Forbidden, LoginRequired
from widgetbox.host.gui.capabilities import Capabilities
from widgetbox.host.gui.tokens import AppTokens
from widgetbox.host.gui.visible import AppGuard
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
AppGuardDep = NamedDependency[AppGuard]
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
    if not any(name == b"cookie" for name, _ in request.scope["headers"]):
        return None  # most callers of a widget's API: spared parsing every header
    config = config_of(state)
    cookie = request.cookies.get(sessions.cookie_name(config))
    if not cookie or len(cookie) > 100:
        return None
    cache = session_cache_of(state)
    found = cache.get(cookie)
    if found is None:
        db = db_of(state)
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


def app_guard(
    request: Request[Any, Any, State],
    slug: FromPath[str],
    db: DbDep,
    app_tokens: AppTokensDep,
    config: ConfigDep,
) -> AppGuard:
    """The guard of a request on the GUI app `slug`'s own origin (`gui/visible.py`): its
    checks and the app its visitor may open, read when the handler asks (after the
    refusals that come first, and with what the handler reads of the app)."""
    return AppGuard(request, slug, db, app_tokens, config)


def db_of(state: State) -> Database:
    database: Database = state.db
    return database


def runner_of(state: State) -> Runner:
    runner: Runner = state.runner
    return runner


def live_of(state: State) -> LiveRuns:
    live: LiveRuns = state.live
    return live


def packages_of(state: State) -> PackageService:
    packages: PackageService = state.packages
    return packages


def config_of(state: State) -> Config:
    config: Config = state.config
    return config


def scheduler_of(state: State) -> Scheduler:
    scheduler: Scheduler = state.scheduler
    return scheduler


def secret_box_of(state: State) -> SecretBox:
    box: SecretBox = state.secret_box
    return box


def session_cache_of(state: State) -> SessionCache:
    cache: SessionCache = state.sessions
    return cache


def app_tokens_of(state: State) -> AppTokens:
    tokens: AppTokens = state.app_tokens
    return tokens


def capabilities_of(state: State) -> Capabilities:
    capabilities: Capabilities = state.capabilities
    return capabilities


def tables_of(state: State) -> TablesStore:
    store: TablesStore = state.tables
    return store


def app_sessions_of(state: State) -> AppSessions:
    found: AppSessions = state.app_sessions
    return found


def app_users_of(state: State) -> UsersService:
    found: UsersService = state.app_users
    return found


DEPENDENCIES = {
    "viewer": Provide(current_viewer),
    "readable_widget": Provide(readable_widget),
    "reviewable_widget": Provide(reviewable_widget),
    "owned_widget": Provide(owned_widget),
    "app_guard": Provide(app_guard, sync_to_thread=False),
    "db": Provide(db_of, sync_to_thread=False),
    "runner": Provide(runner_of, sync_to_thread=False),
    "live": Provide(live_of, sync_to_thread=False),
    "packages": Provide(packages_of, sync_to_thread=False),
    "config": Provide(config_of, sync_to_thread=False),
    "scheduler": Provide(scheduler_of, sync_to_thread=False),
    "secret_box": Provide(secret_box_of, sync_to_thread=False),
    "session_cache": Provide(session_cache_of, sync_to_thread=False),
    "app_tokens": Provide(app_tokens_of, sync_to_thread=False),
    "capabilities": Provide(capabilities_of, sync_to_thread=False),
    "tables": Provide(tables_of, sync_to_thread=False),
    "app_sessions": Provide(app_sessions_of, sync_to_thread=False),
    "app_users": Provide(app_users_of, sync_to_thread=False),
}
"""Every dependency a handler may name, registered once on the app."""
