"""Every route of Widgetbox, in one list the app mounts: each domain's JSON API (`ROUTES` in
its `api.py`), widgets' own HTTP APIs, GUI apps' origins (`gui/apps.py`, and each other
domain's routes there in its `app_routes.py`), and the IDE's pages (`PAGES` in each
domain's `pages.py`, with errors shown as a page)."""

from __future__ import annotations

from typing import Any

from widgetbox.host.accounts import api as accounts_api
from widgetbox.host.accounts import pages as accounts_pages
from widgetbox.host.admin import api as admin_api
from widgetbox.host.admin import pages as admin_pages
from widgetbox.host.admin.limits import SiteLimits
from widgetbox.host.app_sessions import app_routes as app_sessions_routes
from widgetbox.host.app_users import api as app_users_api
from widgetbox.host.app_users import app_routes as app_users_routes
from widgetbox.host.config import Config
from widgetbox.host.courses import api as courses_api
from widgetbox.host.courses import pages as courses_pages
from widgetbox.host.endpoints import serve as endpoints
from widgetbox.host.gui import apps as gui_apps
from widgetbox.host.gui import theme_web as gui_theme
from widgetbox.host.gui.handoff import open_app
from widgetbox.host.health import ROUTES as HEALTH_ROUTES
from widgetbox.host.packages import api as packages_api
from widgetbox.host.runs import api as runs_api
from widgetbox.host.runs import pages as runs_pages
from widgetbox.host.schedules import api as schedules_api
from widgetbox.host.schedules import pages as schedules_pages
from widgetbox.host.secrets import api as secrets_api
from widgetbox.host.tables import api as tables_api
from widgetbox.host.tables import pages as tables_pages
from widgetbox.host.tokens import api as tokens_api
from widgetbox.host.transfer import api as transfer_api
from widgetbox.host.transfer import pages as transfer_pages
from widgetbox.host.web import pages
from widgetbox.host.web.assets import Assets
from widgetbox.host.widgets import api as widgets_api
from widgetbox.host.widgets import pages as widgets_pages


def routes(config: Config, assets: Assets, limits: SiteLimits) -> list[Any]:
    # one count per client address for each: widgets' APIs wherever they are served, and
    # everything an app's page asks its origin for (their limits an admin may change)
    widgets, app_calls = limits.widget_requests, limits.app_calls
    return [
        *accounts_api.routers(config),
        *admin_api.ROUTES,
        *widgets_api.ROUTES,
        *runs_api.ROUTES,
        *schedules_api.ROUTES,
        *secrets_api.ROUTES,
        *packages_api.ROUTES,
        *tables_api.ROUTES,
        *app_users_api.ROUTES,
        *transfer_api.ROUTES,
        *tokens_api.ROUTES,
        *courses_api.routers(config),
        *HEALTH_ROUTES,
        endpoints.router(config, widgets.middleware),
        *gui_apps.routes(config, assets, app_calls),
        *gui_theme.ROUTES,
        *app_users_routes.routes(config, assets, app_calls),
        *app_sessions_routes.routes(widgets.middleware, config.http.http_max_body_bytes, assets),
        open_app,
        pages.router(
            [
                *widgets_pages.PAGES,
                *runs_pages.PAGES,
                *schedules_pages.PAGES,
                *tables_pages.PAGES,
                *transfer_pages.PAGES,
                *accounts_pages.PAGES,
                *courses_pages.PAGES,
                *admin_pages.PAGES,
            ]
        ),
        pages.static_route(assets),
    ]
