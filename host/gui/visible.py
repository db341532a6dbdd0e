"""The app origin's guard: which GUI app a request on an app's origin is for, and whether its
visitor may open it. Every handler there asks for it by name (`app_guard`, provided by
`web/dependencies.py`), as the IDE's handlers ask for `readable_widget`:

- `check(what)` / `json(what)`: the refusals a request from the app's page gets first (the
  app's host name, its origin, JSON of bounded size: requests.py), raised as `Refused`;
- `visible(read)`: the app, with what `read` reads of it in the same trip to the database
  (its code for a server call, its schema for a Data Tables request), or `AppNotFound`
  (404 in the one error shape, as for no app at all); `find(read)` is the same with None,
  for the handlers that answer a missing app otherwise (the page, the theme, emailed
  links).

Who may open an app is the widgets' one rule (`widgets.records.can_read`), the visitor
being whom the browser's visit cookie names for this widget (its owner or the admin,
handed over from Widgetbox: handoff.py, tokens.py) or no one: a public or unlisted app
opens for anyone, a private one (or one whose owner is disabled) only for its owner and
the admin. Nothing else on an app's origin decides it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

import sqlite_utils
from litestar import Request
from litestar.datastructures import State

from widgetbox.host.accounts import users as accounts
from widgetbox.host.accounts.users import User
from widgetbox.host.config import Config
from widgetbox.host.gui.requests import (
    CALL_MAX_BYTES,
    AppNotFound,
    check_request,
    json_body,
    on_app_host,
)
from widgetbox.host.gui.tokens import AppTokens, Grant
from widgetbox.host.storage.database import Database
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.records import Widget

T = TypeVar("T")


def visit_cookie_name(config: Config) -> str:
    secure = config.app_origin("x").startswith("https://")
    return "__Host-wb_app" if secure else "wb_app"


def visitor(database: sqlite_utils.Database, widget: Widget, grant: Grant | None) -> User | None:
    """Who a grant (the visit cookie's, or an entry token's being redeemed) says the
    visitor is, when it was made for this widget; None for anyone else."""
    if grant is None or grant.widget_id != widget.id:
        return None
    return accounts.get_user(database, grant.user_id)


def opens_for(database: sqlite_utils.Database, widget: Widget, grant: Grant | None) -> bool:
    """Whether the app opens for the visit `grant` names (None: a visitor without one)."""
    # the visitor is read only for an app that is not open to anyone
    return widgets.can_read(widget, None) or widgets.can_read(
        widget, visitor(database, widget, grant)
    )


class AppGuard:
    """One request on the origin of the app `slug` (a dependency: nothing is read until a
    handler asks)."""

    def __init__(
        self,
        request: Request[Any, Any, State],
        slug: str,
        db: Database,
        app_tokens: AppTokens,
        config: Config,
    ) -> None:
        self.request = request
        self.slug = slug
        self.config = config
        self._db = db
        self._tokens = app_tokens

    @property
    def on_host(self) -> bool:
        """Whether the request came to the app's own host name (requests.on_app_host)."""
        return on_app_host(self.request, self.slug)

    @cached_property
    def grant(self) -> Grant | None:
        """What the browser's visit cookie grants (tokens.py), if it is valid."""
        return self._tokens.visitor(self.request.cookies.get(visit_cookie_name(self.config)))

    def check(self, what: str) -> None:
        """`Refused` unless the request comes from the app's own page, as JSON."""
        check_request(self.request, self.slug, self.config, what)

    async def json(self, what: str, limit: int = CALL_MAX_BYTES) -> Any:
        """The JSON the app's page sends (`check`, then at most `limit` bytes, bounded), or
        `Refused`."""
        self.check(what)
        return json_body(await self.request.body(), what, limit)

    async def find(
        self, read: Callable[[sqlite_utils.Database, Widget], T], *, any_kind: bool = False
    ) -> tuple[Widget, T] | None:
        """The GUI widget whose app this is (any widget with `any_kind`: an emailed link of
        the Users service, which HTTP APIs have too), if the visitor may open it, with what
        `read` reads of it in the same trip to the database."""
        if not self.on_host:
            return None
        grant = self.grant

        def found(database: sqlite_utils.Database) -> tuple[Widget, T] | None:
            widget = widgets.find(database, self.slug)
            if widget is None or not (any_kind or widget.kind == "gui"):
                return None
            if not opens_for(database, widget, grant):
                return None
            return widget, read(database, widget)

        return await self._db.read(found)

    async def visible(self, read: Callable[[sqlite_utils.Database, Widget], T]) -> tuple[Widget, T]:
        """What `find` finds, or `AppNotFound`."""
        found = await self.find(read)
        if found is None:
            raise AppNotFound()
        return found

    def owner_visiting(self, database: sqlite_utils.Database, widget: Widget) -> bool:
        """Whether the browser's visit cookie is the widget's owner's (handed over from
        Widgetbox when they opened the app or its preview: handoff.py), whatever the app's
        visibility; the app then tells them what it tells no one else (a server error's
        traceback). Inside the guard's `read`, in the same trip."""
        return widgets.is_owner(widget, visitor(database, widget, self.grant))
